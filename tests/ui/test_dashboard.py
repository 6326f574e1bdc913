"""The dashboard driven with keys through Textual's pilot, against the real reference server."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path

from textual.widgets import Input, SelectionList

from tests.conftest import ENDLESS_PARAMS, FAST_BACKOFF, client_settings, start_run
from tests.proxy import socket_gate
from tests.scripted_backend import running_backend
from tests.ui.screen import row_on_screen, screen_text, shown_in, toasts_on_screen, until, until_shown
from tf_tui.client.poller import PollIntervals
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.screens.start import StartScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.header import StatusHeader
from tf_tui.ui.widgets.runs_list import RunsList

SIZE = (110, 32)


def dashboard(url: str, directory) -> TfTuiApp:
    return TfTuiApp(Session(client_settings(url, directory), backoff=FAST_BACKOFF))


def step_on_screen(app: TfTuiApp, train_id: str) -> int:
    """The step its row shows (`370/1000`), 0 while it shows none."""
    shown = re.search(r"\b(\d+)/\d+\b", row_on_screen(app, train_id))
    return int(shown.group(1)) if shown else 0


def header(app: TfTuiApp) -> str:
    return shown_in(app, app.query_one(StatusHeader))


def status_of(app: TfTuiApp, train_id: str) -> str | None:
    run = app.session.store.runs.get(train_id)
    return None if run is None else run.status


async def watch_until_training(app: TfTuiApp, pilot, train_id: str) -> None:
    await app.session.watch([train_id])
    await until(pilot, lambda: "training" in row_on_screen(app, train_id), "its row says training")


def start_dialog_mounted(app: TfTuiApp) -> bool:
    """The start dialog on top with its widgets in: the screen is on top before they are mounted, and on
    a loaded machine a query made then finds nothing."""
    screen = app.screen
    return isinstance(screen, StartScreen) and bool(screen.query(SelectionList)) and bool(screen.query("#start-error"))


async def open_start_dialog(app: TfTuiApp, pilot, datasets: int = 3) -> StartScreen:
    await pilot.press("s")
    await until(pilot, lambda: start_dialog_mounted(app), "the start dialog")
    dialog = app.screen
    # The list takes the focus once its choices are in: keys pressed before would land elsewhere.
    choices = dialog.query_one(SelectionList)
    await until(pilot, lambda: choices.option_count >= datasets and choices.has_focus, "the choices load")
    return dialog


def started_id(app: TfTuiApp) -> str | None:
    """The run this session started, as its event log tells."""
    started = [entry.text.split()[1] for entry in app.session.events.entries if entry.text.startswith("started ")]
    return started[-1] if started else None


async def test_start_a_run_with_keys_and_watch_it_finish(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "live" in header(app), "the socket is live")
        dialog = await open_start_dialog(app, pilot)
        await pilot.press("tab", "tab")  # datasets -> outcome -> steps
        await until(pilot, lambda: dialog.query_one("#steps", Input).has_focus, "the steps field has the focus")
        await pilot.press(*"2500", "enter")
        await until(pilot, lambda: not isinstance(app.screen, StartScreen), "the dialog closes")

        train_id = started_id(app)
        assert train_id is not None
        assert f"subscribing to {train_id}" in [entry.text for entry in app.session.events.entries]
        await until(pilot, lambda: app.query_one(RunsList).selected_id == train_id, "the new run is selected")
        await until(pilot, lambda: "completed" in row_on_screen(app, train_id), "its row says completed")
        row = row_on_screen(app, train_id)
        assert "100%" in row and "2500/2500" in row
        assert app.session.counters["frames.RunUpdate"] >= 3
        # Forgotten by a task of its own, which may finish after the row is repainted.
        await until(pilot, lambda: not app.session.state.active(server.url), "the ended run is forgotten")


async def test_the_dialog_keeps_what_was_typed_when_the_server_refuses(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_start_dialog(app, pilot)
        await pilot.press("tab", "tab", "tab", *"5", "enter")  # learning rate 5: refused locally
        error = dialog.query_one("#start-error")
        await until(pilot, lambda: "Must be between" in shown_in(app, error), "the refusal is shown")
        assert "learning rate" in shown_in(app, error)
        assert isinstance(app.screen, StartScreen)
        assert dialog.query_one("#learning-rate", Input).value == "5"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, StartScreen), "the dialog closes")


async def test_stop_asks_first_and_defaults_to_no(server, endless_run, tmp_path):
    train_id = await endless_run()
    app = dashboard(server.url, tmp_path)

    async def answer(key: str) -> None:
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press(key)
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the question is answered")

    async with app.run_test(size=SIZE) as pilot:
        await watch_until_training(app, pilot, train_id)
        app.query_one(RunsList).select(train_id)
        for decline in ("n", "enter", "escape"):
            await answer(decline)
        assert status_of(app, train_id) == "training"

        await answer("y")
        await until(pilot, lambda: "stopped" in row_on_screen(app, train_id), "its row says stopped")
        assert app.check_action("stop", ()) is None  # stop is dimmed for an ended run


async def test_a_relaunch_picks_up_the_active_run(server, endless_run, tmp_path):
    train_id = await endless_run()
    first = dashboard(server.url, tmp_path)
    async with first.run_test(size=SIZE) as pilot:
        await watch_until_training(first, pilot, train_id)
    relaunched = dashboard(server.url, tmp_path)
    async with relaunched.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "training" in row_on_screen(relaunched, train_id), "restored and resynced")
        assert relaunched.query_one(RunsList).selected_id == train_id
        assert train_id in relaunched.session.watched


async def test_the_header_follows_an_outage_while_the_run_keeps_updating(server, endless_run, tmp_path):
    # Endless, so that it is still going after the outage, however slow the machine.
    train_id = await endless_run()
    async with socket_gate(server.port) as gate:
        # Not the default interval: the header must say the session's own.
        session = Session(
            client_settings(gate.url, tmp_path), backoff=FAST_BACKOFF, poll_intervals=PollIntervals(down=7)
        )
        app = TfTuiApp(session)
        async with app.run_test(size=SIZE) as pilot:
            await watch_until_training(app, pilot, train_id)
            await until(pilot, lambda: "live" in header(app), "live")
            gate.refuse_websockets = True
            gate.cut_websockets()
            await until(pilot, lambda: "reconnecting" in header(app), "the header says reconnecting")
            assert "polling every 7 s (socket down)" in header(app)
            gate.refuse_websockets = False
            await until(pilot, lambda: "live" in header(app), "live again")
            step = step_on_screen(app, train_id)
            await until(pilot, lambda: step_on_screen(app, train_id) > step, "its row keeps updating")


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
        async with app.run_test(size=SIZE, notifications=True) as pilot:  # the end toast is on screen
            train_id = (await app.session.start("tiny", ["d"], params={})).train_id
            await backend.wait_until(lambda: backend.subscribed(train_id))
            await backend.push(train_id, {"progress": 40, "status": hostile, "details": {"message": hostile}})
            await until(pilot, lambda: "[bold red]pw" in row_on_screen(app, train_id), "the hostile update")
            assert "\x1b" not in row_on_screen(app, train_id)
            app.query_one(RunsList).select(train_id)
            detail = app.query_one(DetailPane)
            await until(pilot, lambda: "[bold red]pwned[/] red" in shown_in(app, detail), "the detail shows it")
            assert "\x1b" not in screen_text(app)
            await backend.push(
                train_id, {"progress": 100, "status": "failed", "success": False, "result": {"error": hostile}}
            )
            # The end toast carries the hostile text too; with markup on, "[/]" would raise as it is painted.
            await until(pilot, lambda: "Run failed" in toasts_on_screen(app), "the end is announced")
            assert f"{train_id[:8]} failed 40% - [bold red]pwned[/] red" in toasts_on_screen(app)
            assert "failed" in row_on_screen(app, train_id) and "\x1b" not in screen_text(app)


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


async def test_the_event_log_hides_run_updates_until_asked(server, http, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        # A run that goes until stopped: a short one could end before its second update reached us.
        train_id = (await app.session.start("tiny", ["builtin-arithmetic"], params=ENDLESS_PARAMS)).train_id
        try:
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
        finally:
            await http.post(f"/train/stop/{train_id}")
