"""The dashboard driven with keys through Textual's pilot, against the real reference server."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from textual.widgets import Input, SelectionList

from tests.conftest import DEADLINE_S, FAST_BACKOFF, SHORT_PARAMS, client_settings, start_run
from tests.proxy import socket_gate
from tests.scripted_backend import running_backend
from tests.ui.screen import screen_text, until_shown
from tf_tui.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.screens.start import StartScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.header import StatusHeader
from tf_tui.ui.widgets.run_row import RunRow
from tf_tui.ui.widgets.runs_list import RunsList

SIZE = (110, 32)


def dashboard(url: str, directory) -> TfTuiApp:
    return TfTuiApp(Session(client_settings(url, directory), backoff=FAST_BACKOFF))


async def until(pilot, condition, what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not true within {timeout} s: {what}"
        await pilot.pause(0.05)


def row_texts(app: TfTuiApp) -> dict[str, str]:
    return {row.run.train_id: row.render().plain for row in app.query(RunRow)}


def header(app: TfTuiApp) -> str:
    return str(app.query_one(StatusHeader).render())


def status_of(app: TfTuiApp, train_id: str) -> str | None:
    run = app.session.store.runs.get(train_id)
    return None if run is None else run.status


async def watch_until_training(app: TfTuiApp, pilot, train_id: str) -> None:
    await app.session.watch([train_id])
    await until(pilot, lambda: status_of(app, train_id) == "training", "training")


async def test_start_a_run_with_keys_and_watch_it_finish(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "live" in header(app), "the socket is live")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StartScreen), "the start dialog")
        dialog = app.screen
        await until(pilot, lambda: dialog.query_one(SelectionList).option_count >= 3, "the choices load")
        await pilot.press("tab", "tab")  # datasets -> outcome -> steps
        assert dialog.query_one("#steps", Input).has_focus
        await pilot.press(*"2500", "enter")
        await until(pilot, lambda: not isinstance(app.screen, StartScreen), "the dialog closes")

        train_id = app.query_one(RunsList).selected_id
        assert train_id is not None
        assert f"subscribing to {train_id}" in [entry.text for entry in app.session.events.entries]
        await until(pilot, lambda: status_of(app, train_id) == "completed", "the run completes")
        await pilot.pause(0.2)
        row = row_texts(app)[train_id]
        assert "completed" in row and "100%" in row and "2500/2500" in row
        assert app.session.counters["frames.RunUpdate"] >= 3
        assert not app.session.state.active(server.url)


async def test_the_dialog_keeps_what_was_typed_when_the_server_refuses(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StartScreen), "the start dialog")
        dialog = app.screen
        await until(pilot, lambda: dialog.query_one(SelectionList).option_count >= 3, "the choices load")
        await pilot.press("tab", "tab", "tab", *"5", "enter")  # learning rate 5: refused locally
        error = str(dialog.query_one("#start-error").render())
        assert "learning rate" in error and "Must be between" in error
        assert isinstance(app.screen, StartScreen)
        assert dialog.query_one("#learning-rate", Input).value == "5"
        await pilot.press("escape")
        assert not isinstance(app.screen, StartScreen)


async def test_stop_asks_first_and_defaults_to_no(server, endless_run, tmp_path):
    train_id = await endless_run()
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await watch_until_training(app, pilot, train_id)
        await until(pilot, lambda: train_id in row_texts(app), "its row")
        app.query_one(RunsList).select(train_id)
        for decline in ("n", "enter", "escape"):
            await pilot.press("x")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press(decline)
            assert not isinstance(app.screen, ConfirmScreen)
        assert status_of(app, train_id) == "training"

        await pilot.press("x", "y")
        await until(pilot, lambda: status_of(app, train_id) == "stopped", "the run stops")
        assert app.check_action("stop", ()) is None  # stop is dimmed for an ended run


async def test_a_relaunch_picks_up_the_active_run(server, endless_run, tmp_path):
    train_id = await endless_run()
    first = dashboard(server.url, tmp_path)
    async with first.run_test(size=SIZE) as pilot:
        await watch_until_training(first, pilot, train_id)
    relaunched = dashboard(server.url, tmp_path)
    async with relaunched.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: status_of(relaunched, train_id) == "training", "restored and resynced")
        assert relaunched.query_one(RunsList).selected_id == train_id
        assert train_id in relaunched.session.watched


async def test_the_header_follows_an_outage_while_the_run_keeps_updating(server, http, tmp_path):
    train_id = await start_run(http, model="tiny", max_steps=8000, batch_size=32)
    async with socket_gate(server.port) as gate:
        app = dashboard(gate.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await app.session.watch([train_id])
            await until(pilot, lambda: "live" in header(app), "live")
            gate.refuse_websockets = True
            gate.cut_websockets()
            await until(pilot, lambda: "reconnecting" in header(app), "the header says reconnecting")
            assert "polling every 5 s (socket down)" in header(app)
            progress = app.session.store.runs[train_id].progress or 0
            gate.refuse_websockets = False
            await until(pilot, lambda: "live" in header(app), "live again")
            await until(
                pilot, lambda: (app.session.store.runs[train_id].progress or 0) > progress, "the run keeps updating"
            )


async def test_an_unwritable_state_file_is_said_once_in_the_header_and_the_event_log(server, http, tmp_path):
    settings = replace(client_settings(server.url, tmp_path), state_file=Path("/proc/tf-tui-test/state.json"))
    app = TfTuiApp(Session(settings, backoff=FAST_BACKOFF))
    train_id = await start_run(http)
    async with app.run_test(size=SIZE) as pilot:
        await app.session.watch([train_id])
        await until(pilot, lambda: status_of(app, train_id) == "completed", "the run ends (and is forgotten)")
        await until(pilot, lambda: "⚠ cannot write the state file /proc/tf-tui-test" in header(app), "the header")
        said = [entry for entry in app.session.events.entries if "cannot write the state file" in entry.text]
        assert len(said) == 1 and said[0].level == logging.WARNING
        assert "not remembered after this tf-tui exits" in said[0].text


async def test_server_text_is_shown_literally(tmp_path):
    hostile = "[bold red]pwned[/] \x1b[31mred\x1b]0;title\x07"
    async with running_backend() as backend:
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            train_id = (await app.session.start("tiny", ["d"], params={}))["train_id"]
            await backend.wait_until(lambda: backend.subscribed(train_id))
            await backend.push(train_id, {"progress": 40, "status": hostile, "details": {"message": hostile}})
            await until(pilot, lambda: status_of(app, train_id) == hostile, "the hostile update")
            await until(pilot, lambda: train_id in row_texts(app), "its row")
            app.query_one(RunsList).select(train_id)
            await pilot.pause(0.2)
            row = row_texts(app)[train_id]
            assert "[bold red]pw" in row and "\x1b" not in row
            detail = " ".join(str(widget.render()) for widget in app.query_one(DetailPane).query("Static"))
            assert "[bold red]pwned[/] red" in detail and "\x1b" not in detail
            await backend.push(
                train_id, {"progress": 100, "status": "failed", "success": False, "result": {"error": hostile}}
            )
            await until(pilot, lambda: status_of(app, train_id) == "failed", "the failure")
            # The end toast carries the hostile text too; with markup on, "[/]" would raise here.
            await until(pilot, lambda: len(app._notifications) > 0, "the end is announced")


async def test_the_header_follows_a_server_restart(start_server, tmp_path):
    data_dir = tmp_path / "server"
    backend = start_server(data_dir)
    port = backend.port
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "live" in header(app), "live")
        backend.kill()
        await until(pilot, lambda: "reconnecting" in header(app), "reconnecting")
        start_server(data_dir, port=port)
        await until(pilot, lambda: "live" in header(app), "live after the restart")


async def test_the_event_log_hides_run_updates_until_asked(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        train_id = (await app.session.start("tiny", ["builtin-arithmetic"], params=SHORT_PARAMS))["train_id"]
        await until(pilot, lambda: app.session.counters["frames.RunUpdate"] >= 2, "updates arrive")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, EventLogScreen), "the event log")
        shown = await until_shown(pilot, f"subscribing to {train_id}")
        assert "socket live" in shown and "update for" not in shown
        await pilot.press("u")
        await until_shown(pilot, f"update for {train_id}")
        await pilot.press("u")
        await until(pilot, lambda: "update for" not in screen_text(app), "updates hidden again")
        assert f"subscribing to {train_id}" in screen_text(app)
