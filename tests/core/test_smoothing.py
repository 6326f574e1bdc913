"""Smoothing: TensorBoard's debiased moving average, point by point, checked against two reference computations
(the weighted mean written out, and TensorBoard's own loop); constant stretches, gaps and NaN."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tf_tui.core.history import MetricHistory, MetricPoint
from tf_tui.core.smoothing import GAP_FACTOR, Ema, SmoothedSeries, check_weight, smooth

WEIGHTS = (0.0, 0.6, 0.9, 0.99)


def weighted_mean(values: list[float], weight: float) -> list[float]:
    """The definition written out: point n's value is the mean of the values so far, the k-th weighted by
    w^(n-k) (newest weighs most); with weights summing to one, no zero start to take away."""
    smoothed = []
    for n in range(1, len(values) + 1):
        weights = [weight ** (n - k) for k in range(1, n + 1)]
        smoothed.append(sum(w * v for w, v in zip(weights, values[:n], strict=True)) / sum(weights))
    return smoothed


def tensorboard(values: list[float], weight: float) -> list[float]:
    """TensorBoard's loop (tensorboard/components/vz_line_chart2, `resmoothDataset`), ported as it is."""
    last, accumulated = 0.0, 0
    constant = all(value == values[0] for value in values)
    smoothed = []
    for value in values:
        if constant or not math.isfinite(value):
            smoothed.append(value)
            continue
        last = last * weight + (1 - weight) * value
        accumulated += 1
        smoothed.append(last / (1 - weight**accumulated) if weight != 1 else last)
    return smoothed


def series(values: list[float], stride: int = 10) -> list[tuple[float, float | None]]:
    return [(stride * index, value) for index, value in enumerate(values)]


LOSSES = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=60)


@given(LOSSES, st.sampled_from(WEIGHTS))
def test_it_is_the_weighted_mean_of_the_points_so_far(values: list[float], weight: float) -> None:
    for got, expected in zip(smooth(series(values), weight), weighted_mean(values, weight), strict=True):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-6)


@given(LOSSES, st.sampled_from(WEIGHTS))
def test_it_is_what_tensorboard_draws(values: list[float], weight: float) -> None:
    for got, expected in zip(smooth(series(values), weight), tensorboard(values, weight), strict=True):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_the_first_point_is_its_own_value_not_pulled_towards_zero() -> None:
    assert smooth([(0, 4.0), (10, 2.0)], 0.9)[0] == 4.0
    assert smooth([(0, 4.0), (10, 2.0)], 0.9)[1] == pytest.approx((0.9 * 4.0 + 2.0) / 1.9)


@pytest.mark.parametrize("value", [0.3, 1e-7, 2.345678, -0.1, 0.0])
@pytest.mark.parametrize("weight", WEIGHTS)
def test_a_constant_series_smooths_to_itself_exactly(value: float, weight: float) -> None:
    assert smooth(series([value] * 500), weight) == [value] * 500


def test_a_constant_stretch_then_a_change_goes_on_from_the_same_average() -> None:
    values = [0.3] * 5 + [0.1, 0.2]
    got = smooth(series(values), 0.6)
    assert got[:5] == [0.3] * 5
    assert got[5:] == pytest.approx(weighted_mean(values, 0.6)[5:])


def test_a_nan_or_infinite_point_is_skipped_and_the_average_goes_on_as_if_it_were_absent() -> None:
    values = [4.0, 3.0, math.nan, 2.0, math.inf, -math.inf, 1.0]
    got = smooth(series(values, stride=1), 0.9)
    assert [got[2], got[4], got[5]] == [None, None, None]
    finite = [value for value in values if math.isfinite(value)]
    kept = [value for value in got if value is not None]
    assert kept == pytest.approx(weighted_mean(finite, 0.9))


def test_an_absent_value_is_skipped_too() -> None:
    assert smooth([(0, 2.0), (1, None), (2, 1.0)], 0.5)[1] is None


