"""What tf-tui knew of a run survives a relaunch where the deployed backend forgets it, and `status` reads as the
dashboard does: against a scripted backend that lists only its five newest runs in `/dashboard`."""

from __future__ import annotations

import io
import json

import pytest

from tests.conftest import DEADLINE_S, FAST_BACKOFF, client_settings
from tests.scripted_backend import RECENT_RUNS, running_backend
from tf_tui.base.exit_codes import ExitCode
from tf_tui.core.session import Session
from tf_tui.core.store import Outcome
from tf_tui.headless.commands import follow, show_status
from tf_tui.headless.output import JsonLines


@pytest.fixture
async def backend():
    async with running_backend() as scripted:
        yield scripted


def relaunched(url: str, directory) -> Session:
    """A new tf-tui process's session: it knows only what its files keep."""
    return Session(client_settings(url, directory), backoff=FAST_BACKOFF, headless=True)


async def start_then_bury(backend, directory) -> str:
    """A run tf-tui started, which completed and then fell out of `/dashboard`'s five newest."""
    async with relaunched(backend.url, directory).without_stream() as session:
        first = await session.start("tiny", ["d"], params={"max_steps": 40}, outcome="quality")
        for _ in range(RECENT_RUNS):
            await session.start("small", ["d"], params={})
    backend.status_bodies[first.train_id] = {
        "status": "completed",
        "progress": 95,
        "started_at": "2026-11-29T01:00:00",
        "completed_at": "2026-11-29T01:00:10",
        "result": {"model_path": "/models/x"},
    }
    return first.train_id


async def status_records(url: str, directory) -> list[dict[str, object]]:
    out = io.StringIO()
    async with relaunched(url, directory).without_stream() as session:
        assert await show_status(session, as_json=True, out=out) == ExitCode.OK
    return json.loads(out.getvalue())


async def test_status_after_a_relaunch_names_the_model_and_creation_of_a_run_the_dashboard_no_lists(backend, tmp_path):
    train_id = await start_then_bury(backend, tmp_path)
    record = next(record for record in await status_records(backend.url, tmp_path) if record["train_id"] == train_id)
    assert record["base_model"] == "tiny"
    assert record["created_at"] is not None


async def test_watch_json_after_a_relaunch_names_the_model_of_a_run_tf_tui_started(backend, tmp_path):
    train_id = await start_then_bury(backend, tmp_path)
    out = io.StringIO()
    async with relaunched(backend.url, tmp_path) as session:
        assert await follow(session, [train_id], JsonLines(out), timeout=DEADLINE_S) == ExitCode.OK
    [record] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (record["base_model"], record["outcome"]) == ("tiny", Outcome.COMPLETED.value)
    assert record["created_at"] is not None


async def test_status_lists_the_newest_run_first(backend, tmp_path):
    async with relaunched(backend.url, tmp_path).without_stream() as session:
        started = [(await session.start("tiny", ["d"], params={})).train_id for _ in range(3)]
    for number, train_id in enumerate(started):  # each made a minute after the one before
        backend.created[train_id]["created_at"] = f"2026-11-29T01:0{number}:00"
    listed = [record["train_id"] for record in await status_records(backend.url, tmp_path)]
    assert listed == list(reversed(started))


async def test_status_shows_a_failed_runs_progress_as_the_server_says_it(backend, tmp_path):
    async with relaunched(backend.url, tmp_path).without_stream() as session:
        train_id = (await session.start("tiny", ["unknown-dataset"], params={})).train_id
    # The deployed backend: a run that failed at once reads 0 % from its status endpoint, and /dashboard
    # lists it with no progress at all.
    backend.status_bodies[train_id] = {"status": "failed", "progress": 0, "error": "Invalid or empty training dataset"}
    out = io.StringIO()
    async with relaunched(backend.url, tmp_path).without_stream() as session:
        assert await show_status(session, as_json=False, out=out) == ExitCode.OK
    [row] = [line for line in out.getvalue().splitlines() if train_id[:8] in line]
    assert " 0%" in row and "?%" not in row
