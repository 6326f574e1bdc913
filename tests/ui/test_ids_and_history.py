"""The dashboard with the ids it prints and the runs it did not watch live, against the real server."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import Input

from tests.conftest import FAST_BACKOFF, client_settings, start_run, wait_for_status
from tests.ui.screen import row_on_screen, screen_text, shown_in, toasts_on_screen, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.watch import WatchScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.runs_list import RunsList

SHOWN_AGE_S = 1000  # the dashboard's clock is this long after the run ended
TALL = (130, 60)  # room for every field of a finished run's detail


def footer(app: TfTuiApp) -> str:
    return shown_in(app, app.query_one("Footer"))


def detail(app: TfTuiApp) -> str:
    return shown_in(app, app.query_one(DetailPane))


async def watch_by_id(app: TfTuiApp, pilot, typed: str) -> None:
    """w, then the id once the dialog's field has the focus: keys typed before would reach the dashboard."""
    await pilot.press("w")
    await until(
        pilot, lambda: isinstance(app.screen, WatchScreen) and app.screen.query_one(Input).has_focus, "the dialog"
    )
    await pilot.press(*typed, "enter")


async def test_w_takes_a_short_id_and_a_not_found_row_can_be_dismissed(server, http, tmp_path):
    finished = await start_run(http)
    await wait_for_status(http, finished, {"completed"})
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "completed" in row_on_screen(app, finished), "the listed run")
        await watch_by_id(app, pilot, finished[:8])
        await until(pilot, lambda: not isinstance(app.screen, WatchScreen), "the dialog closes")
        await until(pilot, lambda: finished in detail(app), "the known run is selected")
        assert shown_in(app, app.query_one(RunsList)).count(finished[:8]) == 1  # no second row for it

        await watch_by_id(app, pilot, finished[:3])  # too short: said in the dialog, which stays
        await until_shown(pilot, "at least 4 characters")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, WatchScreen), "the dialog closes")

        assert "Dismiss" not in footer(app)
        await watch_by_id(app, pilot, "zzzz9999")
        await until(pilot, lambda: "not found" in row_on_screen(app, "zzzz9999"), "the not found row")
        await until(pilot, lambda: "zzzz9999" in detail(app), "it is selected")
        await until(pilot, lambda: "Dismiss" in footer(app), "the footer offers to dismiss it")
        await pilot.press("delete")
        await until(pilot, lambda: "zzzz9999" not in screen_text(app), "the row is gone")
        assert "zzzz9999" not in app.session.store.runs
        await until(pilot, lambda: app.query_one(RunsList).selected_id is not None, "another run is selected")
        await pilot.press("delete")  # a run the server knows is never dismissed
        await until(pilot, lambda: "can be dismissed" in toasts_on_screen(app), "it says why not")
        assert row_on_screen(app, app.query_one(RunsList).selected_id or "")


async def test_a_run_not_watched_live_shows_its_end_and_ages_from_the_servers_date(server, http, tmp_path):
    finished = await start_run(http, max_steps=1500, batch_size=32, seed=7)
    body = await wait_for_status(http, finished, {"completed"})
    now = datetime.fromisoformat(body["completed_at"]).timestamp() + SHOWN_AGE_S
    session = Session(client_settings(server.url, tmp_path), backoff=FAST_BACKOFF, clock=lambda: now)
    app = TfTuiApp(session, clock=lambda: now)
    async with app.run_test(size=TALL) as pilot:
        await until(pilot, lambda: "1500/1500" in row_on_screen(app, finished), "the run's last step")
        row = row_on_screen(app, finished)
        assert f"{body['details']['loss']:.4f}" in row
        assert row.endswith("16m ago")  # SHOWN_AGE_S after completed_at (to the minute), not the launch
        app.query_one(RunsList).select(finished)
        await until(pilot, lambda: finished in detail(app), "its detail")
        shown = detail(app)
        assert f"final_loss {body['result']['final_loss']:.6g}" in shown
        assert "max_steps=1500" in shown and "seed=7" in shown and "builtin-arithmetic" in shown
        # Local time to the second, as every date on the screen.
        ended = datetime.fromisoformat(body["completed_at"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        assert f"ended {ended}" in shown