def test_a_gap_in_the_steps_starts_the_average_again() -> None:
    before, after = [4.0, 3.9, 3.8, 3.7], [1.0, 0.9, 0.8]
    steps = [0, 10, 20, 30] + [30 + int(GAP_FACTOR * 10) + 10 * k for k in range(1, 4)]
    got = smooth(list(zip(steps, before + after, strict=True)), 0.9)
    assert got[:4] == pytest.approx(weighted_mean(before, 0.9))
    assert got[4:] == pytest.approx(weighted_mean(after, 0.9))  # none of the points before the gap


def test_a_jump_up_to_the_gap_factor_is_data() -> None:
    values = [4.0, 3.9, 3.8, 1.0]
    steps = [0, 10, 20, 20 + int(GAP_FACTOR * 10)]
    assert smooth(list(zip(steps, values, strict=True)), 0.9) == pytest.approx(weighted_mean(values, 0.9))


def test_a_run_of_nan_points_long_enough_leaves_a_gap() -> None:
    values = [4.0, 3.9, 3.8] + [math.nan] * 20 + [1.0, 0.9]
    got = smooth(series(values, stride=1), 0.9)
    assert got[-2:] == pytest.approx(weighted_mean([1.0, 0.9], 0.9))


def test_a_stride_that_doubles_is_no_gap_nor_one_that_changes_for_good() -> None:
    thinned_then_fresh = [0, 20, 40, 60, 70, 80, 90]  # a history thinned to its bound, then new points
    values = [4.0, 3.0, 2.5, 2.2, 2.0, 1.9, 1.8]
    assert smooth(list(zip(thinned_then_fresh, values, strict=True)), 0.6) == pytest.approx(weighted_mean(values, 0.6))
    # The first steps logged one by one, then every 100: one restart, then the new stride is the usual one.
    steps = [1, 2, 3, 100, 200, 300, 400]
    got = smooth(list(zip(steps, values, strict=True)), 0.6)
    assert got[3:] == pytest.approx(weighted_mean(values[3:], 0.6))


def test_a_step_not_after_the_last_starts_again() -> None:
    got = smooth([(10, 4.0), (20, 3.0), (5, 1.0), (15, 2.0)], 0.5)
    assert got[2:] == pytest.approx(weighted_mean([1.0, 2.0], 0.5))


@pytest.mark.parametrize("weight", [-0.1, 1.0, 1.5, math.nan])
def test_a_weight_outside_0_to_1_is_refused(weight: float) -> None:
    with pytest.raises(ValueError, match="smoothing weight"):
        check_weight(weight)
    with pytest.raises(ValueError, match="smoothing weight"):
        Ema(weight)


def test_a_series_extended_point_by_point_is_the_series_smoothed_at_once() -> None:
    points = series([4.0, 3.5, math.nan, 3.0, 2.0, 2.5, 1.0])
    growing = SmoothedSeries(0.9)
    for point in points:
        growing.extend([point])
    assert growing.values == smooth(points, 0.9)


def test_a_history_smooths_only_its_new_points_and_again_from_the_first_once_rewritten() -> None:
    history = MetricHistory(limit=8)
    for step in range(1, 7):
        history.add(MetricPoint(step, loss=10.0 / step))
    first = history.smoothed_loss(0.9)
    kept = list(first)
    history.add(MetricPoint(7, loss=1.0))
    again = history.smoothed_loss(0.9)
    assert again is first and again[:6] == kept  # extended, not recomputed
    assert list(again) == smooth([(p.step, p.loss) for p in history.points], 0.9)

    history.add(MetricPoint(8, eval_loss=2.0))  # no loss: no smoothed value
    assert history.smoothed_loss(0.9)[-1] is None
    history.add(MetricPoint(9, loss=0.9))  # past the limit: thinned
    history.merge([MetricPoint(3, loss=5.0)])
    expected = smooth([(p.step, p.loss) for p in history.points], 0.9)
    assert list(history.smoothed_loss(0.9)) == expected
    assert list(history.smoothed_loss(0.6)) == smooth([(p.step, p.loss) for p in history.points], 0.6)
