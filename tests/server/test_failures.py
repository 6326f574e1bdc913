"""The server when its own storage fails (a full disk, injected at the database call that meets it), in
process: a start that cannot be recorded leaves nothing behind, a run whose end cannot be recorded still
ends, `failed`, saying why, and shutting down never waits without a deadline.

tests/server/test_full_disk.py does the same on a real, full file system, where it may mount one.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import tf_tui.server.jobs
from tests.conftest import DEADLINE_S, ENDLESS_PARAMS, SHORT_PARAMS, trainer_processes, until
from tf_tui.server.app import create_app
from tf_tui.server.catalog import MODEL_SIZES, resolve_params
from tf_tui.server.db import Run
from tf_tui.server.jobs import JobManager, RunAlreadyEnded, RunNotStarted
from tf_tui.server.services import Services
from tf_tui.server.settings import ServerSettings
from tf_tui.server.wire import TERMINAL_STATUSES

FULL = "database or disk is full"


def refusing(refuses: Callable[[Any], bool], save: Callable[[Any], None]) -> Callable[[Any], None]:
    """`save`, raising what SQLite raises on a full disk for what `refuses` picks."""

    def refused_or_saved(record: Any) -> None:
        if refuses(record):
            raise sqlite3.OperationalError(FULL)
        save(record)

    return refused_or_saved


def new_run(**params: Any) -> Run:
    return Run(
        id=str(uuid.uuid4()),
        base_model="tiny",
        dataset_ids=["builtin-arithmetic"],
        params=resolve_params(MODEL_SIZES["tiny"], "balanced", params),
        outcome="balanced",
        status="pending",
        created_at="2026-01-01T00:00:00+00:00",
    )


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    made = Services(ServerSettings(data_dir=tmp_path, max_concurrent=1))
    yield made
    made.database.close()


@asynccontextmanager
async def served(data_dir: Path) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    """The whole app in process, its startup and shutdown included, and a client for its routes."""
    app = create_app(ServerSettings(data_dir=data_dir, max_concurrent=1))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://in-process") as client:
            yield app.state.services, client


async def test_a_start_the_database_refuses_leaves_no_job_no_slot_and_no_row(services, monkeypatch):
    jobs = services.jobs
    with monkeypatch.context() as patch:
        patch.setattr(services.database, "save_run", refusing(lambda run: True, services.database.save_run))
        with pytest.raises(RunNotStarted, match=FULL):
            jobs.submit(new_run(**ENDLESS_PARAMS))
    assert jobs.active_ids() == [] and services.database.runs() == []

    # The one slot is free: the next run starts at once rather than queue behind one that never started.
    second = new_run(**ENDLESS_PARAMS)
    jobs.submit(second)
    assert second.status == "starting" and jobs.active_ids() == [second.id]
    await asyncio.wait_for(jobs.shutdown(), DEADLINE_S)
    assert services.database.run(second.id).status == "failed"


async def test_the_start_route_answers_a_refused_start_in_words(tmp_path, monkeypatch):
    body = {"base_model": "tiny", "dataset_ids": ["builtin-arithmetic"], "params": ENDLESS_PARAMS}
    async with served(tmp_path) as (services, client):
        with monkeypatch.context() as patch:
            patch.setattr(services.database, "save_run", refusing(lambda run: True, services.database.save_run))
            refused = await client.post("/train/start", json=body)
        assert refused.status_code == 503
        assert refused.json() == {"detail": f"The server could not record the run: {FULL}; nothing was started"}
        assert (await client.get("/train/active")).json() == {"active_trainings": [], "count": 0}
        started = await client.post("/train/start", json=body)
        train_id = started.json()["train_id"]
        assert (await client.get(f"/train/status/{train_id}")).json()["status"] == "starting"
        stopped = await client.post(f"/train/stop/{train_id}")
        assert stopped.json()["status"] == "stopped"


@pytest.mark.parametrize(
    ("refused", "params"),
    [
        # The case: the run's end (`_finish`) is what the full disk refuses.
        (lambda run: run.status in TERMINAL_STATUSES, SHORT_PARAMS),
        # Every write: its progress cannot be recorded either, and it is ended at its next line.
        (lambda run: True, ENDLESS_PARAMS),
    ],
    ids=["its-end", "everything"],
)
async def test_a_run_whose_record_is_refused_ends_failed_and_says_why(services, monkeypatch, refused, params):
    jobs, hub = services.jobs, services.hub
    listener = hub.connect()
    run = new_run(**params)
    listener.subscriptions.add(run.id)
    jobs.submit(run)
    await until(lambda: run.status == "training", what="the run trains")
    with monkeypatch.context() as patch:
        patch.setattr(services.database, "save_run", refusing(refused, services.database.save_run))
        await until(lambda: run.id not in jobs.active_ids(), what="the run ends")
        ended = jobs.run(run.id)
        assert ended is not None and ended.status == "failed"
        assert "could not record" in ended.error and FULL in ended.error
        frames = [listener.outbox.get_nowait() for _ in range(listener.outbox.qsize())]
        last = [frame for frame in frames if frame["type"] == "training_update"][-1]
        assert last["data"]["status"] == "failed" and FULL in last["data"]["result"]["error"]
        with pytest.raises(RunAlreadyEnded) as already:
            await jobs.stop(run.id)
        assert already.value.status == "failed"
        assert trainer_processes(run.id) == []
    # Once the disk has room again, the end is saved with its reason.
    await jobs.shutdown()
    saved = services.database.run(run.id)
    assert saved.status == "failed" and FULL in saved.error


async def test_shutdown_gives_up_on_a_run_whose_job_hangs(services, monkeypatch):
    monkeypatch.setattr(tf_tui.server.jobs, "STOP_GRACE_S", 0.2)
    monkeypatch.setattr(tf_tui.server.jobs, "KILL_GRACE_S", 0.2)
    released = asyncio.Event()
    reap = tf_tui.server.jobs._reap

    async def hanging_reap(process: asyncio.subprocess.Process | None) -> None:
        await reap(process)
        await released.wait()  # the job's bookkeeping never gets past here

    monkeypatch.setattr(tf_tui.server.jobs, "_reap", hanging_reap)
    jobs: JobManager = services.jobs
    run = new_run(**ENDLESS_PARAMS)
    jobs.submit(run)
    await until(lambda: run.status == "training", what="the run trains")
    await asyncio.wait_for(jobs.shutdown(), DEADLINE_S / 4)
    assert trainer_processes(run.id) == []  # killed, though its job never ended
    released.set()
    await until(lambda: run.status == "failed", what="the job ends once released")


async def test_an_upload_that_cannot_be_stored_leaves_no_file(tmp_path, monkeypatch):
    async with served(tmp_path) as (services, client):
        before = sorted((tmp_path / "datasets").iterdir())
        save = services.database.save_dataset
        monkeypatch.setattr(services.database, "save_dataset", refusing(lambda dataset: True, save))
        reply = await client.post("/dataset/ingest-single", files={"file": ("notes.txt", b"A passage.\n" * 100)})
        assert reply.status_code == 503
        assert reply.json() == {"detail": f"The server could not store or read its data: {FULL}"}
        assert sorted((tmp_path / "datasets").iterdir()) == before
