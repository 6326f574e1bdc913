"""StatusReader: the session's status reads of runs, never two of one run at once. No I/O of its own.

A poll asked for while the run's read is in flight is dropped: that read answers it. A resync is not: the
read in flight may have been sent before the subscription the resync follows, and so miss the statuses
sent in between (the backend broadcasts a run's first statuses before anyone can subscribe), so it is
made again once that read is done, once however many resyncs asked for it meanwhile.

At most `MAX_READS_IN_FLIGHT` reads are sent at once; the others wait their turn here, before their
request is made, so that waiting is never counted against a read's HTTP timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from tf_tui.core.store import Source

Fetch = Callable[[str, Source], Awaitable[None]]  # one read of one run's status, and what follows from it
# Watching a thousand runs starts a thousand reads at once: sent together, they queued in the HTTP
# pool, timed out there and were retried, and nothing was shown for minutes. A dozen keeps a server
# (and this 100-connection pool) steadily busy, well under what a server answers in parallel, while a
# big batch's first rows still appear as soon as their reads come back.
MAX_READS_IN_FLIGHT = 12

Spawn = Callable[[Coroutine[Any, Any, None], str], None]  # run work in a task its owner cancels on close


class StatusReader:
    """Owns which runs' status reads are in flight, and which must be read again when theirs is done.

    `fetch` makes one read and handles its answer; `spawn` runs the read made again, as a task of its own.
    """

    def __init__(self, fetch: Fetch, spawn: Spawn, *, max_in_flight: int = MAX_READS_IN_FLIGHT) -> None:
        self._fetch = fetch
        self._spawn = spawn
        self._slots = asyncio.Semaphore(max_in_flight)
        self._in_flight: set[str] = set()
        self._read_again: set[str] = set()

    @property
    def in_flight(self) -> set[str]:
        """The runs being read or waiting for a slot to be read (a copy): the poller skips them."""
        return set(self._in_flight)

    async def read(self, train_id: str, source: Source) -> None:
        """Read a run's status now, unless it is being read: then a resync is made once that read is done."""
        if train_id in self._in_flight:
            if source is Source.RESYNC:
                self._read_again.add(train_id)
            return
        self._in_flight.add(train_id)
        try:
            async with self._slots:
                await self._fetch(train_id, source)
        finally:
            self._in_flight.discard(train_id)
            if train_id in self._read_again:
                self._read_again.discard(train_id)
                # A task of its own, not awaited here: this read may be ending because it was cancelled.
                self._spawn(self.read(train_id, Source.RESYNC), "resync")
