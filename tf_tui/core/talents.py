"""Evaluate a run, publish it as a talent, read the catalogue, try a talent: for the dashboard and the CLI alike.

Each call goes through a session's API; a backend without the route (the deployed one answers 404 or
405 to the reference server's extensions) is remembered in `session.capabilities` before the
`RouteMissing` goes on to the caller, which says so in words. Every text here comes from the server:
it is made printable, and a metric that is not a number is left out rather than shown as one.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from tf_tui.base.capabilities import Extension
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, RouteMissing
from tf_tui.core.format import short_id
from tf_tui.core.session import Session
from tf_tui.core.store import Outcome, RunState

NAME_LIMIT = 60
TEXT_LIMIT = 2000

Answer = TypeVar("Answer")


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


@dataclass(frozen=True)
class Talent:
    id: str  # as the server sent it
    name: str
    category: str
    version: str
    metrics: list[Metric]
    created_at: str


@dataclass(frozen=True)
class TalentReply:
    text: str  # as the server sent it, made printable line by line
    confidence: float | None
    response_time_ms: float | None


def completed_refusal(run: RunState | None, done: str) -> str | None:
    """Why a run cannot be `done` ("evaluated", "published"): only a completed run has a model. None when it can."""
    if run is None:
        return "no run is selected"
    if run.missing:
        return f"run {short_id(run.train_id)} is not known to the server"
    if run.outcome is not Outcome.COMPLETED:
        status = printable(run.status, 40) if run.status else "not heard of yet"
        return f"only a completed run can be {done}; run {short_id(run.train_id)} is {status}"
    return None


async def evaluate(session: Session, train_id: str) -> Evaluation:
    reply = await _calling(session, Extension.EVALUATE, session.api.evaluate(train_id))
    passed = reply.get("rubric_passed")
    return Evaluation(
        _text(reply.get("eval_id")),
        _text(reply.get("talent_id")) or train_id,
        _metrics(reply),
        safety_score=_number(reply.get("safety_score")),
        rubric_passed=passed if isinstance(passed, bool) else None,
    )


async def publish(
    session: Session, train_id: str, name: str, category: str, version: str, metrics: dict[str, float] | None = None
) -> str:
    """Publish a completed run as a talent; its id as the server gives it back. A refusal is also kept in the
    event log and the run's timeline."""
    try:
        reply = await _calling(
            session, Extension.PUBLISH, session.api.publish(train_id, name, category, version, metrics)
        )
    except ApiError as error:
        session.note_refusal(train_id, "publish", error)
        raise
    talent_id = reply.get("talent_id")
    return talent_id if isinstance(talent_id, str) and talent_id else train_id


async def catalogue(session: Session) -> list[Talent]:
    entries = await _calling(session, Extension.CATALOGUE, session.api.talents())
    return [_talent(entry) for entry in entries if isinstance(entry.get("id"), str)]


async def try_talent(session: Session, talent_id: str, test_input: str) -> TalentReply:
    reply = await _calling(session, Extension.TALENT_TEST, session.api.try_talent(talent_id, test_input))
    output = reply.get("test_output")
    if not isinstance(output, str):
        raise ApiError("the server's answer has no test_output text")
    lines = output.splitlines() or [""]
    return TalentReply(
        "\n".join(printable(line, TEXT_LIMIT) for line in lines)[:TEXT_LIMIT],
        _number(reply.get("confidence")),
        _number(reply.get("response_time_ms")),
    )


async def _calling(session: Session, extension: Extension, call: Awaitable[Answer]) -> Answer:
    try:
        return await call
    except RouteMissing as missing:
        session.capabilities.lacks(extension, missing.reason)
        raise


def _metrics(body: dict[str, Any]) -> list[Metric]:
    """`metrics` (a map of numbers, as the deployed shape has it) with `methods` beside it when present."""
    metrics, methods = body.get("metrics"), body.get("methods")
    methods = methods if isinstance(methods, dict) else {}
    if not isinstance(metrics, dict):
        return []
    found = []
    for name, value in metrics.items():
        number = _number(value)
        if number is not None:
            method = methods.get(name)
            found.append(
                Metric(printable(name, NAME_LIMIT), number, printable(method, 300) if isinstance(method, str) else None)
            )
    return found


def _talent(entry: dict[str, Any]) -> Talent:
    return Talent(
        id=entry["id"],  # as the server spells it, to ask for it again; shown only through printable
        name=_text(entry.get("name")) or "(no name)",
        category=_text(entry.get("category")),
        version=_text(entry.get("version")),
        metrics=_metrics(entry),
        created_at=_text(entry.get("created_at")),
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _text(value: object) -> str:
    return printable(value, NAME_LIMIT) if isinstance(value, str) else ""
