"""The loss chart in the detail pane, marks in the runs list, and the comparison screen, driven with keys.

The chart's values are the test's own (fed to the session's store, as the stream would), from the demo's
fixed data; the last test follows a real run on the real reference server."""

from __future__ import annotations

import re

import pytest

from tests.ui.screen import row_on_screen, screen_text, shown_in, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard
from tf_tui.base.capabilities import Extension
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.fleet import Fleet
from tf_tui.core.store import Source
from tf_tui.ui import repaint
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import NOW, demo_app, demo_session
from tf_tui.ui.screens.compare import CompareScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.loss_chart import LossChart
from tf_tui.ui.widgets.run_row import MARK
from tf_tui.ui.widgets.runs_list import RunsList

TALL = (100, 44)
FED = "c0ffee00-1111-4222-8333-444455556666"  # the run the tests feed
LIVE = "3f2a9c1e-5b7d-4e21-9a0c-1d2e3f4a5b6c"  # the demo's runs with a loss history
COMPLETED = "8c41d2aa-0e9f-4b3c-8d7e-6f5a4b3c2d1e"


def feed(app: TfTuiApp, step: int, loss: float | None = None, train_id: str = FED, **more: float) -> None:
    """One update of a run, as the stream reports it: into the store, and the app told."""
    details = {"step": step, "total_steps": 10_000, **more}
    if loss is not None:
        details["loss"] = loss
    app.session.store.apply(RunUpdate(train_id, "training", step // 100, details), Source.WS, NOW)
    app.session.on_change()


def detail(app: TfTuiApp) -> str:
    return shown_in(app, app.query_one(DetailPane))


def chart_text(app: TfTuiApp) -> str:
    return shown_in(app, app.query_one("#loss", LossChart))


async def fed_and_selected(app: TfTuiApp, pilot, losses: list[tuple[int, float]]) -> None:
    for step, loss in losses:
        feed(app, step, loss)
    await until(pilot, lambda: row_on_screen(app, FED) != "", "the fed run's row")
    app.query_one(RunsList).select(FED)
    await until(pilot, lambda: FED in detail(app), "the fed run selected")


async def test_the_chart_turns_logarithmic_when_the_loss_spans_more_than_ten_times(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await fed_and_selected(app, pilot, [(100, 1.0), (200, 0.8), (300, 0.5)])
        await until(pilot, lambda: "loss by step" in detail(app) and "┤" in chart_text(app), "the chart")
        assert "log scale" not in detail(app)
        assert "1┤" in chart_text(app) and "0.5┤" in chart_text(app)  # linear, from 0.5 to 1

        feed(app, 400, 0.04)
        await until(pilot, lambda: "(log scale)" in detail(app), "the title says the scale")
        await until(pilot, lambda: "0.02┤" in chart_text(app), "the axis rounded out to 0.02")
        assert "0.1┤" in chart_text(app) or "0.2┤" in chart_text(app)  # a round value between


async def test_held_out_loss_is_a_second_series_in_the_legend_and_the_chart(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await fed_and_selected(app, pilot, [(100, 2.0), (200, 1.5)])
        await until(pilot, lambda: "● latest" in detail(app), "the legend")
        assert "held-out" not in detail(app) and "•" not in chart_text(app)
        feed(app, 300, 1.2, eval_loss=1.4)
        feed(app, 400, 1.0)
        await until(pilot, lambda: "held-out loss" in detail(app), "the second series in the legend")
        await until(pilot, lambda: "•" in chart_text(app), "its marker in the chart")
        assert chart_text(app).count("●") == 1  # the current point, marked once


async def test_the_chart_says_from_which_step_its_history_starts_when_the_backend_kept_none(tmp_path):
    app = demo_app(tmp_path)
    app.session.capabilities.lacks(Extension.METRICS, "HTTP 404, Not Found")  # as the deployed backend
    async with app.run_test(size=TALL) as pilot:
        await fed_and_selected(app, pilot, [(3000, 1.0), (3100, 0.9)])
        await until(pilot, lambda: "from step 3000" in detail(app), "the start-step note")
        app.session.store.runs[FED].history.from_backend = True  # the backend's own history was read
        feed(app, 3200, 0.8)
        await until(pilot, lambda: "3200" in detail(app) and "from step" not in detail(app), "no note")

        app.query_one(RunsList).select(LIVE)  # the demo's run: its history was read from the backend
        await until(pilot, lambda: LIVE in detail(app) and "loss by step" in detail(app), "the demo run")
        assert "from step" not in detail(app)


async def test_a_run_whose_history_starts_at_its_first_step_has_no_note(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await fed_and_selected(app, pilot, [(1, 3.0), (100, 1.0)])
        await until(pilot, lambda: "loss by step" in detail(app), "the chart")
        assert "from step" not in detail(app)


async def test_the_chart_repaints_at_most_once_per_interval_however_many_updates_come(tmp_path, monkeypatch):
    monkeypatch.setattr(repaint, "REPAINT_INTERVAL_S", 3600.0)  # no second paint within the test
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await fed_and_selected(app, pilot, [(100, 2.0), (200, 1.9)])
        chart = app.query_one("#loss", LossChart)
        await until(pilot, lambda: "at step 200" in detail(app) and "┤" in chart_text(app), "the first paint")
        drawn, renders = chart_text(app), chart.renders
        for step in range(300, 5300, 100):  # 50 updates, each painted by the app
            feed(app, step, 2.0 - step / 10_000)
            await pilot.pause()
        await until(pilot, lambda: "at step 5200" in detail(app), "the title follows every update")
        assert chart.renders == renders
        assert chart_text(app) == drawn  # the curve waits for the interval

        app.query_one(RunsList).select(LIVE)  # another run: drawn at once
        await until(pilot, lambda: chart.renders == renders + 1, "the other run's chart")
        assert chart_text(app) != drawn


async def test_a_hidden_chart_is_not_drawn(tmp_path, monkeypatch):
    monkeypatch.setattr(repaint, "REPAINT_INTERVAL_S", 0.0)
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await fed_and_selected(app, pilot, [(100, 2.0), (200, 1.9)])
        chart = app.query_one("#loss", LossChart)
        await until(pilot, lambda: "┤" in chart_text(app), "the chart")
        await pilot.press("c")  # the comparison covers the dashboard
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison over the dashboard")
        before = chart.renders
        for step in range(300, 1300, 100):
            feed(app, step, 1.0)
            await pilot.pause()
        await until(pilot, lambda: table_row(app, "steps") == ["1200/10000"], "the updates painted")
        assert chart.renders == before
        await pilot.press("escape")
        await until(pilot, lambda: chart.renders == before + 1, "drawn once, when shown again")


def marked(app: TfTuiApp, train_id: str) -> bool:
    return row_on_screen(app, train_id).startswith(MARK)


async def test_space_marks_runs_and_the_marks_survive_the_filter(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.query_one(RunsList).selected_id is not None, "a selected run")
        selected = app.query_one(RunsList).selected_id or ""
        await pilot.press("space")
        await until(pilot, lambda: marked(app, selected), "the mark on its row")
        await pilot.press("space")
        await until(pilot, lambda: not marked(app, selected), "unmarked")
        await pilot.press("space", "j", "j", "space")
        await until(pilot, lambda: marked(app, COMPLETED), "the second mark")
        assert marked(app, selected)
        assert not any(marked(app, other) for other in app.session.store.runs if other not in (selected, COMPLETED))

        await pilot.press("slash", *"base", "enter")
        await until(pilot, lambda: row_on_screen(app, selected) == "", "the filter hides the first")
        await pilot.press("c")  # the hidden run is still compared
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
        assert [key.train_id for key in app.screen.keys] == [selected, COMPLETED]
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen), "back")
        await pilot.press("slash", "escape")  # the filter cleared
        await until(pilot, lambda: marked(app, selected), "the mark is still there")
        assert marked(app, COMPLETED)


async def test_marks_are_per_backend_when_two_backends_have_a_run_of_the_same_id(tmp_path):
    fleet = Fleet({"gpu1": demo_session(tmp_path), "gpu2": demo_session(tmp_path)})
    app = TfTuiApp(fleet, connect=False, clock=lambda: NOW)
    async with app.run_test(size=(130, 24)) as pilot:
        await until(pilot, lambda: app.query_one(RunsList).selected is not None, "a selected run")
        backend, train_id = app.query_one(RunsList).selected or ("", "")
        await pilot.press("space")
        await until(pilot, lambda: row_on_screen(app, train_id, backend).startswith(MARK), "the mark")
        other = next(name for name in app.fleet.names if name != backend)
        assert not row_on_screen(app, train_id, other).startswith(MARK)
        assert [(key.backend, key.train_id) for key in app.marks] == [(backend, train_id)]


async def open_comparison(app: TfTuiApp, pilot, keys=("space", "j", "j", "space", "c")) -> CompareScreen:
    await until(pilot, lambda: app.query_one(RunsList).selected_id is not None, "a selected run")
    await pilot.press(*keys)
    await until(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    await until(pilot, lambda: "┤" in screen_text(app), "its chart")
    return screen


def table_row(app: TfTuiApp, label: str) -> list[str]:
    line = next(line for line in screen_text(app).splitlines() if line.strip().startswith(label))
    return line.strip()[len(label) :].split()


async def test_the_comparison_shows_a_legend_a_table_and_toggles_its_x_axis(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_comparison(app, pilot)
        shown = screen_text(app)
        assert f"⠤⠒ {LIVE[:8]} small" in shown and f"• {COMPLETED[:8]} base" in shown  # the legend: marker, id, model
        # Every row differs: the second run's values are marked, unlike the first's.
        assert table_row(app, "learning rate") == ["0.003", "≠", "0.001"]
        assert table_row(app, "batch size") == ["32", "≠", "64"]
        assert table_row(app, "final loss") == ["0.2607", "≠", "0.2412"]
        assert table_row(app, "held-out loss") == ["0.3581", "≠", "0.3205"]
        assert table_row(app, "steps") == ["4200/12000", "≠", "8000/8000"]
        assert table_row(app, "status") == ["training", "≠", "completed"]
        assert table_row(app, "duration") == ["13s", "≠", "58s"]
        lines = shown.splitlines()
        axis = next(index for index, line in enumerate(lines) if "└" in line)
        assert "loss by step" in shown and "8k" in lines[axis + 1]  # steps under the axis

        await pilot.press("t")
        await until_shown(pilot, "loss by time")
        assert re.search(r"\b1m00s\b", screen_text(app))  # the elapsed time under the axis
        await pilot.press("t")
        await until_shown(pilot, "loss by step")

        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen), "back to the dashboard")
        assert marked(app, LIVE) and marked(app, COMPLETED)


async def test_without_marks_c_compares_the_selected_run(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_comparison(app, pilot, keys=("c",))
        assert [key.train_id for key in screen.keys] == [LIVE]
        assert "Comparing 1 run:" in screen_text(app)


async def test_the_comparison_follows_its_runs_live(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_comparison(app, pilot)
        assert screen.keys[0].train_id == LIVE
        feed(app, 4500, 0.2, train_id=LIVE)
        await until(pilot, lambda: table_row(app, "steps")[0] == "4500/10000", "the new step in the table")
        assert table_row(app, "final loss")[0] == "0.2"


@pytest.mark.usefixtures("server")
async def test_a_real_runs_chart_and_comparison_grow_while_it_trains(server, endless_run, tmp_path):
    train_id = await endless_run()
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await until(pilot, lambda: "loss by step" in detail(app) and train_id in detail(app), "its chart")
        app.query_one(RunsList).select(train_id)
        await pilot.press("space", "c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
        await until(pilot, lambda: table_row(app, "steps")[0] != "—", "its steps")
        first = int(table_row(app, "steps")[0].split("/")[0])
        await until(pilot, lambda: int(table_row(app, "steps")[0].split("/")[0]) > first, "later steps, live")
