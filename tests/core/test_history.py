"""A run's metrics history: in step order, merged by step, bounded, and never fooled by server text."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tf_tui.common.downsample import thin
from tf_tui.core.history import MetricHistory, MetricPoint


@given(st.integers(min_value=0, max_value=3000), st.integers(min_value=2, max_value=50))
def test_thinning_keeps_the_ends_and_the_order_within_the_limit(count: int, limit: int) -> None:
    kept = thin(list(range(count)), limit)
    assert len(kept) <= limit
    assert kept == sorted(set(kept))
    if count:
        assert (kept[0], kept[-1]) == (0, count - 1)


def test_a_limit_below_two_still_keeps_both_ends() -> None:
    assert thin([1, 2, 3], 1) == [1, 3]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"step": 3, "loss": 2.5}, MetricPoint(3, loss=2.5)),
        (
            {"step": 3, "loss": 2.5, "eval_loss": 2.7, "learning_rate": 0.001},
            MetricPoint(3, 2.5, 2.7, learning_rate=0.001),
        ),
        ({"step": 3}, None),  # no value: nothing to draw
        ({"loss": 2.5}, None),  # no step: no place on the x axis
        ({"step": True, "loss": 2.5}, None),
        ({"step": 2.0, "loss": 2.5}, None),
        ({"step": -1, "loss": 2.5}, None),
        ({"step": 3, "loss": math.nan}, None),
        ({"step": 3, "loss": "2.5", "eval_loss": 10**400}, None),
    ],
)
def test_a_point_is_read_from_server_text(document: dict[str, object], expected: MetricPoint | None) -> None:
    assert MetricPoint.from_json(document) == expected


def test_points_arriving_out_of_order_are_kept_in_step_order_and_a_step_heard_twice_is_one_point() -> None:
    history = MetricHistory()
    history.add(MetricPoint(10, loss=1.0))
    history.merge([MetricPoint(1, loss=4.0), MetricPoint(5, loss=2.0), MetricPoint(10, eval_loss=1.2)])
    history.add(MetricPoint(5, loss=2.1))
    assert history.points == [
        MetricPoint(1, loss=4.0),
        MetricPoint(5, loss=2.1),
        MetricPoint(10, loss=1.0, eval_loss=1.2),
    ]
    assert history.last_step == 10


def test_a_long_run_keeps_its_first_and_last_points_within_the_limit() -> None:
    history = MetricHistory(limit=100)
    for step in range(1, 10_001):
        history.add(MetricPoint(step, loss=1 / step))
    assert len(history) <= 100
    assert (history.points[0].step, history.points[-1].step) == (1, 10_000)
    steps = [point.step for point in history.points]
    assert steps == sorted(steps)


@given(st.integers(min_value=0, max_value=3000), st.integers(min_value=2, max_value=50), st.integers(1, 400))
def test_thinning_spares_the_kept_points_while_others_remain(count: int, limit: int, every: int) -> None:
    kept = thin(list(range(count)), limit, keep=lambda point: point % every == 0)
    assert len(kept) <= limit
    assert kept == sorted(set(kept))
    spared = [point for point in range(count) if point % every == 0]
    if count and len(spared) + 2 <= limit:
        assert set(spared) <= set(kept)
        assert (kept[0], kept[-1]) == (0, count - 1)


def test_a_long_run_keeps_its_evaluations_when_thinned() -> None:
    history = MetricHistory(limit=100)
    for step in range(1, 10_001):
        history.add(MetricPoint(step, loss=1 / step, eval_loss=2 / step if step % 1000 == 0 else None))
    assert [point.step for point in history.points if point.eval_loss is not None] == list(range(1000, 10_001, 1000))
    assert len(history) <= 100
