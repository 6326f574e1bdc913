"""FirstReads: the first status read of each run a listing named, those in view first, the rest at a bounded pace.

The deployed backend's `/train/active` names every run since its process started, ended ones too: with
2,000 of them every launch read 2,000 statuses before the first rows settled, though a screen shows a few
dozen. So a listed run is read once, in this order:

- the runs a view says it shows (`prioritise`), at once, `FirstReadPace.in_view_in_flight` at a time: a
  view that scrolled on is read where it is now, not where it was. A screenful goes at once, and then no
  more than `FirstReadPace.in_view_per_second`: a read can move its row (up, out of the runs not read yet,
  which every order puts last) and bring another into view to be read, and so on down the list, while the
  view shows runs not read yet;
- then the others newest first (the last listed first), a trickle of `FirstReadPace.per_second` reads, at
  most `FirstReadPace.trickle_in_flight` at a time, until every one was read.

Until a view says what it shows, the newest `FirstReadPace.in_view_default` runs count as shown: a screenful
of the list, which is newest first. No I/O of its own: `read` makes the read and takes what follows from it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

Read = Callable[[str], Awaitable[None]]  # one run's first status read, and what follows from it
Pace = Callable[[], Awaitable[None]]  # waited before each read: its rate
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """`take` returns at once while `burst` takes are left, then one per `per_second`th of a second."""

    def __init__(
        self,
        burst: int,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._burst, self._per_second = burst, per_second
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._at = clock()
        self._turn = asyncio.Lock()  # one reader waits at a time, so the readers together keep the rate

    async def take(self) -> None:
        async with self._turn:
            self._refill()
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self._per_second)
                self._refill()
            self._tokens -= 1

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self._burst), self._tokens + (now - self._at) * self._per_second)
        self._at = now


@dataclass(frozen=True)
class FirstReadPace:
    """How fast listed runs are read: those in view at once, a bounded number at a time; the rest at a rate."""

    in_view_in_flight: int = 8
    in_view_default: int = 40  # runs taken as in view until a view says which it shows: a tall screen's rows
    in_view_per_second: float = 40.0  # after a first screenful at once: a screenful a second while scrolling
    per_second: float = 20.0  # 10,000 ended runs read in eight minutes, a light load on any backend
    trickle_in_flight: int = 2

    def in_view_pace(self) -> Pace:
        return TokenBucket(self.in_view_default, self.in_view_per_second).take

    def trickle_pace(self) -> Pace:
        return TokenBucket(1, self.per_second).take


class FirstReads:
    """Owns which listed runs are still to be read, in which order, and which of them a view shows.

    `run` reads them until cancelled (a task its owner supervises); `add` and `prioritise` say what to read.
    """

    def __init__(
        self,
        read: Read,
        pace: FirstReadPace | None = None,
        *,
        trickle_pace: Pace | None = None,
        in_view_pace: Pace | None = None,
    ) -> None:
        """`trickle_pace` and `in_view_pace` replace the pace's own rates (a test releases reads one by one)."""
        self._read = read
        self.pace = pace or FirstReadPace()
        self._trickle_pace = trickle_pace or self.pace.trickle_pace()
        self._in_view_pace = in_view_pace or self.pace.in_view_pace()
        self._pending: set[str] = set()  # to be read, not yet taken by a reader
        self._newest_first: deque[str] = deque()  # the order of the trickle; ids no longer pending are skipped
        self._in_view: list[str] = []  # what the view shows, in its order
        self._view_said = False
        self._reading: set[str] = set()
        self._work = asyncio.Event()  # something may be ready to read

    @property
    def pending(self) -> int:
        """How many listed runs are still to be read (those being read not counted)."""
        return len(self._pending)

    def waiting(self, train_id: str) -> bool:
        """Whether the run is still to be read, or being read."""
        return train_id in self._pending or train_id in self._reading

    def add(self, listed: Iterable[str]) -> None:
        """Runs to read once, as a listing gives them, oldest first: the last of them is read first, after
        those in view. A run already waiting keeps its place."""
        for train_id in listed:
            if not self.waiting(train_id):
                self._pending.add(train_id)
                self._newest_first.appendleft(train_id)
        if not self._view_said and not self._in_view:  # the first listing's newest: later ones add no screenful
            self._in_view = self._newest(self.pace.in_view_default)
        self._work.set()

    def prioritise(self, train_ids: Iterable[str]) -> None:
        """The runs a view shows now, top first: these are read next, before any other. Each call replaces the
        last one's runs: those scrolled out of view go back to the trickle."""
        self._view_said = True
        self._in_view = list(dict.fromkeys(train_ids))
        self._work.set()

    def discard(self, train_id: str) -> None:
        """A run no longer to be read here: something else read it (a watch's resync), or it is gone."""
        self._pending.discard(train_id)

    async def run(self) -> None:
        """Read until cancelled: the in-view readers and the trickle's, each taking the next run as it is free."""
        readers = [self._in_view_reader() for _ in range(self.pace.in_view_in_flight)]
        readers += [self._trickle_reader() for _ in range(self.pace.trickle_in_flight)]
        await asyncio.gather(*readers)

    async def _in_view_reader(self) -> None:
        while True:
            if not any(each in self._pending for each in self._in_view):
                await self._idle()
                continue
            await self._in_view_pace()
            # Chosen after the wait: the view may have moved on meanwhile.
            train_id = next((each for each in self._in_view if each in self._pending), None)
            if train_id is not None:
                await self._take(train_id)

    async def _trickle_reader(self) -> None:
        while True:
            if not self._pending:
                await self._idle()
                continue
            await self._trickle_pace()
            train_id = self._next_newest()
            if train_id is not None:
                await self._take(train_id)

    async def _idle(self) -> None:
        """Until `add` or `prioritise` says there is more to read."""
        self._work.clear()
        await self._work.wait()

    def _next_newest(self) -> str | None:
        while self._newest_first:
            train_id = self._newest_first.popleft()
            if train_id in self._pending:
                return train_id
        return None

    def _newest(self, count: int) -> list[str]:
        newest: list[str] = []
        for train_id in self._newest_first:
            if len(newest) == count:
                break
            if train_id in self._pending:
                newest.append(train_id)
        return newest

    async def _take(self, train_id: str) -> None:
        self._pending.discard(train_id)
        self._reading.add(train_id)
        try:
            await self._read(train_id)
        finally:
            self._reading.discard(train_id)
