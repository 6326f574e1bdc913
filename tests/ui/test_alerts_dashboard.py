"""Alerts in the dashboard, driven through Textual's pilot against real runs of the reference server that go
wrong on purpose: the badge on the row, the line in the detail, the toast, the bell, the desktop
notification and the event log line, each once; and the stop action stopping the run."""

from __future__ import annotations

from textual.widgets import Static

from tests.conftest import ENDLESS_PARAMS, FAST_BACKOFF, client_settings, start_run
from tests.ui.screen import row_on_screen, toasts_on_screen, until
from tf_tui.core.alerts.settings import AlertSettings, DivergenceRule, NonFiniteRule
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp

SIZE = (120, 40)
UNCLIPPED = {**ENDLESS_PARAMS, "clipping": False, "learning_rate": 1.0}


def dashboard(url: str, directory, alerts: AlertSettings) -> TfTuiApp:
    settings = client_settings(url, directory, alerts=alerts, desktop_notifications="osc777")
    return TfTuiApp(Session(settings, backoff=FAST_BACKOFF))


def told(app: TfTuiApp, monkeypatch) -> list[str]:
    """What the app tells of alerts, in order: each toast's title, each bell, each desktop notification's title."""
    said: list[str] = []
    notify = app.notify

    def recording(message: str, *, title: str = "", **options: object) -> None:
        if title.startswith("Alert"):
            said.append(title)
        notify(message, title=title, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(app, "notify", recording)
    monkeypatch.setattr(app, "bell", lambda: said.append("bell"))
    monkeypatch.setattr(app, "_desktop_notification", lambda title, body: said.append(title))
    return said


def detail_alerts(app: TfTuiApp) -> str:
    """The detail's alert lines, as given to their part: the toasts may cover some of them on the screen."""
    part = app.query_one("#detail-alerts", Static)
    return str(part.content) if part.display else ""


async def test_an_infinite_loss_shows_everywhere_once(server, http, tmp_path, monkeypatch):
    """Started by the dashboard's session, so that it sees the first, finite loss: the divergence needs a best."""
    app = dashboard(server.url, tmp_path, AlertSettings(divergence=DivergenceRule(points=3)))
    said = told(app, monkeypatch)
    train_id = ""
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            started = await app.session.start("tiny", ["builtin-arithmetic"], params=UNCLIPPED)
            train_id = started.train_id
            await until(pilot, lambda: "!NaN" in row_on_screen(app, train_id), "the badge on the row")
            await until(pilot, lambda: "alert, non_finite" in detail_alerts(app), "the line in the detail")
            assert "the loss is inf at step" in detail_alerts(app)
            await until(pilot, lambda: "Alert: NaN" in toasts_on_screen(app), "the toast")
            # The divergence that follows is one more alert; the first is not told again.
            await until(pilot, lambda: "!NaN+1" in row_on_screen(app, train_id), "the second alert's count")
            await until(pilot, lambda: "alert, divergence" in detail_alerts(app), "its line in the detail")
            lines = [entry.text for entry in app.session.events.entries if entry.text.startswith("alert on ")]
    finally:
        await http.post(f"/train/stop/{train_id}")
    short = train_id[:8]
    assert said == [
        "Alert: NaN",
        "bell",
        f"tf-tui: run {short} NaN",
        "Alert: diverging",
        "bell",
        f"tf-tui: run {short} diverging",
    ]
    assert [line.split(":")[0] for line in lines] == [f"alert on {short}, non_finite", f"alert on {short}, divergence"]


async def test_the_stop_action_stops_the_run_and_says_so(server, http, tmp_path):
    train_id = await start_run(http, **UNCLIPPED)
    alerts = AlertSettings(non_finite=NonFiniteRule(stop=True), divergence=DivergenceRule(enabled=False))
    app = dashboard(server.url, tmp_path, alerts)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await app.session.watch([train_id])
            await until(pilot, lambda: "stopped" in row_on_screen(app, train_id), "the run is stopped")
            assert "!NaN" in row_on_screen(app, train_id)
            assert 'stopping the run, as [alerts.non_finite] action = "stop" says' in detail_alerts(app)
            await until(pilot, lambda: "stopping the run" in toasts_on_screen(app), "the toast says so")
            texts = [entry.text for entry in app.session.events.entries]
            assert f"stopped {train_id} (its non_finite alert's action)" in texts
    finally:
        await http.post(f"/train/stop/{train_id}")  # a 409 once it is stopped
    assert (await http.get(f"/train/status/{train_id}")).json()["status"] == "stopped"
