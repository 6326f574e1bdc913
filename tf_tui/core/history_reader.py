"""HistoryReader: a session's reads of its runs' stored metrics, so that a run joined late is drawn from
its first step.

When a run starts being watched its history is read once (`read`); the stream extends it from then on. A
run shown without being watched (a finished one) is read once when first shown (`read_unread`).
While the socket is down the updates are missed, so after a reconnect each run's history is read again
from the step it had reached when the socket dropped (`socket_dropped`, `catch_up`), and a read that
failed is tried again then, not sooner. A backend without the route (the deployed one) is asked once:
until a backend has answered one read, its reads go one at a time, and once it says it has no such
route the session's capabilities remember it, and a run's points then start where tf-tui joined it.

At most `MAX_READS_IN_FLIGHT` reads are sent at once, as for status reads: watching a thousand runs
must not send a thousand requests together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from tf_tui.base.capabilities import Capabilities, Extension
from tf_tui.client.api import ApiError, NotFound, RouteMissing
from tf_tui.core.eventlog import EventLog
from tf_tui.core.history import StoredHistory
from tf_tui.core.status_reader import MAX_READS_IN_FLIGHT
from tf_tui.core.store import RunStore

# One run's stored metrics, those after a step when given: `BackendApi.metrics`.
ReadMetrics = Callable[[str, int | None], Awaitable[dict[str, Any]]]


class HistoryReader:
    """Owns which runs' histories were read, are being read, failed, or have a gap to fill since the
    socket dropped. `read_metrics` asks the backend; what it answers goes into `store`."""

    def __init__(
        self,
        read_metrics: ReadMetrics,
        store: RunStore,
        capabilities: Capabilities,
        events: EventLog,
        changed: Callable[[], None],
        *,
        max_in_flight: int = MAX_READS_IN_FLIGHT,
    ) -> None:
        self._read_metrics = read_metrics
        self._store = store
        self._capabilities = capabilities
        self._events = events
        self._changed = changed
        self._slots = asyncio.Semaphore(max_in_flight)
        self._probe = asyncio.Lock()  # one read at a time until the backend says whether it has the route
        self._route_known = False
        self._in_flight: set[str] = set()
        self._read: set[str] = set()  # runs whose history came from the backend at least once
        self._failed: set[str] = set()  # runs whose last read failed: tried again at the next reconnect
        self._gap_from: dict[str, int | None] = {}  # the step a run had reached when the socket dropped

    async def read(self, train_ids: Iterable[str]) -> None:
        """Read the runs' histories (newly watched runs): whole, or since the last step of one read before."""
        await asyncio.gather(*(self._read_one(train_id, self._resume_step(train_id)) for train_id in train_ids))

    async def read_unread(self, train_ids: Iterable[str]) -> None:
        """The whole histories of the runs never read (or whose last read failed): runs a view shows."""
        await asyncio.gather(*(self._read_one(train_id, None) for train_id in train_ids if train_id not in self._read))

    def forget(self, train_id: str) -> None:
        """The run's points were let go (`RunStories` keeps a bounded number): its next read is whole again."""
        self._read.discard(train_id)
        self._failed.discard(train_id)
        self._gap_from.pop(train_id, None)

    def socket_dropped(self, train_ids: Iterable[str]) -> None:
        """The updates stop: remember where each run's history stood, to read what follows once back."""
        for train_id in train_ids:
            if train_id in self._read or train_id in self._in_flight:
                self._gap_from.setdefault(train_id, self._store.ensure(train_id).history.last_step)

    async def catch_up(self, train_ids: Iterable[str]) -> None:
        """After a reconnect: each run's points since the socket dropped, and the reads that had failed."""
        due = [train_id for train_id in train_ids if train_id in self._gap_from or train_id in self._failed]
        await asyncio.gather(
            *(
                self._read_one(
                    train_id,
                    self._gap_from[train_id] if train_id in self._gap_from else self._resume_step(train_id),
                    fills_gap=True,
                )
                for train_id in due
            )
        )

    def _resume_step(self, train_id: str) -> int | None:
        """Where a run's next read starts: after its last step once its history was read, else at its start."""
        return self._store.ensure(train_id).history.last_step if train_id in self._read else None

    async def _read_one(self, train_id: str, after_step: int | None, *, fills_gap: bool = False) -> None:
        if train_id in self._in_flight or self._capabilities.missing(Extension.METRICS) is not None:
            return
        self._in_flight.add(train_id)
        try:
            async with self._slots:
                if not self._route_known:
                    async with self._probe:
                        if not self._route_known:  # the first read: the others wait for its answer
                            await self._take(train_id, after_step, fills_gap)
                            return
                # Asked again here: while this read waited, another may have found the route missing.
                if self._capabilities.missing(Extension.METRICS) is None:
                    await self._take(train_id, after_step, fills_gap)
        finally:
            self._in_flight.discard(train_id)

    async def _take(self, train_id: str, after_step: int | None, fills_gap: bool) -> None:
        try:
            body = await self._read_metrics(train_id, after_step)
        except RouteMissing as error:
            self._route_known = True
            self._capabilities.lacks(Extension.METRICS, error.reason)
            self._events.add(
                f"this backend keeps no metrics history ({error.reason}); a run's points start where tf-tui joined it",
                logging.WARNING,
            )
            self._changed()  # the views say from when the history starts
            return
        except NotFound:
            self._route_known = True  # the route answered: it does not know this run
            return  # the run's status read says the server does not know it, and forgets it
        except ApiError as error:
            self._fail(train_id, f"could not read the metrics history of {train_id}: {error}")
            return
        self._route_known = True
        stored = StoredHistory.from_json(body)
        if stored is None:
            self._fail(train_id, f"the metrics history of {train_id} holds no list of points")
            return
        self._read.add(train_id)
        self._failed.discard(train_id)
        if fills_gap and self._gap_from.get(train_id, after_step) == after_step:
            self._gap_from.pop(train_id, None)
        self._store.add_history(train_id, stored.points)
        self._changed()

    def _fail(self, train_id: str, problem: str) -> None:
        self._failed.add(train_id)
        self._events.add(f"{problem}; tried again when it is shown again or after the next reconnect", logging.WARNING)
