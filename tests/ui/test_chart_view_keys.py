"""The charts' view driven with keys, read off the screen: m (smoothing), + - 0 (the step window), y (the y
scale), T (the detail chart's x axis), and t and m in the comparison; and every choice holding through an
update, a selection change and a relaunch (a new app over the same state directory)."""

from __future__ import annotations

import re

from textual.widgets import Static

from tests.ui.screen import lines_in, screen_text, shown_in, toasts_on_screen, until, until_shown
from tests.ui.test_charts import COMPLETED, FED, LIVE, TALL, chart_text, detail, fed_and_selected, feed, open_comparison
from tf_tui.ui import repaint
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import demo_app
from tf_tui.ui.screens.compare import CompareScreen
from tf_tui.ui.widgets.loss_chart import LossChart
from tf_tui.ui.widgets.runs_list import RunsList


def title(app: TfTuiApp) -> str:
    """The chart's title: what it draws, its window and its scale, then its legend (as one line)."""
    return shown_in(app, app.query_one("#loss-title", Static))


legend = title


def zoomed(app: TfTuiApp) -> bool:
    return re.search(r"last [\d,]+ steps", title(app)) is not None


def y_labels(app: TfTuiApp) -> list[str]:
    return re.findall(r"(\S+)┤", chart_text(app))


def x_labels(app: TfTuiApp) -> list[str]:
    lines = lines_in(app, app.query_one("#loss", LossChart))
    return lines[-1].split() if lines else []


async def live_chart(app: TfTuiApp, pilot) -> None:
    """The demo's live run selected (the first row), its chart drawn."""
    await until(pilot, lambda: app.query_one(RunsList).selected_id == LIVE, "the live run selected")
    await until(pilot, lambda: "loss by step" in detail(app) and "┤" in chart_text(app), "its chart")


