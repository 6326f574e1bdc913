"""A dashboard's session on a backend listing 500 runs, as the deployed backend lists every run since it
started, ended ones too: the runs in view are read first, the others a trickle the test lets through, each
run is read once, and only the runs found going are subscribed. A scripted backend over real sockets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import FAST_BACKOFF, client_settings, until
from tests.core.test_first_reads import Trickle
from tests.scripted_backend import ScriptedBackend, running_backend
from tf_tui.base.protocol import subscribe_frame
from tf_tui.core.first_reads import FirstReadPace, FirstReads, Read
from tf_tui.core.session import Session
from tf_tui.ui.style import status_text

LISTED = 500
STARTED = "2026-11-29T01:00:00"
PACE = FirstReadPace(in_view_in_flight=4, in_view_default=30, trickle_in_flight=2)


def run_id(index: int) -> str:
    return f"{index:08x}-0000-4000-8000-000000000000"


GOING = {run_id(index) for index in (480, 120)}  # one among the newest, one among the oldest


@pytest.fixture
async def backend() -> AsyncIterator[ScriptedBackend]:
    async with running_backend() as scripted:
        for index in range(LISTED):
            train_id = run_id(index)
            going = train_id in GOING
            status = "training" if going else "completed"
            scripted.status_bodies[train_id] = {"status": status, "progress": 40, "started_at": STARTED}
        yield scripted


@pytest.fixture
def trickle() -> Trickle:
    return Trickle()


@pytest.fixture
async def session(backend: ScriptedBackend, trickle: Trickle, tmp_path: Path) -> AsyncIterator[Session]:
    """A dashboard's session (following every run), its trickle held by `trickle`."""

    def first_reads(read: Read) -> FirstReads:
        return FirstReads(read, PACE, trickle_pace=trickle.pace)

    session = Session(client_settings(backend.url, tmp_path), backoff=FAST_BACKOFF, first_reads=first_reads)
    await session.open(follow_all=True)
    try:
        yield session
    finally:
        await session.close()


def subscribed(backend: ScriptedBackend) -> list[str]:
    frames = [json.loads(text) for text in backend.received]
    return [frame["train_id"] for frame in frames if frame.get("type") == "subscribe_training"]


async def test_the_runs_in_view_are_read_first_then_the_rest_once_each_and_only_going_runs_subscribed(
    backend, session, trickle
):
    listed = await session.refresh_listing(watch_active=True)
    assert len(listed) == LISTED
    # Every listed run is in the store at once, marked as not read yet.
    assert sum(1 for run in session.store.runs.values() if run.unread) == LISTED
    assert status_text(session.store.runs[run_id(7)]).plain == "not read yet"

    in_view = [run_id(index) for index in range(100, 125)]  # the user scrolled to older runs
    session.prioritise(in_view)
    await until(lambda: all(not session.store.runs[each].unread for each in in_view), what="the view read")
    # The trickle is held: nothing but the view was read; the going run in it is subscribed, and read again.
    await until(lambda: subscribed(backend) == [run_id(120)], what="the going run in view subscribed")
    await until(lambda: backend.status_reads.count(run_id(120)) == 2, what="its read after subscribing")
    assert sorted(backend.status_reads) == sorted([*in_view, run_id(120)])

    await trickle.release(5)
    await until(lambda: len(set(backend.status_reads)) == len(in_view) + 5, what="five reads of the trickle")
    newest = [run_id(index) for index in range(LISTED - 1, LISTED - 6, -1)]
    assert set(backend.status_reads) - set(in_view) == set(newest)

    await trickle.open()
    await until(lambda: not any(run.unread for run in session.store.runs.values()), what="every run read")
    await until(lambda: len(subscribed(backend)) == len(GOING), what="the other going run subscribed")
    await until(lambda: len(backend.status_reads) == LISTED + len(GOING), what="its read after subscribing")
    assert sorted(backend.status_reads) == sorted([*listed, *GOING])  # once each, and the going ones again
    assert sorted(subscribed(backend)) == sorted(GOING)
    assert backend.received.count(subscribe_frame(run_id(480))) == 1
    assert sorted(session.watched) == sorted(GOING)
    assert session.memory.recall(run_id(7)) is None  # what a read taught is kept at the next listing
    await session.refresh_listing(watch_active=True)
    assert session.memory.recall(run_id(7)).started_at == STARTED


async def test_until_the_view_says_what_it_shows_the_newest_are_read_and_no_other(backend, session, trickle):
    await session.refresh_listing(watch_active=True)
    newest = {run_id(index) for index in range(LISTED - PACE.in_view_default, LISTED)}
    await until(lambda: all(not session.store.runs[each].unread for each in newest), what="the newest read")
    assert set(backend.status_reads) == newest
    assert session.reads_pending == LISTED - len(newest)
    # The next listing reads neither what was read nor another screenful: only the trickle goes on.
    await session.refresh_listing(watch_active=True)
    await trickle.release(1)
    await until(lambda: len(set(backend.status_reads)) == len(newest) + 1, what="one read of the trickle")
    assert set(backend.status_reads) - newest == {run_id(LISTED - len(newest) - 1)}
    assert session.reads_pending == LISTED - len(newest) - 1
