"""The reference server's stored metrics: bounded on a long run, ends and evaluations kept, in its database."""

from __future__ import annotations

from tf_tui.server.db import Database
from tf_tui.server.metrics import POINT_LIMIT, RunMetrics, metric_point


def test_a_long_runs_points_stay_within_the_limit_with_both_ends_and_every_evaluation(tmp_path) -> None:
    database = Database(tmp_path / "db.sqlite")
    recorder = RunMetrics(database)
    steps = 3 * POINT_LIMIT
    for step in range(1, steps + 1):
        held_out = {"eval_loss": 3.0 - step / steps} if step % 500 == 0 else {}
        recorder.record("long", {"step": step, "loss": 4.0 - step / steps, "elapsed_s": step / 100, **held_out})
    recorder.record("short", {"step": 1, "loss": 4.0})
    recorder.finish("long")

    points = recorder.points("long")
    assert len(points) <= POINT_LIMIT
    assert len(points) >= POINT_LIMIT // 2  # thinned to the limit's grain, not far below it
    assert (points[0]["step"], points[-1]["step"]) == (1, steps)
    assert [point["step"] for point in points if point["eval_loss"] is not None] == list(range(500, steps + 1, 500))
    assert recorder.downsampled("long") and not recorder.downsampled("short")
    database.close()

    database = Database(tmp_path / "db.sqlite")
    reopened = RunMetrics(database)
    assert reopened.points("long") == points
    assert reopened.downsampled("long")
    assert reopened.points("short") == [
        {"step": 1, "elapsed_s": None, "loss": 4.0, "eval_loss": None, "samples_per_s": None, "learning_rate": None}
    ]
    database.close()


def test_a_line_without_a_step_or_a_number_is_no_point() -> None:
    assert metric_point({"message": "Evaluating"}) is None
    assert metric_point({"step": 3, "message": "Training step 3/10"}) is None
    assert metric_point({"step": True, "loss": 1.0}) is None
    assert metric_point({"step": 3, "loss": float("nan"), "eval_loss": 2}) == {
        "step": 3,
        "elapsed_s": None,
        "loss": None,
        "eval_loss": 2.0,
        "samples_per_s": None,
        "learning_rate": None,
    }
