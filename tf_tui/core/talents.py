"""Evaluate a run, publish it as a talent, read the catalogue, try a talent: for the dashboard and the CLI alike.

Each call goes through a session's API; a backend without the route (the deployed one answers 404 or
405 to the reference server's extensions) is remembered in `session.capabilities` before the
`RouteMissing` goes on to the caller, which says so in words. Every text here comes from the server:
it is made printable, and a metric that is not a number is left out rather than shown as one.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from tf_tui.base.capabilities import Extension
from tf_tui.base.protocol import finite_number
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, BackendUnreachable, HttpError, RouteMissing
from tf_tui.core.evaluation import Evaluation, Metric, evaluation_from_json, metrics_from_json
from tf_tui.core.format import short_id
from tf_tui.core.session import Session
from tf_tui.core.store import Outcome, RunState

NAME_LIMIT = 60
TEXT_LIMIT = 2000

Answer = TypeVar("Answer")


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


class Refused(Exception):
    """What cannot be done to a run, found before anything was sent; the message says why, in words."""


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


def model_path(run: RunState | None) -> str | None:
    """Where the run's saved model is, as its result names it: what the deployed backend needs to publish it."""
    path = run.result.get("model_path") if run is not None and run.result is not None else None
    return path if isinstance(path, str) and path.strip() else None


def publish_refusal(run: RunState | None) -> str | None:
    """Why a run cannot be published: it has not completed, or names no saved model. None when it can."""
    refusal = completed_refusal(run, "published")
    if refusal is not None or model_path(run) is not None:
        return refusal
    assert run is not None  # completed_refusal refuses no run
    return (
        f"run {short_id(run.train_id)} names no saved model (its status has no result.model_path), which "
        "publishing needs; a backend that restarted since the run completed no longer says it"
    )


def publish_advice(error: ApiError) -> str:
    """The way forward after the backend refused to publish, to say after its own words."""
    code = error.status_code if isinstance(error, HttpError) else None
    if isinstance(error, BackendUnreachable):
        return "Check that the backend is up and reachable, then publish again."
    if code in (401, 403):
        return "Give the backend's token (--token-file or TF_TUI_TOKEN), then publish again."
    if code == 409:
        return "Only a completed run that saved its model can be published."
    if code is not None and code >= 500:
        return "The backend failed: `tf-tui talents` shows whether the talent arrived; if not, publish again."
    return "Change what the backend names and publish again."


async def evaluate(session: Session, train_id: str) -> Evaluation:
    reply = await _calling(session, Extension.EVALUATE, session.api.evaluate(train_id))
    return evaluation_from_json(reply, train_id)


async def publish(
    session: Session, train_id: str, name: str, category: str, version: str, metrics: dict[str, float] | None = None
) -> str:
    """Publish a completed run as a talent; its id as the server gives it back.

    The run is read first: the deployed backend requires the run's `model_path`, which its status gives,
    so a run that has not completed or names no saved model is `Refused` before anything is sent. A
    refusal by the server is also kept in the event log and the run's timeline.
    """
    run = await session.read(train_id)
    refusal = publish_refusal(run)
    if refusal is not None:
        raise Refused(refusal)
    path = model_path(run)
    assert path is not None  # publish_refusal refuses a run without one
    try:
        reply = await _calling(
            session, Extension.PUBLISH, session.api.publish(train_id, name, category, version, path, metrics)
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
        finite_number(reply.get("confidence")),
        finite_number(reply.get("response_time_ms")),
    )


async def _calling(session: Session, extension: Extension, call: Awaitable[Answer]) -> Answer:
    try:
        return await call
    except RouteMissing as missing:
        session.capabilities.lacks(extension, missing.reason)
        raise


def _talent(entry: dict[str, Any]) -> Talent:
    return Talent(
        id=entry["id"],  # as the server spells it, to ask for it again; shown only through printable
        name=_text(entry.get("name")) or "(no name)",
        category=_text(entry.get("category")),
        version=_text(entry.get("version")),
        metrics=metrics_from_json(entry),
        created_at=_text(entry.get("created_at")),
    )


def _text(value: object) -> str:
    return printable(value, NAME_LIMIT) if isinstance(value, str) else ""
