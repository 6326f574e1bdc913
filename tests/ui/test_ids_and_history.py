"""The dashboard with the ids it prints and the runs it did not watch live, against the real server."""

from __future__ import annotations

import io
from datetime import datetime

from rich.console import Console
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from tests.conftest import FAST_BACKOFF, client_settings, start_run, wait_for_status
from tests.ui.test_dashboard import SIZE, dashboard, row_texts, until
from tf_tui.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.watch import WatchScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.runs_list import RunsList

SHOWN_AGE_S = 1000  # the dashboard's clock is this long after the run ended


def footer_keys(app: TfTuiApp) -> list[str]:
    return [key.description for key in app.query(FooterKey)]


def detail_text(app: TfTuiApp) -> str:
    console = Console(file=io.StringIO(), width=200, record=True)
    for widget in app.query_one(DetailPane).query(Static):
        console.print(widget.content)
    return console.export_text()


async def test_w_takes_a_short_id_and_a_not_found_row_can_be_dismissed(server, http, tmp_path):
    finished = await start_run(http)
    await wait_for_status(http, finished, {"completed"})
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: finished in row_texts(app), "the listed run")
        await pilot.press("w", *finished[:8], "enter")
        await until(pilot, lambda: not isinstance(app.screen, WatchScreen), "the dialog closes")
        await until(pilot, lambda: app.query_one(RunsList).selected_id == finished, "the known run is selected")
        assert not any(train_id.startswith(finished[:8]) and train_id != finished for train_id in row_texts(app))

        await pilot.press("w", *finished[:3], "enter")  # too short: said in the dialog, which stays
        await until(pilot, lambda: "at least 4" in str(app.screen.query_one("#watch-error").render()), "the refusal")
        await pilot.press("escape")

        assert "Dismiss" not in footer_keys(app)
        await pilot.press("w", *"zzzz9999", "enter")
        await until(pilot, lambda: "not found" in row_texts(app).get("zzzz9999", ""), "the not found row")
        await until(pilot, lambda: app.query_one(RunsList).selected_id == "zzzz9999", "it is selected")
        await until(pilot, lambda: "Dismiss" in footer_keys(app), "the footer offers to dismiss it")
        await pilot.press("d")
        await until(pilot, lambda: "zzzz9999" not in row_texts(app), "the row is gone")
        assert "zzzz9999" not in app.session.store.runs
        assert app.query_one(RunsList).selected_id is not None
        assert finished in row_texts(app)  # a known run is never dismissed
        await pilot.press("d")
        assert finished in row_texts(app)


async def test_a_run_not_watched_live_shows_its_end_and_ages_from_the_servers_date(server, http, tmp_path):
    finished = await start_run(http, max_steps=1500, batch_size=32, seed=7)
    body = await wait_for_status(http, finished, {"completed"})
    now = datetime.fromisoformat(body["completed_at"]).timestamp() + SHOWN_AGE_S
    session = Session(client_settings(server.url, tmp_path), backoff=FAST_BACKOFF, clock=lambda: now)
    app = TfTuiApp(session, clock=lambda: now)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "1500/1500" in row_texts(app).get(finished, ""), "the run's last step")
        row = row_texts(app)[finished]
        assert f"{body['details']['loss']:.4f}" in row
        assert row.rstrip().endswith("16m40s ago")  # SHOWN_AGE_S after completed_at, not the launch
        app.query_one(RunsList).select(finished)
        await until(pilot, lambda: finished in detail_text(app), "its detail")
        detail = detail_text(app)
        assert f"{body['result']['final_loss']:.6g}" in detail and "max_steps=1500" in detail and "seed=7" in detail
        assert body["completed_at"] in detail and "builtin-arithmetic" in detail
