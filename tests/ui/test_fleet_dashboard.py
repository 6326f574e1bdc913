"""The dashboard over several real reference servers: each backend's connection in the header, a backend
column, the filter and `b` by backend, and actions on the selected run's own backend."""

from __future__ import annotations

from rich.text import Text

from tests.conftest import ENDLESS_PARAMS, FAST_BACKOFF, api_client, client_settings, start_run, wait_for_status
from tests.ui.screen import row_on_screen, screen_text, shown_in, toasts_on_screen, until, until_shown
from tf_tui.client.stream import ConnectionState, Phase
from tf_tui.core.fleet import Fleet
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.backend import BackendScreen
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.widgets.header import StatusHeader, fleet_header_text

SIZE = (120, 30)


def test_the_fleet_header_folds_to_a_count_when_too_narrow():
    states = {
        "gpu1": ConnectionState(Phase.LIVE),
        "gpu2": ConnectionState(Phase.RETRYING, attempt=2, retry_at=104.0),
        "cloud": ConnectionState(Phase.FAILED, reason="token refused"),
    }
    wide, folded = fleet_header_text(states, 100.0, 200)
    assert not folded
    assert "gpu1 ● live  gpu2 ● reconnecting in 4 s (attempt 3)  cloud ✕ failed: token refused" in wide.plain
    narrow, folded = fleet_header_text(states, 100.0, 60)
    assert folded and "1/3 live" in narrow.plain and "gpu2" not in narrow.plain
    hostile, _ = fleet_header_text({"[bold]x\x1b[2J": ConnectionState(Phase.LIVE)}, 0.0, 200)
    assert isinstance(hostile, Text) and "\x1b" not in hostile.plain


async def test_a_fleet_dashboard_shows_each_backend_and_acts_on_the_selected_runs_own(server, start_server, tmp_path):
    guarded = start_server(token="the-right-token")
    fleet = Fleet(
        {
            "steady": Session(client_settings(server.url, tmp_path), backoff=FAST_BACKOFF),
            "guarded": Session(client_settings(guarded.url, tmp_path, "a-wrong-token"), backoff=FAST_BACKOFF),
        }
    )
    app = TfTuiApp(fleet)
    async with api_client(server.url) as http:
        train_id = await start_run(http, **ENDLESS_PARAMS)
        try:
            async with app.run_test(size=SIZE, notifications=True) as pilot:
                top = app.query_one(StatusHeader)
                await until(pilot, lambda: "guarded ✕ failed" in shown_in(app, top), "the refused backend")
                await until(pilot, lambda: "steady ● live" in shown_in(app, top), "the live backend")
                await until(pilot, lambda: "training" in row_on_screen(app, train_id), "the run trains")
                assert "steady" in row_on_screen(app, train_id)  # the backend column

                await pilot.press("slash", *"guarded")
                await until(pilot, lambda: not row_on_screen(app, train_id), "the filter hides the other backend")
                await pilot.press("escape")
                await until(pilot, lambda: bool(row_on_screen(app, train_id)), "the filter cleared")

                await pilot.press("b")  # steady's runs only
                assert row_on_screen(app, train_id)
                await pilot.press("b")  # guarded's runs only
                await until(pilot, lambda: not row_on_screen(app, train_id), "one backend's runs")
                await pilot.press("b")  # every backend's again
                await until(pilot, lambda: bool(row_on_screen(app, train_id)), "every backend's runs")

                await pilot.press("s")
                await until_shown(pilot, "Start a run on which backend?")
                assert isinstance(app.screen, BackendScreen)
                await pilot.press("escape")

                app.query_one("#runs").select(train_id, "steady")
                await pilot.press("x")
                await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the stop question")
                await pilot.press("y")
                await until(pilot, lambda: f"steady: stopped {train_id}" in toasts_on_screen(app), "stop named")
                await wait_for_status(http, train_id, {"stopped"})

                await pilot.press("l")
                await until(pilot, lambda: isinstance(app.screen, EventLogScreen), "the event log")
                await until(pilot, lambda: "guarded: socket failed" in screen_text(app), "lines name the backend")
        finally:
            await http.post(f"/train/stop/{train_id}")
