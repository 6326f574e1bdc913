"""What the client takes from an evaluation or a catalogue entry: numbers only, server text made printable."""

from __future__ import annotations

from tf_tui.core.evaluation import Metric, metrics_from_json
from tf_tui.core.store import RunState
from tf_tui.core.talents import _talent, completed_refusal


def test_only_finite_numbers_are_metrics_and_each_keeps_its_method():
    body = {
        "metrics": {"accuracy": 0.9, "flag": True, "nan": float("nan"), "text": "0.5", "\x1b[31mloss": 1},
        "methods": {"accuracy": "share right\x1b]0;title\x07", "\x1b[31mloss": 7},
    }
    assert metrics_from_json(body) == [Metric("accuracy", 0.9, "share right"), Metric("loss", 1.0, None)]
    assert metrics_from_json({"metrics": [1, 2]}) == [] and metrics_from_json({}) == []


def test_the_deployed_shape_reads_without_methods():
    deployed = {"metrics": {"accuracy": 0.85, "f1_score": 0.82, "precision": 0.88, "recall": 0.8}}
    assert [(metric.name, metric.method) for metric in metrics_from_json(deployed)] == [
        ("accuracy", None), ("f1_score", None), ("precision", None), ("recall", None)
    ]  # fmt: skip


def test_a_talent_keeps_its_id_as_sent_and_shows_printable_text():
    talent = _talent({"id": "a\x1b[2Jb", "name": "[bold]x[/]\x07", "metrics": {"accuracy": 1}})
    assert talent.id == "a\x1b[2Jb" and talent.name == "[bold]x[/]" and talent.category == ""


def test_only_a_completed_run_can_be_evaluated():
    assert completed_refusal(None, "evaluated") == "no run is selected"
    going = RunState("3f2a9c1e-0000", status="training")
    assert completed_refusal(going, "evaluated") == "only a completed run can be evaluated; run 3f2a9c1e is training"
    assert completed_refusal(RunState("3f2a9c1e-0000", status="completed"), "published") is None
