"""The dashboard against the deployed backend's forgetfulness, scripted: `/train/active` lists every run since
its process started (ended ones too), `/dashboard` only its five newest, and no metrics history."""

from __future__ import annotations

import pytest

from tests.conftest import FAST_BACKOFF, client_settings
from tests.scripted_backend import RECENT_RUNS, running_backend
from tests.ui.screen import row_on_screen, screen_text, shown_in, until
from tests.ui.test_dashboard import dashboard
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.compare import CompareScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.runs_list import RunsList

LARGE = (120, 40)
ENDS = {"completed": 95, "failed": 0, "stopped": 95}  # the progress the deployed status endpoint reads at each end


@pytest.fixture
async def backend():
    async with running_backend() as scripted:
        yield scripted


def announcements(app: TfTuiApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the app announces of runs' ends, in order: each toast's title and text, and each bell."""
    said: list[str] = []
    notify = app.notify

    def recording(message: str, *, title: str = "", **options: object) -> None:
        if title.startswith("Run "):
            said.append(f"{title}: {message}")
        notify(message, title=title, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(app, "notify", recording)
    monkeypatch.setattr(app, "bell", lambda: said.append("bell"))
    return said


def ended_on_screen(app: TfTuiApp, runs: dict[str, str]) -> bool:
    return all(status in row_on_screen(app, train_id) for train_id, status in runs.items())


async def test_only_the_ends_of_runs_seen_going_or_remembered_going_are_announced(backend, tmp_path, monkeypatch):
    old = {f"old-{status}": status for status in ENDS}  # ended long ago: the listing still names them
    for train_id, status in old.items():
        backend.status_bodies[train_id] = {"status": status, "progress": ENDS[status]}
    backend.status_bodies["remembered"] = {"status": "completed", "progress": 95}  # ended while tf-tui was closed
    backend.status_bodies["going"] = {"status": "training", "progress": 40}
    app = dashboard(backend.url, tmp_path)
    app.session.state.add(backend.url, "remembered")
    said = announcements(app, monkeypatch)
    async with app.run_test(size=LARGE) as pilot:
        await until(pilot, lambda: "training" in row_on_screen(app, "going"), "the going run is seen going")
        await until(pilot, lambda: ended_on_screen(app, {**old, "remembered": "completed"}), "the ended runs' rows")
        backend.status_bodies["going"] = {"status": "completed", "progress": 95}
        await backend.push("going", {"progress": 100, "status": "completed", "success": True, "result": {}})
        await until(pilot, lambda: "completed" in row_on_screen(app, "going"), "the going run ends")
        await until(pilot, lambda: not app.session.state.active(backend.url), "the ended runs are forgotten")
    assert said == ["Run completed: remember completed 100%", "bell", "Run completed: going completed 100%", "bell"]

    relaunched = dashboard(backend.url, tmp_path)
    said_again = announcements(relaunched, monkeypatch)
    async with relaunched.run_test(size=LARGE) as pilot:
        await until(
            pilot,
            lambda: ended_on_screen(relaunched, {**old, "remembered": "completed", "going": "completed"}),
            "every run listed, ended",
        )
    assert said_again == []  # the remembered run's end was announced once, at the launch after it ended


async def bury_a_started_run(backend, directory) -> str:
    """As `tf-tui start` would: a run started on the deployed backend, which completes and then falls out of
    `/dashboard`'s five newest behind runs started after it."""
    async with Session(client_settings(backend.url, directory), backoff=FAST_BACKOFF).without_stream() as session:
        first = (await session.start("tiny", ["d"], params={"max_steps": 40}, outcome="quality")).train_id
        for _ in range(RECENT_RUNS):
            await session.start("small", ["d"], params={})
    for train_id in backend.status_bodies:
        backend.status_bodies[train_id] = {"status": "completed", "progress": 95, "result": {"model_path": "/m"}}
    return first


async def test_a_relaunch_shows_what_tf_tui_knew_of_a_run_the_backend_forgot(backend, tmp_path):
    train_id = await bury_a_started_run(backend, tmp_path)
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await until(pilot, lambda: "tiny" in row_on_screen(app, train_id), "its row names its model")
        app.query_one(RunsList).select(train_id)
        detail = app.query_one(DetailPane)
        await until(pilot, lambda: "quality" in shown_in(app, detail), "the detail pane shows what was sent")
        assert "model tiny" in shown_in(app, detail) and "max_steps=40" in shown_in(app, detail)

        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
        await until(pilot, lambda: "no history: this backend keeps none" in screen_text(app), "why there is no curve")
        table = shown_in(app, app.screen.query_one("#compare-table"))
        for row in ("model tiny", "datasets d", "outcome quality", "steps 40 asked"):
            assert row in table, table
