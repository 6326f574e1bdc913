"""The status reader: one read of a run at a time, and a resync asked for meanwhile made after it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from tests.conftest import until
from tf_tui.core.status_reader import StatusReader
from tf_tui.core.store import Source


class HeldReads:
    """A fetch whose reads wait until the test lets them answer, recording each one made."""

    def __init__(self) -> None:
        self.made: list[tuple[str, Source]] = []
        self.answer = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def fetch(self, train_id: str, source: Source) -> None:
        self.made.append((train_id, source))
        await self.answer.wait()

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self.tasks.append(asyncio.create_task(work, name=name))


async def poll_in_flight(reader: StatusReader) -> asyncio.Task[None]:
    """A poll of run r1, started and held in flight."""
    first = asyncio.create_task(reader.read("r1", Source.POLL))
    await until(lambda: reader.in_flight == {"r1"}, what="the first read in flight")
    return first


async def test_a_read_asked_for_twice_at_once_is_made_once():
    reads = HeldReads()
    reader = StatusReader(reads.fetch, reads.spawn)
    first = await poll_in_flight(reader)
    await reader.read("r1", Source.POLL)  # returns at once: the read in flight answers it
    reads.answer.set()
    await first
    assert reads.made == [("r1", Source.POLL)]
    assert reader.in_flight == set() and reads.tasks == []


async def test_a_resync_asked_for_during_a_read_is_made_once_after_it():
    reads = HeldReads()
    reader = StatusReader(reads.fetch, reads.spawn)
    first = await poll_in_flight(reader)
    await reader.read("r1", Source.RESYNC)
    await reader.read("r1", Source.RESYNC)  # two resyncs asked for: one read made again
    assert reads.made == [("r1", Source.POLL)]
    reads.answer.set()
    await first
    await asyncio.gather(*reads.tasks)
    assert reads.made == [("r1", Source.POLL), ("r1", Source.RESYNC)]
    assert len(reads.tasks) == 1 and reader.in_flight == set()


async def test_reads_of_other_runs_are_not_held_back():
    reads = HeldReads()
    reader = StatusReader(reads.fetch, reads.spawn)
    both = asyncio.gather(reader.read("r1", Source.RESYNC), reader.read("r2", Source.RESYNC))
    await until(lambda: reader.in_flight == {"r1", "r2"}, what="both reads in flight")
    reads.answer.set()
    await both
    assert sorted(reads.made) == [("r1", Source.RESYNC), ("r2", Source.RESYNC)] and reads.tasks == []


async def test_the_read_again_is_made_even_when_the_read_in_flight_fails():
    made: list[Source] = []
    tasks: list[asyncio.Task[None]] = []
    release = asyncio.Event()

    async def failing_once(train_id: str, source: Source) -> None:
        made.append(source)
        if len(made) == 1:
            await release.wait()
            raise RuntimeError("a bug in handling the answer")

    reader = StatusReader(failing_once, lambda work, name: tasks.append(asyncio.create_task(work, name=name)))
    first = await poll_in_flight(reader)
    await reader.read("r1", Source.RESYNC)
    release.set()
    assert isinstance((await asyncio.gather(first, return_exceptions=True))[0], RuntimeError)
    await asyncio.gather(*tasks)
    assert made == [Source.POLL, Source.RESYNC] and reader.in_flight == set()


async def test_a_cancelled_read_still_leaves_its_resync_to_be_made():
    reads = HeldReads()
    reader = StatusReader(reads.fetch, reads.spawn)
    first = await poll_in_flight(reader)
    await reader.read("r1", Source.RESYNC)
    first.cancel()
    assert isinstance((await asyncio.gather(first, return_exceptions=True))[0], asyncio.CancelledError)
    assert len(reads.tasks) == 1
    reads.answer.set()
    await asyncio.gather(*reads.tasks)
    assert reads.made == [("r1", Source.POLL), ("r1", Source.RESYNC)]


async def test_no_more_than_the_bound_of_reads_are_in_flight_and_every_run_is_read():
    reads = HeldReads()
    sending: set[str] = set()
    most_at_once = 0

    async def fetch(train_id: str, source: Source) -> None:
        nonlocal most_at_once
        sending.add(train_id)
        most_at_once = max(most_at_once, len(sending))
        await reads.fetch(train_id, source)
        sending.discard(train_id)

    reader = StatusReader(fetch, reads.spawn, max_in_flight=4)
    ids = [f"r{number}" for number in range(40)]
    everything = asyncio.gather(*(reader.read(train_id, Source.RESYNC) for train_id in ids))
    await until(lambda: len(reads.made) == 4, what="the first four reads sent")
    assert len(sending) == 4 and reader.in_flight == set(ids)  # the others wait for a slot, unsent
    reads.answer.set()
    await everything
    assert most_at_once == 4
    assert sorted(train_id for train_id, _ in reads.made) == sorted(ids)
