"""The dashboard against the deployed backend's forgetfulness, scripted: `/train/active` lists every run since
its process started (ended ones too), `/dashboard` only its five newest, and no metrics history."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.responses import JSONResponse
from textual.command import CommandPalette

from tests.conftest import FAST_BACKOFF, client_settings
from tests.headless.test_deployed_answers import EVALUATION
from tests.scripted_backend import RECENT_RUNS, running_backend
from tests.ui.screen import row_on_screen, screen_text, shown_in, toasts_on_screen, until
from tests.ui.test_dashboard import dashboard
from tf_tui.core.fleet import Fleet
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.compare import CompareScreen
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.start import StartScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.runs_list import RunsList

LARGE = (120, 40)


def local_time(server_text: str) -> str:
    """A server's naive date as every view shows it: local time to the second."""
    return datetime.fromisoformat(server_text).strftime("%Y-%m-%d %H:%M:%S")


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


# --- the smaller points --------------------------------------------------------------------------------


async def select_when_shown(app: TfTuiApp, pilot, train_id: str, status: str) -> DetailPane:
    await until(pilot, lambda: status in row_on_screen(app, train_id), f"its row says {status}")
    app.query_one(RunsList).select(train_id)
    detail = app.query_one(DetailPane)
    await until(pilot, lambda: train_id in shown_in(app, detail), "the detail pane shows it")
    return detail


async def test_an_ended_runs_detail_has_no_stale_message_and_every_date_in_one_format(backend, tmp_path):
    backend.status_bodies["r1"] = {
        "status": "finalizing",
        "progress": 95,
        "started_at": "2026-11-29T01:00:00.123456",
        "details": {"message": "Finalizing trained model"},
    }
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        detail = await select_when_shown(app, pilot, "r1", "finalizing")
        assert "Finalizing trained model" in shown_in(app, detail)
        done = {"progress": 100, "status": "completed", "success": True, "result": {"model_path": "/m"}}
        await backend.push("r1", done)
        await until(pilot, lambda: "completed 100%" in shown_in(app, detail), "the run completes")
        shown = shown_in(app, detail)
    assert "Finalizing trained model" not in shown
    assert f"started {local_time('2026-11-29T01:00:00.123456')}" in shown
    dates = re.findall(r"\d{4}-\d\d-\d\d[ T][\d:.]+|\b\d\d:\d\d:\d\d\b", shown)
    assert len(dates) >= 3  # the start, and the timeline's two statuses
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", date) for date in dates), dates


async def test_a_refused_stop_is_in_the_runs_timeline(backend, tmp_path):
    backend.status_bodies["r1"] = {"status": "training", "progress": 40}
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        detail = await select_when_shown(app, pilot, "r1", "training")
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        refusal = "stop failed: POST /train/stop/r1: HTTP 500, Internal Server Error"
        await until(pilot, lambda: refusal in shown_in(app, detail), "the refusal in the timeline")


async def test_the_evaluation_shows_the_safety_score_and_the_rubric(backend, tmp_path):
    backend.status_bodies["r1"] = {"status": "completed", "progress": 95, "result": {"model_path": "/m"}}
    backend.canned["/evaluate/run"] = JSONResponse(EVALUATION)
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        detail = await select_when_shown(app, pilot, "r1", "completed")
        await pilot.press("e")
        await until(pilot, lambda: "safety score 0.95" in shown_in(app, detail), "the safety score")
        assert "rubric passed" in shown_in(app, detail)


async def test_the_start_dialog_without_datasets_says_so_and_points_to_d(backend, tmp_path):
    backend.datasets = []
    backend.models = [{"id": "tiny"}]
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StartScreen), "the start dialog")
        await until(pilot, lambda: "Datasets: none on this backend yet" in screen_text(app), "the empty dataset area")
        await pilot.press("enter")
        error = app.screen.query_one("#start-error")
        await until(pilot, lambda: "upload a dataset first: escape, then d" in shown_in(app, error), "the way forward")


LONG_SOURCE = "/home/someone/projects/talent-factory/data/uploads/2026/11/customer-support-transcripts-cleaned.jsonl"


@pytest.mark.parametrize("size", [(80, 24), LARGE], ids=["80x24", "120x40"])
async def test_the_datasets_screen_cuts_a_long_source_in_the_middle(backend, tmp_path, size):
    backend.datasets = [
        {
            "id": "support",
            "name": "Support transcripts",
            "source": LONG_SOURCE,
            "rows": 12_345,
            "pii_masked": True,
            "created_at": "2026-11-29T01:00:00",
        }
    ]
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.press("d")
        await until(pilot, lambda: "12,345" in screen_text(app), "the dataset is listed")
        [row] = [line for line in screen_text(app).splitlines() if "support " in line.lower()]
        source = row.split("Support transcripts")[1].split("12,345")[0].strip()
        assert source.startswith("/home/") and "…" in source and source.endswith("jsonl"), source  # its start and end
        assert "12,345" in row and "yes" in row
        if size == LARGE:  # at 80 columns the date cannot fit beside the rest
            assert "cleaned.jsonl" in row and local_time("2026-11-29T01:00:00") in row


async def test_the_datasets_screen_says_when_there_are_none(backend, tmp_path):
    backend.datasets = []
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await pilot.press("d")
        await until(pilot, lambda: "No datasets yet" in screen_text(app), "the empty list is said")


@pytest.mark.parametrize("size", [(80, 24), LARGE], ids=["80x24", "120x40"])
async def test_the_model_column_is_as_wide_as_the_model_names(backend, tmp_path, size):
    backend.status_bodies["r1"] = {"status": "training", "progress": 40}
    backend.created["r1"] = {"base_model": "micro-llama-1b", "created_at": "2026-11-29T01:00:00"}
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: "training" in row_on_screen(app, "r1"), "the run's row")
        await until(pilot, lambda: "micro-llama-1b" in row_on_screen(app, "r1"), "the model named whole")
        # The listing says "training" before the status read says how far (the rows in view are read first).
        await until(pilot, lambda: "40%" in row_on_screen(app, "r1"), "the run's status read")
        # The deployed backend reports no step, loss or eta: no empty columns are kept for them.
        assert "   " * 8 not in row_on_screen(app, "r1").split("40%")[1]


async def test_b_with_one_backend_says_why_on_the_key_and_in_the_palette(backend, tmp_path):
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=LARGE, notifications=True) as pilot:
        await pilot.press("b")
        await until(pilot, lambda: "Only one backend is followed" in toasts_on_screen(app), "b says why")
        app.clear_notifications()
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"Backends", "enter")
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette), "the palette closes")
        await until(pilot, lambda: "Only one backend is followed" in toasts_on_screen(app), "the palette says why")


@pytest.mark.parametrize("backends", [1, 2], ids=["one backend", "two backends"])
async def test_every_footer_key_fits_at_120_columns(backend, tmp_path, backends):
    sessions = {
        f"box{number}": Session(client_settings(backend.url, tmp_path / f"box{number}"), backoff=FAST_BACKOFF)
        for number in range(backends)
    }
    app = TfTuiApp(Fleet(sessions))
    async with app.run_test(size=LARGE) as pilot:
        await until(pilot, lambda: "q Quit" in screen_text(app), "the footer")
        footer = screen_text(app).splitlines()[-1]
        wanted = ["? Keys", "s Start", "x Stop", "d Datasets", "c Compare", "/ Filter", "l Log", "o Output", "q Quit"]
        for key in wanted + (["b Backends"] if backends > 1 else []):
            assert key in footer, footer
