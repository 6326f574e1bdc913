"""One WebSocket to the backend: connect, subscribe to every watched run on open, heartbeat, reconnect.

The reconnect schedule is our own: the websockets library resets its backoff after every successful
connect, so a server that accepts and then drops at once would be hammered. Here the schedule only
starts again from the beginning after a connection has stayed up for `STABLE_AFTER_S`. A refused
token (401/403), an untrusted TLS certificate or a malformed URL end the stream with a reason;
everything else is retried, forever.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from tf_tui.base.protocol import Event, parse_frame, subscribe_frame, unsubscribe_frame
from tf_tui.base.supervise import call_guarded
from tf_tui.base.text import printable
from tf_tui.client.pace import MessagePace
from tf_tui.client.tls import untrusted_certificate

# websockets is imported at the first connection, not with this module: the dashboard's first screen (which
# shows the connection's state) is painted before it is needed.
if TYPE_CHECKING:
    from websockets.exceptions import ConnectionClosed

MAX_FRAME_BYTES = 1024 * 1024
STABLE_AFTER_S = 10.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timeouts:
    """How long opening a connection may take, and the heartbeat. A dead peer (a silent SSH tunnel) is
    noticed within ping_interval + ping + close, under 30 s by default: after an unanswered ping the
    library still waits the close timeout for the TCP close."""

    open: float = 10.0
    ping_interval: float = 12.0
    ping: float = 12.0
    close: float = 3.0


DEFAULT_TIMEOUTS = Timeouts()


class Phase(Enum):
    CONNECTING = "connecting"
    LIVE = "live"
    RETRYING = "retrying"
    FAILED = "failed"


@dataclass(frozen=True)
class ConnectionState:
    phase: Phase
    attempt: int = 0
    reason: str | None = None
    retry_at: float | None = None  # time.time() of the next attempt

    def describe(self, now: float | None = None) -> str:
        """The state in words, as the header and the headless commands show it."""
        if self.phase is Phase.LIVE:
            return "live"
        if self.phase is Phase.CONNECTING:
            return "connecting" if self.attempt <= 1 else f"connecting (attempt {self.attempt})"
        if self.phase is Phase.FAILED:
            return f"failed: {self.reason}"
        remaining = max(0.0, (self.retry_at or 0.0) - (time.time() if now is None else now))
        return f"reconnecting in {remaining:.0f} s (attempt {self.attempt + 1})"

    def explain(self, now: float | None = None) -> str:
        """`describe()`, and while retrying what went wrong: what the event log and `watch`'s stderr say."""
        why = f" ({self.reason})" if self.reason and self.phase is Phase.RETRYING else ""
        return self.describe(now) + why


class Backoff:
    """About 0.5 s doubling to a 15 s cap, each delay jittered by ±20 % so clients do not align."""

    def __init__(self, initial: float = 0.5, cap: float = 15.0, jitter: float = 0.2) -> None:
        self.initial, self.cap, self.jitter = initial, cap, jitter

    def delay(self, failures: int, rng: Callable[[], float] = random.random) -> float:
        base = min(self.cap, self.initial * 2.0 ** max(0, failures - 1))
        return min(self.cap, base * (1 - self.jitter + 2 * self.jitter * rng()))


class _Closing(Protocol):
    @property
    def close_exc(self) -> ConnectionClosed: ...


class Socket(Protocol):
    """What the stream uses of an open WebSocket (a websockets `ClientConnection`)."""

    async def send(self, message: str) -> None: ...

    def __aiter__(self) -> AsyncIterator[str | bytes]: ...

    @property
    def protocol(self) -> _Closing: ...  # why it closed, once iterating it has ended


# Opens a WebSocket, as websockets' `connect(url, **options)` does; the tests hand in a fake one.
Connect = Callable[..., AbstractAsyncContextManager[Socket]]


