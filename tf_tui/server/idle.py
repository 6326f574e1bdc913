"""`serve --idle-exit S`: the server ends itself after S seconds with no run going, no WebSocket client
and no request. That is what lets `tf-tui --local` leave its server behind when the dashboard quits: it
trains on while runs are going and goes away by itself once nobody needs it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_CHECK_INTERVAL_S = 5.0


class IdleWatch:
    def __init__(
        self,
        idle_exit: float,
        busy: Callable[[], bool],
        on_idle: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_exit = idle_exit
        self._busy = busy
        self._on_idle = on_idle
        self._clock = clock
        self._last_active = clock()

    def touch(self) -> None:
        self._last_active = self._clock()

    def check(self) -> bool:
        """True (and `on_idle` called) once the server has been idle long enough."""
        if self._busy():
            # Idle time counts from the moment the last run ended or the last client left.
            self.touch()
            return False
        if self._clock() - self._last_active < self.idle_exit:
            return False
        self._on_idle()
        return True

    async def run(self) -> None:
        interval = min(self.idle_exit / 4, MAX_CHECK_INTERVAL_S)
        while not self.check():
            await asyncio.sleep(interval)


class ActivityMiddleware:
    """Every request and WebSocket handshake counts as activity: a launcher that has just checked the
    server's health gets the whole idle time to connect."""

    def __init__(self, app: ASGIApp, watch: IdleWatch) -> None:
        self._app = app
        self._watch = watch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            self._watch.touch()
        await self._app(scope, receive, send)
