"""FirstReads on its own: which listed run is read when. Reads are recorded, and finish when the test says;
the trickle's pace is a gate the test opens, so nothing here depends on the machine's speed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.conftest import until
from tf_tui.core.first_reads import FirstReadPace, FirstReads, TokenBucket


class Trickle:
    """The trickle's pace, held until `release(n)` lets n more reads through (or `open()` lets all)."""

    def __init__(self) -> None:
        self._allowed = 0
        self._open = False
        self._changed = asyncio.Condition()

    async def pace(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._open or self._allowed > 0)
            self._allowed -= 0 if self._open else 1

    async def release(self, count: int) -> None:
        async with self._changed:
            self._allowed += count
            self._changed.notify_all()

    async def open(self) -> None:
        async with self._changed:
            self._open = True
            self._changed.notify_all()


class Reads:
    """Every read asked for, in order; each finishes at once unless `hold` keeps it in flight."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.hold = asyncio.Event()
        self.hold.set()

    async def __call__(self, train_id: str) -> None:
        self.made.append(train_id)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.hold.wait()
        finally:
            self.in_flight -= 1


RUNS = [f"run-{index:03d}" for index in range(200)]  # as a listing gives them: oldest first
PACE = FirstReadPace(in_view_in_flight=4, in_view_default=10, trickle_in_flight=2)


@asynccontextmanager
async def reading(reads: Reads, trickle: Trickle) -> AsyncIterator[FirstReads]:
    first_reads = FirstReads(reads, PACE, trickle_pace=trickle.pace)
    task = asyncio.create_task(first_reads.run())
    try:
        yield first_reads
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_until_a_view_says_what_it_shows_the_newest_screenful_is_read_and_nothing_more():
    reads, trickle = Reads(), Trickle()
    async with reading(reads, trickle) as first_reads:
        first_reads.add(RUNS)
        await until(lambda: len(reads.made) == PACE.in_view_default, what="the newest screenful read")
        newest = RUNS[::-1][: PACE.in_view_default]
        assert reads.made == newest
        assert first_reads.pending == len(RUNS) - PACE.in_view_default  # the trickle is held: no other read
        await trickle.release(3)
        await until(lambda: len(reads.made) == PACE.in_view_default + 3, what="three reads of the trickle")
        assert reads.made[-3:] == RUNS[::-1][PACE.in_view_default : PACE.in_view_default + 3]  # newest first


async def test_the_runs_in_view_are_read_first_and_a_new_view_replaces_the_old_one():
    reads, trickle = Reads(), Trickle()
    async with reading(reads, trickle) as first_reads:
        first_reads.prioritise(RUNS[50:60])
        first_reads.add(RUNS)
        await until(lambda: len(reads.made) == 10, what="the view's runs read")
        assert sorted(reads.made) == RUNS[50:60]
        first_reads.prioritise([*RUNS[55:60], *RUNS[0:5]])  # scrolled: five of those shown are read already
        await until(lambda: len(reads.made) == 15, what="the new view's runs read")
        assert reads.made[10:] == RUNS[0:5]
        assert first_reads.pending == len(RUNS) - 15


async def test_reads_in_view_and_of_the_trickle_are_each_bounded_in_flight():
    reads, trickle = Reads(), Trickle()
    reads.hold.clear()
    async with reading(reads, trickle) as first_reads:
        first_reads.prioritise(RUNS[:40])
        first_reads.add(RUNS)
        await trickle.open()
        await until(lambda: reads.in_flight == PACE.in_view_in_flight + PACE.trickle_in_flight, what="reads out")
        reads.hold.set()
        await until(lambda: first_reads.pending == 0 and reads.in_flight == 0, what="every run read")
    assert reads.most_in_flight == PACE.in_view_in_flight + PACE.trickle_in_flight
    assert sorted(reads.made) == RUNS  # each once


async def test_a_run_read_another_way_is_not_read_and_one_listed_again_is_read_once():
    reads, trickle = Reads(), Trickle()
    async with reading(reads, trickle) as first_reads:
        first_reads.prioritise([])  # a view showing nothing: only the trickle reads
        first_reads.add(RUNS[:5])
        first_reads.discard(RUNS[4])  # a watch's resync reads it
        first_reads.add(RUNS[:4])  # the next listing names the others again, still waiting: they keep their place
        await trickle.open()
        await until(lambda: first_reads.pending == 0 and reads.in_flight == 0, what="the rest read")
    assert reads.made == RUNS[3::-1]


async def test_a_view_that_moves_on_as_its_rows_are_read_is_read_no_faster_than_its_pace():
    """A read can move its row out of view (a list sorted by date, status or loss) and bring the next row
    into view, whose read moves it on in turn: the in-view pace bounds that chain."""
    reads, trickle, in_view = Reads(), Trickle(), Trickle()

    async def read_and_move_on(train_id: str) -> None:
        await reads(train_id)
        first_reads.prioritise(RUNS[len(reads.made) : len(reads.made) + 10])  # the rows now in view

    first_reads = FirstReads(read_and_move_on, PACE, trickle_pace=trickle.pace, in_view_pace=in_view.pace)
    task = asyncio.create_task(first_reads.run())
    try:
        first_reads.prioritise(RUNS[:10])
        first_reads.add(RUNS)
        await in_view.release(15)
        await until(lambda: len(reads.made) == 15, what="fifteen reads in view")
        assert first_reads.pending == len(RUNS) - 15  # both paces held: no other read
        assert reads.made == RUNS[:15]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_token_bucket_lets_a_burst_through_then_one_take_per_interval():
    now, slept = [0.0], []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    bucket = TokenBucket(3, 10.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        await bucket.take()
    assert slept == [0.1, 0.1]  # three at once, then a tenth of a second each
    now[0] += 1.0  # a quiet second refills the burst, no more
    for _ in range(4):
        await bucket.take()
    assert slept == [0.1, 0.1, 0.1]