def open_websocket(url: str, **options: Any) -> AbstractAsyncContextManager[Socket]:
    """websockets' own `connect`, imported when the first connection is made."""
    from websockets.asyncio.client import connect

    return connect(url, **options)


class UpdateStream:
    """Owns the one WebSocket and the set of watched runs: keeps them subscribed across reconnects, and
    reports each parsed frame (`on_event`), each connection state (`on_state`) and each open (`on_open`)."""

    def __init__(
        self,
        ws_url: str,
        token: str | None,
        *,
        on_event: Callable[[Event], None],
        on_state: Callable[[ConnectionState], None],
        on_open: Callable[[list[str]], None],
        use_proxy: bool = True,
        backoff: Backoff | None = None,
        tls: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.time,
        connect: Connect = open_websocket,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        subscribe_pace: MessagePace | None = None,
        compress: bool = True,
    ) -> None:
        """`clock` dates the next attempt and times how long a connection stayed up. Subscriptions go out
        in batches (`subscribe_pace`, by default `MessagePace()`). `compress`: offer permessage-deflate, which
        uvicorn (the reference server's, and a FastAPI backend's) accepts: worth it over a network, where it
        cuts a frame's bytes; on this machine it costs both ends CPU for every frame and saves nothing."""
        self._url = ws_url
        # websockets refuses an ssl context for a ws:// URL, and makes its own default one for wss://.
        self._tls = tls if ws_url.startswith("wss://") else None
        self._headers = {"Authorization": f"Bearer {token}"} if token else None
        self._token = token
        self._on_event = on_event
        self._on_state = on_state
        self._on_open = on_open
        self._use_proxy = use_proxy
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._connect = connect
        self._timeouts = timeouts
        self._subscribe_pace = subscribe_pace or MessagePace()
        self._compression = "deflate" if compress else None
        self._socket: Socket | None = None
        self.watched: dict[str, None] = {}  # ordered set: subscriptions go out in watch order
        self.state = ConnectionState(Phase.CONNECTING, attempt=1)

    @property
    def live(self) -> bool:
        return self.state.phase is Phase.LIVE

    async def subscribe(self, train_id: str) -> None:
        """Watch a run: subscribed now if the socket is open, else as soon as it opens. Never dropped."""
        self.watched[train_id] = None
        if self._socket is not None:
            await self._subscribe_pace.wait()
        await self._send(subscribe_frame(train_id))

    async def unsubscribe(self, train_id: str) -> None:
        self.watched.pop(train_id, None)
        await self._send(unsubscribe_frame(train_id))

    async def run(self) -> None:
        """Connect and reconnect until cancelled, or until a fatal error (then the state says why)."""
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

        failures = 0
        while True:
            self._set_state(ConnectionState(Phase.CONNECTING, attempt=failures + 1))
            opened_at: float | None = None
            try:
                async with self._open() as socket:
                    opened_at = self._clock()
                    reason = await self._serve(socket)
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed) as error:
                fatal = fatal_reason(error)
                if fatal is not None:
                    log.warning("websocket failed for good: %s", fatal)
                    self._set_state(ConnectionState(Phase.FAILED, reason=self._masked(fatal)))
                    return
                reason = self._masked(describe_failure(error))
            except Exception as error:  # anything else: say so, and reconnect rather than end the stream
                log.exception("websocket connection failed unexpectedly")
                reason = self._masked(f"unexpected error: {type(error).__name__}")
            finally:
                self._socket = None
            failures = failures_after(failures, None if opened_at is None else self._clock() - opened_at)
            delay = self._backoff.delay(failures)
            log.info("websocket down (%s); retrying in %.1f s", reason, delay)
            self._set_state(
                ConnectionState(Phase.RETRYING, attempt=failures, reason=reason, retry_at=self._clock() + delay)
            )
            await asyncio.sleep(delay)

    def _open(self) -> AbstractAsyncContextManager[Socket]:
        return self._connect(
            self._url,
            additional_headers=self._headers,
            open_timeout=self._timeouts.open,
            ping_interval=self._timeouts.ping_interval,
            ping_timeout=self._timeouts.ping,
            close_timeout=self._timeouts.close,
            max_size=MAX_FRAME_BYTES,
            proxy=True if self._use_proxy else None,
            ssl=self._tls,
            compression=self._compression,
        )

    async def _serve(self, socket: Socket) -> str:
        """Subscribe everything watched, then read frames until the connection ends; returns why it ended."""
        from websockets.exceptions import ConnectionClosed

        self._socket = socket
        subscribed = list(self.watched)
        for train_id in subscribed:
            await self._subscribe_pace.wait()
            await socket.send(subscribe_frame(train_id))
        self._set_state(ConnectionState(Phase.LIVE))
        log.info("websocket connected to %s; subscribed to %d run(s)", self._url, len(subscribed))
        call_guarded(self._on_open, subscribed, what="the socket-open callback")
        try:
            async for raw in socket:
                try:
                    self._on_event(parse_frame(raw))
                except Exception:  # a bug of ours in handling one frame must not cost the stream
                    log.exception("handling a frame failed")
        except ConnectionClosed as error:
            return describe_failure(error)
        return describe_failure(socket.protocol.close_exc)  # a normal closure ends the loop without raising

    async def _send(self, text: str) -> None:
        socket = self._socket
        if socket is None:
            return  # the watched set is sent in full when the socket opens
        from websockets.exceptions import ConnectionClosed

        with suppress(ConnectionClosed):  # the reconnect resubscribes everything watched
            await socket.send(text)

    def _masked(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _set_state(self, state: ConnectionState) -> None:
        self.state = state
        # A bug in whoever listens must not end the stream: it would never reconnect again.
        call_guarded(self._on_state, state, what="the connection state callback")


def failures_after(failures: int, connected_for: float | None) -> int:
    """The failure count that picks the next retry's delay, after a connection that lasted `connected_for`
    seconds (None: it never opened). Only a connection that stayed up `STABLE_AFTER_S` starts the schedule
    again: a server that accepts and drops at once keeps climbing it."""
    if connected_for is not None and connected_for >= STABLE_AFTER_S:
        return 1
    return failures + 1


def fatal_reason(error: BaseException) -> str | None:
    """Why retrying cannot help, for the errors where it cannot; None for the rest."""
    from websockets.exceptions import InvalidStatus, InvalidURI

    if isinstance(error, InvalidStatus) and error.response.status_code in (401, 403):
        code = error.response.status_code
        return f"the server refused the WebSocket (HTTP {code}): check the token"
    if isinstance(error, ssl.SSLCertVerificationError):
        return untrusted_certificate(error)
    if isinstance(error, InvalidURI):
        return f"bad WebSocket URL: {error}"
    return None


def describe_failure(error: BaseException) -> str:
    """Why the socket is down, in words."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.frames import CloseCode

    if isinstance(error, ConnectionClosed):
        close = error.rcvd or error.sent
        if close is None:
            return "the connection dropped (no close frame)"
        if close.code == CloseCode.MESSAGE_TOO_BIG:
            return f"a frame was over the {MAX_FRAME_BYTES // 1024} KiB limit"
        if error.rcvd is None:  # we closed it: a keepalive ping went unanswered, or the server broke the protocol
            return f"tf-tui closed it ({printable(close.reason, 100) or f'code {close.code}'})"
        reason = f": {printable(close.reason, 100)}" if close.reason else ""
        return f"the server closed the connection (code {close.code}{reason})"
    if isinstance(error, InvalidStatus):
        return f"the WebSocket handshake got HTTP {error.response.status_code}"
    if isinstance(error, TimeoutError):
        return "the connection timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, OSError):
        return printable(error.strerror or str(error) or type(error).__name__, 200)
    return printable(str(error) or type(error).__name__, 200)
