"""A Session over a stand-in API and stream, handed in through its constructor (tf_tui/core/ports.py): what it
says follows its own clock and its own poll intervals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import client_settings, until
from tf_tui.base.protocol import Event, RunUpdate
from tf_tui.client.poller import PollIntervals
from tf_tui.client.stream import ConnectionState, Phase
from tf_tui.core import run_memory as run_memory_module
from tf_tui.core import state as state_module
from tf_tui.core.eventlog import Kind
from tf_tui.core.session import Session
from tf_tui.core.state import StateFile

NOW = 5_000.0


class StillApi:
    """Never called in these tests: any call is a failure of the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the API was called: {name}")


class HeldStream:
    """A stream whose state the test sets, reported to the session as a real stream would."""

    def __init__(
        self,
        *,
        on_event: Callable[[Event], None],
        on_state: Callable[[ConnectionState], None],
        on_open: Callable[[list[str]], None],
    ) -> None:
        self.state = ConnectionState(Phase.CONNECTING, attempt=1)
        self.watched: dict[str, None] = {}
        self.on_event = on_event  # a frame, as the real stream hands it over
        self._on_state = on_state

    @property
    def live(self) -> bool:
        return self.state.phase is Phase.LIVE

    def report(self, state: ConnectionState) -> None:
        self.state = state
        self._on_state(state)

    async def subscribe(self, train_id: str) -> None:
        self.watched[train_id] = None

    async def unsubscribe(self, train_id: str) -> None:
        self.watched.pop(train_id, None)

    async def run(self) -> None:
        raise AssertionError("the stream was started")


class AnsweringApi:
    """Answers every status read: a run in training; and every metrics read: no points yet."""

    async def status(self, train_id: str) -> dict[str, Any]:
        return {"status": "training", "progress": 0}

    async def metrics(self, train_id: str, after_step: int | None = None) -> dict[str, Any]:
        return {"train_id": train_id, "points": [], "downsampled": False}

    async def aclose(self) -> None:
        pass


def held_session(tmp_path: Path, api: Any = None, **options: Any) -> tuple[Session, HeldStream]:
    streams: list[HeldStream] = []

    def make_stream(**handlers: Any) -> HeldStream:
        streams.append(HeldStream(**handlers))
        return streams[-1]

    session = Session(
        client_settings("http://127.0.0.1:9", tmp_path),
        api=api or StillApi(),
        stream=make_stream,
        clock=lambda: NOW,
        **options,
    )
    return session, streams[0]


def test_the_event_log_dates_a_retry_by_the_sessions_clock(tmp_path):
    session, stream = held_session(tmp_path)
    stream.report(ConnectionState(Phase.RETRYING, attempt=2, reason="connection refused", retry_at=NOW + 4))
    assert session.events.entries[-1].text == "socket reconnecting in 4 s (attempt 3) (connection refused)"


def test_a_headless_session_keeps_no_line_and_no_point_per_update_where_a_dashboards_does(tmp_path):
    for headless, kept in ((True, 0), (False, 1)):
        session, stream = held_session(tmp_path / f"headless-{headless}", headless=headless)
        stream.on_event(RunUpdate("r1", "training", 5, {"step": 5, "loss": 1.5}))
        run = session.store.runs["r1"]
        assert (run.progress, run.details["loss"]) == (5, 1.5)
        update_lines = [entry for entry in session.events.entries if entry.kind is Kind.UPDATE]
        assert (len(update_lines), len(run.history)) == (kept, kept), f"headless={headless}"


def test_the_poll_interval_is_the_sessions_own_and_follows_the_stream(tmp_path):
    session, stream = held_session(tmp_path, poll_intervals=PollIntervals(live=40.0, down=7.0))
    stream.report(ConnectionState(Phase.LIVE))
    assert session.poll_interval == 40.0
    stream.report(ConnectionState(Phase.RETRYING, attempt=1, reason="connection refused", retry_at=NOW + 1))
    assert session.poll_interval == 7.0


MODULES_WRITING = (("memory", run_memory_module), ("state", state_module))  # the run memory, the state file


def counted_writes(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[Path]:
    """Every file `module` writes whole (`write_json_atomically`), in order, still written."""
    writes: list[Path] = []
    write = module.write_json_atomically

    def counted(path: Path, document: Any) -> None:
        writes.append(path)
        write(path, document)

    monkeypatch.setattr(module, "write_json_atomically", counted)
    return writes


async def test_watching_many_runs_writes_the_state_file_once(tmp_path, monkeypatch):
    writes = counted_writes(monkeypatch, state_module)
    session, _ = held_session(tmp_path, api=AnsweringApi())
    ids = [f"run-{number}" for number in range(200)]
    await session.watch(ids)
    assert writes == []  # remembered once the backend confirms them: their reads, one batch, one write
    await until(lambda: all(session.store.runs[train_id].status == "training" for train_id in ids), what="every read")
    await until(lambda: writes != [], what="the batch's write")
    assert len(writes) == 1
    assert StateFile(session.state.path).active(session.state_key) == ids
    await session.close()


class DatingApi(AnsweringApi):
    """Answers every status read: a run in training, with the date it was made (a fact the run memory keeps)."""

    async def status(self, train_id: str) -> dict[str, Any]:
        return {"status": "training", "progress": 0, "created_at": "2026-12-08T00:00:00"}


async def test_runs_that_end_in_one_turn_are_kept_and_unwatched_in_one_write_of_each_file(tmp_path, monkeypatch):
    writes = {name: counted_writes(monkeypatch, module) for name, module in MODULES_WRITING}
    session, stream = held_session(tmp_path, api=DatingApi())
    ids = [f"run-{number}" for number in range(20)]
    await session.watch(ids)
    await until(lambda: len(writes["state"]) == 1, what="the reads' batch remembering every run")
    for train_id in ids:  # the stream's frames of one turn: every run's end
        stream.on_event(RunUpdate(train_id, "completed", 100))
    await until(lambda: not session.stream.watched, what="every ended run unwatched")
    await until(lambda: len(writes["state"]) > 1, what="the state file's write")
    assert (len(writes["memory"]), len(writes["state"])) == (1, 2)
    assert all(session.memory.recall(train_id) is not None for train_id in ids)
    assert StateFile(session.state.path).active(session.state_key) == []
    await session.close()
