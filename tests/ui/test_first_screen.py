"""The first screen: the runs the last dashboard showed, painted before anything answers, marked unconfirmed
until the backend does; then the live rows."""

from __future__ import annotations

import asyncio
import json

from rich.style import Style

from tests.conftest import client_settings
from tests.proxy import socket_gate
from tests.scripted_backend import running_backend
from tests.ui.screen import row_on_screen, shown_in, until
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.identity import backend_key
from tf_tui.core.screen_snapshot import screen_snapshot_path
from tf_tui.core.state import StateFile
from tf_tui.core.store import RunState, RunStore, Source
from tf_tui.ui.app import make_app
from tf_tui.ui.widgets.header import StatusHeader
from tf_tui.ui.widgets.run_row import UNCONFIRMED_MARK, row_text

SIZE = (110, 30)
GONE = "0badc0de-0000-4000-8000-000000000000"  # a run the server does not know (any more)


def remember(settings, *rows: dict) -> None:
    """A snapshot as a previous dashboard left it beside the state file."""
    document = {"version": 1, "backends": {backend_key(settings.url): list(rows)}}
    screen_snapshot_path(settings.state_file).write_text(json.dumps(document))


def row(train_id: str, progress: int) -> dict:
    return {"train_id": train_id, "status": "training", "progress": progress, "base_model": "tiny"}


async def test_the_first_screen_shows_the_remembered_runs_before_any_connection(tmp_path):
    settings = client_settings("http://127.0.0.1:9", tmp_path)
    remember(settings, row("3f2a9c1e-0000-4000-8000-000000000000", 37))
    app = make_app(settings, connect=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "3f2a9c1e" in row_on_screen(app, "3f2a9c1e-0000-4000-8000-000000000000"), "row")
        shown = row_on_screen(app, "3f2a9c1e-0000-4000-8000-000000000000")
        assert shown.startswith(f"{UNCONFIRMED_MARK}3f2a9c1e tiny training") and "37%" in shown
        assert "connecting" in shown_in(app, app.query_one(StatusHeader))


def test_a_remembered_row_is_dim_until_a_report_of_it_comes():
    store = RunStore()
    run = RunState("3f2a9c1e-0000-4000-8000-000000000000", status="training", progress=37, from_snapshot=True)
    store.restore(run)
    dim = row_text(run, 100, 0.0, no_color=True)
    assert any(span.style == "dim" and (span.start, span.end) == (0, len(dim)) for span in dim.spans)
    store.await_read(run.train_id)  # a listing names it: confirmed, yet what the row shows is still remembered
    assert row_text(run, 100, 0.0, no_color=True).spans == dim.spans
    store.apply(RunUpdate(run.train_id, "training", 38), Source.RESYNC, 1.0)
    live = row_text(run, 100, 0.0, no_color=True)
    assert not any(Style.parse(str(span.style)).dim and span.end - span.start == len(live) for span in live.spans)


async def test_remembered_rows_wait_for_the_backend_then_give_way_to_the_live_ones(server, endless_run, tmp_path):
    train_id = await endless_run()
    async with socket_gate(server.port) as gate:
        gate.hold_http = asyncio.Event()  # the backend answers nothing yet
        settings = client_settings(gate.url, tmp_path)
        remember(settings, row(train_id, 1), row(GONE, 50))
        app = make_app(settings)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: gate.held_http > 0, "the listing waits at the gate")
            for remembered in (train_id, GONE):
                assert row_on_screen(app, remembered).startswith(f"{UNCONFIRMED_MARK}{remembered[:8]}")
            gate.hold_http.set()
            await until(pilot, lambda: row_on_screen(app, GONE) == "", "the run the server does not list goes")
            # The mark is gone (the row reads from its id on: shown_in drops the blank first column).
            await until(pilot, lambda: row_on_screen(app, train_id).startswith(train_id[:8]), "confirmed")
            assert "training" in row_on_screen(app, train_id)


async def test_the_remembered_runs_are_read_before_the_machine_line_and_the_selected_run_s_story(tmp_path):
    # The status reads are what turn the remembered rows live: nothing else the start asks goes before them.
    async with running_backend() as backend:
        remembered = [f"{index:08x}-0000-4000-8000-000000000000" for index in range(3)]
        for train_id in remembered:
            backend.status_bodies[train_id] = {
                "status": "training",
                "progress": 10,
                "started_at": "2026-11-29T01:00:00",
            }
        settings = client_settings(backend.url, tmp_path)
        StateFile(settings.state_file).add_many(settings.state_key, remembered)
        remember(settings, *(row(train_id, 5) for train_id in remembered))
        app = make_app(settings)
        asked: list[str] = []
        api = app.session.api
        for name in ("status", "environment", "metrics"):
            monkeypatch_call(api, name, asked)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: {"environment", "metrics"} <= set(asked), "the machine and the story read")
        first_other = min(asked.index("environment"), asked.index("metrics"))
        assert asked[:first_other].count("status") >= len(remembered)


def monkeypatch_call(api: object, name: str, asked: list[str]) -> None:
    """Each call of the API's method `name` noted in `asked`, in the order made."""
    method = getattr(api, name)

    def noted(*args: object, **options: object) -> object:
        asked.append(name)
        return method(*args, **options)

    setattr(api, name, noted)
