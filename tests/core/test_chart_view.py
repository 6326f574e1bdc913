"""The charts' view: the window's maths, the curves in it, the scales, and the choices as kept in a file."""

from __future__ import annotations

import pytest

from tf_tui.core.chart import uses_log_scale
from tf_tui.core.chart_view import MIN_WINDOW_POINTS, ChartView, YScale, loss_curves, loss_steps
from tf_tui.core.comparison import XAxis
from tf_tui.core.history import MetricHistory, MetricPoint
from tf_tui.core.smoothing import smooth

STEPS = list(range(0, 4200, 100))  # 0 to 4100: a span of 4100 steps


def test_plus_halves_the_whole_run_then_the_window_and_minus_doubles_it_back_to_the_whole_run() -> None:
    view = ChartView()
    halved = view.narrowed(STEPS)
    assert halved is not None and halved.window == 2050
    quartered = halved.narrowed(STEPS)
    assert quartered is not None and quartered.window == 1025
    widened = quartered.widened(STEPS)
    assert widened is not None and widened.window == 2050
    whole = widened.widened(STEPS)
    assert whole == view  # doubled past the run: the whole run
    assert whole.widened(STEPS) is None  # nothing wider than the whole run


def test_the_window_never_narrows_below_the_last_few_points() -> None:
    view, narrowest = ChartView(), STEPS[-1] - STEPS[-MIN_WINDOW_POINTS]
    windows = []
    while (narrower := view.narrowed(STEPS)) is not None:
        view = narrower
        windows.append(view.window)
    assert windows[-1] == narrowest and all(w is not None and w >= narrowest for w in windows)
    assert windows == sorted(windows, reverse=True)


def test_a_run_with_one_point_cannot_be_narrowed() -> None:
    assert ChartView().narrowed([100]) is None and ChartView().narrowed([]) is None


def test_a_window_wider_than_the_run_shown_narrows_from_the_run() -> None:
    wide = ChartView(window=100_000)  # chosen on a longer run
    narrowed = wide.narrowed(STEPS)
    assert narrowed is not None and narrowed.window == 2050
    assert wide.widened(STEPS) == ChartView()


def test_zero_resets_the_window_and_nothing_else() -> None:
    view = ChartView(smoothing=0.9, window=500, y_scale=YScale.LOG, x_axis=XAxis.TIME)
    assert view.reset() == ChartView(smoothing=0.9, y_scale=YScale.LOG, x_axis=XAxis.TIME)


def test_m_and_y_cycle_their_choices() -> None:
    weights, view = [], ChartView()
    for _ in range(5):
        view = view.next_smoothing()
        weights.append(view.smoothing)
    assert weights == [0.6, 0.9, 0.99, None, 0.6]
    assert [ChartView(y_scale=s).next_y_scale().y_scale for s in YScale] == [YScale.LOG, YScale.LINEAR, YScale.AUTO]
    assert ChartView().other_x_axis().x_axis is XAxis.TIME
    assert ChartView().other_compare_axis().other_compare_axis() == ChartView()


@pytest.mark.parametrize(
    ("scale", "values", "log"),
    [
        (YScale.AUTO, [1.0, 0.5], False),
        (YScale.AUTO, [4.0, 0.2], True),
        (YScale.LOG, [1.0, 0.5], True),
        (YScale.LOG, [1.0, 0.0], False),  # no logarithm of zero: linear whatever was chosen
        (YScale.LINEAR, [4.0, 0.2], False),
    ],
)
def test_the_y_scale_is_as_chosen_where_it_can_be(scale: YScale, values: list[float], log: bool) -> None:
    assert ChartView(y_scale=scale).log_scale(values) is log
    assert uses_log_scale(values, {YScale.AUTO: None, YScale.LOG: True, YScale.LINEAR: False}[scale]) is log


def test_the_choices_read_back_as_written_and_anything_else_as_the_default() -> None:
    view = ChartView(smoothing=0.99, window=1500, y_scale=YScale.LINEAR, x_axis=XAxis.TIME, compare_axis=XAxis.TIME)
    assert ChartView.from_section(view.section()) == view
    edited = {"smoothing": 1.5, "window": -3, "y_scale": "cubic", "x_axis": 7, "compare_axis": None}
    assert ChartView.from_section(edited) == ChartView()
    assert ChartView.from_section({"smoothing": True, "window": 2.5}) == ChartView()
    assert ChartView.from_section({"smoothing": 0.75}).smoothing == 0.75  # a weight of the user's own


def history_of(points: list[MetricPoint]) -> MetricHistory:
    history = MetricHistory()
    history.merge(points)
    return history


def test_the_curves_start_at_the_window_and_the_smoothed_curve_is_smoothed_over_the_whole_run() -> None:
    points = [
        MetricPoint(step, loss=4.0 / (1 + step / 500), eval_loss=5.0 if step % 1000 == 0 else None) for step in STEPS
    ]
    history = history_of(points)
    whole = loss_curves(history, XAxis.STEP)
    assert whole.raw == [(p.step, p.loss) for p in points] and whole.smoothed == []
    assert whole.held_out == [(step, 5.0) for step in range(0, 4200, 1000)]

    curves = loss_curves(history, XAxis.STEP, smoothing=0.9, window=1000)
    assert [x for x, _ in curves.raw] == list(range(3100, 4200, 100))
    expected = smooth([(p.step, p.loss) for p in points], 0.9)
    assert curves.smoothed == [(p.step, value) for p, value in zip(points, expected, strict=True) if p.step >= 3100]
    assert curves.held_out == [(4000, 5.0)]
    assert loss_steps(history) == STEPS


def test_by_time_the_curves_leave_out_points_without_an_elapsed_time() -> None:
    history = history_of([MetricPoint(1, loss=2.0), MetricPoint(2, loss=1.0, elapsed_s=3.0)])
    assert loss_curves(history, XAxis.TIME, smoothing=0.6).raw == [(3.0, 1.0)]
    assert loss_curves(history, XAxis.TIME, smoothing=0.6).smoothed == [(3.0, pytest.approx((0.6 * 2 + 1) / 1.6))]
