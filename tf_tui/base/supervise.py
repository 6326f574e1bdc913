"""Keeping the session's work alive through bugs: guarded callbacks and supervised long-lived tasks.

A view's callback that raises is logged and the caller goes on. A long-lived task (the update stream,
the poll loop) that dies by an exception is restarted after a growing delay, so a crash loop does not
spin; one that keeps dying is given up, and the session says so ("failed: internal error") rather
than going silent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

MAX_CRASHES = 5  # in a row; a task that ran for `stable_after` seconds before dying starts the count again

log = logging.getLogger(__name__)


def call_guarded(callback: Callable[..., None], *arguments: Any, what: str) -> None:
    """Call another layer's callback (a view's): its exception is logged, never raised into our loop."""
    try:
        callback(*arguments)
    except Exception:
        log.exception("%s failed", what)


async def keep_running(
    name: str,
    work: Callable[[], Awaitable[None]],
    *,
    on_crash: Callable[[str, Exception, bool], None],
    delay: Callable[[int], float],
    stable_after: float,
    max_crashes: int = MAX_CRASHES,
) -> None:
    """Run `work` until it returns or is cancelled, restarting it `delay(crashes)` seconds after it raises.

    `on_crash(name, error, gave_up)` is told of every crash; `gave_up` after `max_crashes` in a row.
    """
    crashes = 0
    while True:
        started = time.monotonic()
        try:
            await work()
        except Exception as error:  # cancellation is a BaseException: it ends this loop as it should
            if time.monotonic() - started >= stable_after:
                crashes = 0
            crashes += 1
            gave_up = crashes >= max_crashes
            on_crash(name, error, gave_up)
            if gave_up:
                return
            await asyncio.sleep(delay(crashes))
        else:
            return
