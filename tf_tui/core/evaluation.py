"""A run's evaluation as the server states it: each metric a number, with how the server computed it when it
says (the reference server does; the deployed backend's constants come without). Pure: server text is made
printable, and a metric that is not a number is left out rather than shown as one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tf_tui.base.protocol import finite_number
from tf_tui.base.text import printable

NAME_LIMIT = 60
METHOD_LIMIT = 300


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    method: str | None  # how the server computed it, when it says


@dataclass(frozen=True)
class Evaluation:
    eval_id: str
    talent_id: str
    metrics: list[Metric]
    # The deployed backend's verdicts beside the metrics, when the server gives them.
    safety_score: float | None = None
    rubric_passed: bool | None = None

    def numbers(self) -> dict[str, float]:
        return {metric.name: metric.value for metric in self.metrics}

    def verdicts(self) -> list[tuple[str, str]]:
        """The safety score and the rubric's verdict, as (label, value) text: those the server gave."""
        shown = [] if self.safety_score is None else [("safety score", f"{self.safety_score:.4g}")]
        if self.rubric_passed is not None:
            shown.append(("rubric", "passed" if self.rubric_passed else "not passed"))
        return shown


def evaluation_from_json(body: dict[str, Any], train_id: str) -> Evaluation:
    """`POST /evaluate/run`'s answer, or a stored evaluation: the talent is the run itself unless it says."""
    passed = body.get("rubric_passed")
    return Evaluation(
        _text(body.get("eval_id")),
        _text(body.get("talent_id")) or train_id,
        metrics_from_json(body),
        safety_score=finite_number(body.get("safety_score")),
        rubric_passed=passed if isinstance(passed, bool) else None,
    )


def metrics_from_json(body: dict[str, Any]) -> list[Metric]:
    """`metrics` (a map of numbers, as the deployed shape has it) with `methods` beside it when present."""
    metrics, methods = body.get("metrics"), body.get("methods")
    methods = methods if isinstance(methods, dict) else {}
    if not isinstance(metrics, dict):
        return []
    found = []
    for name, value in metrics.items():
        number = finite_number(value)
        if number is not None:
            method = methods.get(name)
            described = printable(method, METHOD_LIMIT) if isinstance(method, str) else None
            found.append(Metric(printable(name, NAME_LIMIT), number, described))
    return found


def _text(value: object) -> str:
    return printable(value, NAME_LIMIT) if isinstance(value, str) else ""
