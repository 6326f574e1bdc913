"""The history reader: a bounded number of reads in flight, the backend probed by one read first, failures
said and tried again at the next reconnect only, and a reconnect's read starting where the socket dropped."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import until
from tf_tui.base.capabilities import Capabilities
from tf_tui.client.api import BackendUnreachable
from tf_tui.core.eventlog import EventLog
from tf_tui.core.history import MetricPoint
from tf_tui.core.history_reader import HistoryReader
from tf_tui.core.status_reader import MAX_READS_IN_FLIGHT
from tf_tui.core.store import RunStore


class HeldReads:
    """Metrics reads that each wait for an answer the test hands out, recording each one made."""

    def __init__(self) -> None:
        self.made: list[tuple[str, int | None]] = []
        self.answers: asyncio.Queue[dict[str, Any] | Exception] = asyncio.Queue()
        self.in_flight = 0
        self.most_in_flight = 0

    async def read(self, train_id: str, after_step: int | None) -> dict[str, Any]:
        self.made.append((train_id, after_step))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            answer = await self.answers.get()
        finally:
            self.in_flight -= 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    def answer(self, *steps: int, count: int = 1) -> None:
        for _ in range(count):
            self.answers.put_nowait({"points": [{"step": step, "loss": 1.0} for step in steps], "downsampled": False})


def reader_for(reads: HeldReads) -> tuple[HistoryReader, RunStore, EventLog]:
    store, events = RunStore(), EventLog()
    return HistoryReader(reads.read, store, Capabilities(), events, lambda: None), store, events


async def test_a_thousand_runs_are_read_a_dozen_at_a_time_after_one_alone() -> None:
    reads = HeldReads()
    reader, store, _ = reader_for(reads)
    train_ids = [f"run-{index}" for index in range(1000)]
    reading = asyncio.create_task(reader.read(train_ids))
    await until(lambda: len(reads.made) == 1, what="the first read")
    assert reads.in_flight == 1  # the others wait to learn whether the backend has the route at all
    reads.answer(1)
    await until(lambda: reads.in_flight == MAX_READS_IN_FLIGHT, what="a dozen reads in flight")
    reads.answer(1, 2, count=len(train_ids) - 1)
    await reading
    assert reads.most_in_flight == MAX_READS_IN_FLIGHT and len(reads.made) == len(train_ids)
    assert all(store.runs[train_id].history.from_backend for train_id in train_ids)


async def test_a_failed_read_is_said_and_tried_again_at_the_next_reconnect_only() -> None:
    reads = HeldReads()
    reader, store, events = reader_for(reads)
    reads.answers.put_nowait(BackendUnreachable("GET /train/metrics/r1: cannot reach it"))
    await reader.read(["r1"])
    assert not store.ensure("r1").history.from_backend
    assert "could not read the metrics history of r1" in events.entries[-1].text
    await reader.catch_up(["r2"])  # a run never read is not the reconnect's to read
    reads.answer(1, 2)
    await reader.catch_up(["r1"])
    assert reads.made == [("r1", None), ("r1", None)]
    assert [point.step for point in store.ensure("r1").history.points] == [1, 2]


async def test_after_a_drop_only_the_steps_since_are_read_and_a_reconnect_without_a_drop_reads_nothing() -> None:
    reads = HeldReads()
    reader, store, _ = reader_for(reads)
    reads.answer(1, 2)
    await reader.read(["r1"])
    await reader.catch_up(["r1"])  # the first open: nothing was missed
    store.ensure("r1").history.add(MetricPoint(3, loss=1.0))  # heard live
    reader.socket_dropped(["r1"])
    store.ensure("r1").history.add(MetricPoint(9, loss=1.0))  # a status poll while the socket is down
    reads.answer(4, 5, 9)
    await reader.catch_up(["r1"])
    await reader.catch_up(["r1"])  # the gap is filled: nothing more to read
    assert reads.made == [("r1", None), ("r1", 3)]
    assert [point.step for point in store.ensure("r1").history.points] == [1, 2, 3, 4, 5, 9]