async def test_m_cycles_the_smoothing_weight_and_the_legend_says_it(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await live_chart(app, pilot)
        raw = chart_text(app)
        assert "smoothed" not in detail(app)
        for weight in ("0.6", "0.9", "0.99"):
            await pilot.press("m")
            await until(pilot, lambda weight=weight: f"⠤⠒ smoothed {weight}" in legend(app), f"smoothed {weight}")
            await until(pilot, lambda: chart_text(app) != raw, "the smoothed curve drawn over the raw one")
        await pilot.press("m")
        await until(pilot, lambda: "smoothed" not in detail(app), "smoothing off")
        await until(pilot, lambda: chart_text(app) == raw, "the raw curve alone, as before")


async def test_without_colour_the_raw_curve_behind_the_smoothed_one_is_drawn_in_dots(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await live_chart(app, pilot)
        assert "·" not in chart_text(app)
        await pilot.press("m")
        await until(pilot, lambda: "· loss ⠤⠒ smoothed 0.6" in legend(app), "the legend: dots, then a line")
        await until(pilot, lambda: "·" in chart_text(app), "the raw curve in dots")


async def test_plus_minus_and_zero_narrow_widen_and_reset_the_window_and_the_y_axis_fits_it(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL, notifications=True) as pilot:
        await live_chart(app, pilot)  # steps 300 to 4200, losses from 3.05 to 0.26: a log scale
        whole_y, whole_x = y_labels(app), x_labels(app)
        assert whole_x[0] == "0" and whole_x[-1] == "12k"  # up to the run's total steps
        await pilot.press("plus")
        await until(pilot, lambda: "last 1,950 steps" in title(app), "half the run")
        await until(pilot, lambda: x_labels(app)[-1] == "4.2k", "the axis ends at the latest step")
        assert y_labels(app)[0] != whole_y[0]  # the y axis fits the window: the early high losses are out
        assert "(log scale)" not in title(app)  # within the window the losses span less than a factor of 10
        await pilot.press("plus")  # half of 1,950 would hold fewer than the last 5 points (every 300 steps)
        await until(pilot, lambda: "last 1,200 steps" in title(app), "the narrowest window")
        await pilot.press("plus")
        await until(pilot, lambda: "narrows no further" in toasts_on_screen(app), "nothing narrower")
        await pilot.press("minus")
        await until(pilot, lambda: "last 2,400 steps" in title(app), "twice as wide")
        await pilot.press("minus")
        await until(pilot, lambda: not zoomed(app) and x_labels(app) == whole_x, "wider than the run: the whole run")
        await pilot.press("minus")
        await until(pilot, lambda: "whole run already" in toasts_on_screen(app), "nothing wider")
        await pilot.press("plus", "0")
        await until(pilot, lambda: not zoomed(app) and x_labels(app) == whole_x, "0: the whole run again")
        assert y_labels(app) == whole_y


async def test_y_forces_the_scale_log_then_linear_then_back_to_auto(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await fed_and_selected(app, pilot, [(100, 1.0), (200, 0.8), (300, 0.5)])
        await until(pilot, lambda: "┤" in chart_text(app) and "scale" not in title(app), "linear: a small span")
        auto = y_labels(app)
        await pilot.press("y")
        await until(pilot, lambda: "(log scale, forced)" in title(app), "log")
        await until(pilot, lambda: y_labels(app) != auto, "the axis on a log scale")
        await pilot.press("y")
        await until(pilot, lambda: "(linear scale, forced)" in title(app), "linear")
        await until(pilot, lambda: y_labels(app) == auto, "the linear axis")
        feed(app, 400, 0.04)  # now the span is more than ten times: auto would be logarithmic
        await until(pilot, lambda: "at step 400" in title(app), "the new point")
        assert "(linear scale, forced)" in title(app) and "0.04┤" not in chart_text(app)
        await pilot.press("y")
        await until(pilot, lambda: "(log scale)" in title(app), "auto: log again")


async def test_capital_t_draws_the_detail_chart_by_elapsed_time(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await live_chart(app, pilot)
        await pilot.press("T")
        await until(pilot, lambda: "loss by elapsed time" in title(app), "by time")
        await until(pilot, lambda: all(label.endswith("s") for label in x_labels(app)), "durations under the axis")
        await pilot.press("T")
        await until(pilot, lambda: "loss by step" in title(app) and x_labels(app)[-1] == "12k", "by step again")


async def test_the_view_holds_through_updates_anchored_at_the_latest_step(tmp_path, monkeypatch):
    monkeypatch.setattr(repaint, "REPAINT_INTERVAL_S", 0.0)
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await fed_and_selected(app, pilot, [(step, 2.0 - step / 10_000) for step in range(100, 2100, 100)])
        await pilot.press("plus", "m", "y", "T")
        await until(pilot, lambda: "loss by elapsed time" in title(app) and "smoothed 0.6" in legend(app), "chosen")
        assert "(no elapsed time reported)" in title(app)  # the fed points have none
        await pilot.press("T")
        await until(pilot, lambda: x_labels(app)[-1] == "2k", "by step, to the latest step")
        assert "last 950 steps" in title(app) and "(log scale, forced)" in title(app)
        feed(app, 2100, 1.79)
        feed(app, 2200, 1.78)
        await until(pilot, lambda: x_labels(app)[-1] == "2.2k", "the window moved along with the run")
        assert "last 950 steps" in title(app) and "(log scale, forced)" in title(app)
        assert "smoothed 0.6" in legend(app) and "loss by step" in title(app)


async def test_the_view_is_the_views_not_the_runs(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await live_chart(app, pilot)
        await pilot.press("plus", "m", "m")
        await until(pilot, lambda: "last 1,950 steps" in title(app) and "smoothed 0.9" in legend(app), "chosen")
        app.query_one(RunsList).select(COMPLETED)
        await until(pilot, lambda: COMPLETED in detail(app) and "at step 8000" in title(app), "another run")
        assert "last 1,950 steps" in title(app) and "smoothed 0.9" in legend(app)
        await until(pilot, lambda: x_labels(app)[-1] == "8k" and x_labels(app)[0] != "0", "its last 1,950 steps")


async def test_the_choices_survive_a_relaunch_and_the_comparison_keeps_its_own_axis(tmp_path):
    first = demo_app(tmp_path)
    async with first.run_test(size=TALL) as pilot:
        await live_chart(first, pilot)
        await pilot.press("plus", "y", "y", "T")
        await until(pilot, lambda: "(linear scale, forced)" in title(first), "chosen")
        await until(pilot, lambda: "loss by elapsed time" in title(first), "chosen")
        await open_comparison(first, pilot, keys=("c",))
        await pilot.press("t", "m", "m")
        await until_shown(pilot, "loss by time, smoothed 0.9")

    again = demo_app(tmp_path)  # the same state directory: the same backend's choices
    async with again.run_test(size=TALL) as pilot:
        await until(pilot, lambda: "loss by elapsed time" in detail(again), "the detail chart as it was left")
        assert "last 1,950 steps" in title(again) and "(linear scale, forced)" in title(again)
        assert "smoothed 0.9" in legend(again)  # the weight chosen in the comparison is the charts' weight
        await open_comparison(again, pilot, keys=("c",))
        await until_shown(pilot, "loss by time, smoothed 0.9")
        await pilot.press("escape", "0", "T")
        await until(pilot, lambda: "loss by step" in title(again) and not zoomed(again), "changed again")

    third = demo_app(tmp_path)
    async with third.run_test(size=TALL) as pilot:
        await until(pilot, lambda: "loss by step" in detail(third), "the latest choices")
        assert not zoomed(third) and "(linear scale, forced)" in title(third)


async def test_m_in_the_comparison_smooths_every_run_and_t_keeps_the_smoothing(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_comparison(app, pilot)
        chart = screen.query_one(LossChart)
        raw = screen_text(app)
        await pilot.press("m")
        await until_shown(pilot, "loss by step, smoothed 0.6")
        await until(pilot, lambda: shown_chart(app, chart) != chart_only(raw), "the smoothed curves drawn")
        await pilot.press("t")
        await until_shown(pilot, "loss by time, smoothed 0.6")
        assert isinstance(app.screen, CompareScreen) and app.screen.view.smoothing == 0.6


def shown_chart(app: TfTuiApp, chart: LossChart) -> str:
    return chart_only(screen_text(app))


def chart_only(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "┤" in line or "│" in line)


async def test_a_zoomed_chart_repaints_at_most_once_per_interval_however_many_updates_come(tmp_path, monkeypatch):
    monkeypatch.setattr(repaint, "REPAINT_INTERVAL_S", 3600.0)  # no second paint within the test
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await fed_and_selected(app, pilot, [(step, 2.0 - step / 10_000) for step in range(100, 1100, 100)])
        await pilot.press("plus", "m")
        chart = app.query_one("#loss", LossChart)
        await until(pilot, lambda: "last 450 steps" in title(app) and "smoothed 0.6" in legend(app), "chosen")
        await until(pilot, lambda: "smoothed" in legend(app) and chart.renders > 0, "drawn")
        drawn, renders = chart_text(app), chart.renders
        for step in range(400, 5400, 100):  # 50 updates, each painted by the app
            feed(app, step, 2.0 - step / 10_000)
            await pilot.pause()
        await until(pilot, lambda: "at step 5300" in title(app), "the title follows every update")
        assert chart.renders == renders and chart_text(app) == drawn
        assert FED in detail(app)


async def test_plus_on_a_run_without_a_curve_says_so_and_changes_nothing(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL, notifications=True) as pilot:
        await live_chart(app, pilot)
        app.query_one(RunsList).select("b7e90f13-2c4d-4a5b-9e8f-7a6b5c4d3e2f")  # the failed run: no loss
        await until(pilot, lambda: "b7e90f13" in detail(app), "the failed run")
        await pilot.press("plus")
        await until(pilot, lambda: "no loss curve yet" in toasts_on_screen(app), "said")
        assert app.chart_view.window is None
