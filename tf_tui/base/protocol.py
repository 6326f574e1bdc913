"""The Talent Factory wire shapes, turned into typed events. Pure, and it never raises on bad input.

Any WebSocket frame or status body, however odd (see the backend contract's quirks: free-text
statuses, completion without `details`, status bodies without progress after a restart), becomes
either a typed event or an `Ignored` that says why.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import msgspec

TERMINAL_STATUSES = frozenset({"completed", "failed", "stopped"})
ACTIVE_STATUSES = frozenset(
    {
        "queued",
        "pending",
        "starting",
        "initializing",
        "validating",
        "preprocessing",
        "training",
        "optimizing",
        "evaluating",
        "finalizing",
        "running",
    }
)


# `system_update` events the reference server adds (README, protocol notes): a run began, a run ended.
TRAINING_STARTED = "training_started"
TRAINING_ENDED = "training_ended"
RUN_ANNOUNCEMENTS = frozenset({TRAINING_STARTED, TRAINING_ENDED})


class StatusKind(Enum):
    ACTIVE = "active"
    TERMINAL = "terminal"
    UNKNOWN = "unknown"  # free text such as "Loading model and tokenizer": kept, and taken as not ended


def normalise_status(status: str | None) -> str:
    """A status as the rules compare it: the server's casing and padding vary (`Completed `)."""
    return (status or "").strip().lower()


# Cached: asked several times for every frame, of the few statuses a server uses. At most 16 texts of at
# most a frame each (1 MiB), for a hostile server that sends a new one each time.
@functools.lru_cache(maxsize=16)
def classify_status(status: str | None) -> StatusKind:
    if status is None:
        return StatusKind.UNKNOWN
    normalised = normalise_status(status)
    if normalised in TERMINAL_STATUSES:
        return StatusKind.TERMINAL
    if normalised in ACTIVE_STATUSES:
        return StatusKind.ACTIVE
    return StatusKind.UNKNOWN


class RunUpdate(msgspec.Struct, frozen=True):
    """What one source said about one run: a WebSocket frame, a poll, or a resync read.

    A frozen msgspec Struct rather than a frozen dataclass: one is made per frame, and a frozen dataclass
    sets each of its 11 fields through `object.__setattr__` (a tenth of `watch --json`'s time per frame).
    Its empty dicts are new for each update, as `default_factory=dict` made them."""

    train_id: str
    status: str | None
    progress: int | None
    details: dict[str, Any] = {}
    result: dict[str, Any] | None = None
    error: str | None = None
    timestamp: str | None = None  # the server's, as it sent it: naive local, zoned, or SQLite text
    extra: dict[str, Any] = {}  # any other fields of a status body
    # The server's own dates of the run (a status body's), in its text: what a run's age is read from.
    created_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None  # `completed_at` (also a failure's) or `stopped_at`


@dataclass(frozen=True)
class SubscriptionConfirmed:
    train_id: str
    status: str  # "subscribed" or "unsubscribed"


@dataclass(frozen=True)
class Pong:
    timestamp: str | None


@dataclass(frozen=True)
class ServerError:
    message: str | None  # None: the frame did not say what went wrong


@dataclass(frozen=True)
class SystemUpdate:
    data: dict[str, Any]


@dataclass(frozen=True)
class RunAnnounced:
    """A `system_update` saying a run began (`training_started`) or ended (`training_ended`, with its
    final status). The reference server's extension, sent to every socket: a hint, never the only source."""

    event: str  # one of RUN_ANNOUNCEMENTS
    train_id: str
    base_model: str | None
    status: str | None
    timestamp: str | None


@dataclass(frozen=True)
class TalentEvent:
    event: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Ignored:
    reason: str


Event = RunUpdate | SubscriptionConfirmed | Pong | ServerError | SystemUpdate | RunAnnounced | TalentEvent | Ignored


def parse_frame(raw: str | bytes) -> Event:
    """One WebSocket frame from the server."""
    if isinstance(raw, bytes):
        return Ignored(f"binary frame of {len(raw)} bytes")
    try:
        message = decode_json(raw)
    except ValueError as error:
        return Ignored(f"not JSON ({error})")
    except RecursionError:  # nesting deeper than the decoder follows: not a ValueError
        return Ignored("not JSON (nested too deeply)")
    if not isinstance(message, dict):
        return Ignored(f"a JSON {type(message).__name__}, not an object")

    kind = message.get("type")
    if kind == "training_update":
        return _training_update(message)
    if kind == "subscription_confirmed":
        train_id, status = message.get("train_id"), message.get("status")
        if not isinstance(train_id, str) or not isinstance(status, str):
            return Ignored("subscription_confirmed without a train_id or status")
        return SubscriptionConfirmed(train_id, status)
    if kind == "pong":
        return Pong(_text_or_none(message.get("timestamp")))
    if kind == "error":
        return ServerError((_text_or_none(message.get("message")) or "").strip() or None)
    if kind == "system_update":
        return _system_update(message)
    if kind == "talent_event":
        return TalentEvent(str(message.get("event", "")), _object(message.get("data")))
    return Ignored(f"unknown frame type {kind!r}")


# msgspec's decoder takes a fifth of the time of the standard library's on a frame (the comparison is in
# docs/PERFORMANCE.md). What it refuses goes to the standard library's, which then decides as it always
# did: NaN and Infinity (a diverged loss, as Python's own `json.dumps` writes it), numbers beyond a double,
# lone surrogates, nesting deeper than it follows (RecursionError), and text that is not JSON at all (the
# error said is then the standard library's). Where both decode, they give the same value.
_FAST_DECODE = msgspec.json.Decoder().decode


def decode_json(raw: str) -> Any:
    """A frame's JSON, as `json.loads` gives it, sooner; raises as `json.loads` does."""
    try:
        return _FAST_DECODE(raw)
    except (ValueError, RecursionError):
        return json.loads(raw)


def parse_status(train_id: str, body: object) -> RunUpdate | Ignored:
    """A `GET /train/status/{id}` body, in any of the shapes the backends give."""
    if not isinstance(body, dict):
        return Ignored(f"status body is a {type(body).__name__}, not an object")
    status = _text_or_none(body.get("status"))
    if status is None:
        return Ignored("status body without a status")
    known = {"status", "progress", "details", "result", "error"}
    return RunUpdate(
        train_id=train_id,
        status=status,
        progress=_progress(body.get("progress")),
        details=_object(body.get("details")),
        result=_object(body["result"]) if isinstance(body.get("result"), dict) else None,
        error=_text_or_none(body.get("error")),
        timestamp=_text_or_none(body.get("completed_at") or body.get("stopped_at") or body.get("started_at")),
        extra={key: value for key, value in body.items() if key not in known},
        created_at=_text_or_none(body.get("created_at")),
        started_at=_text_or_none(body.get("started_at")),
        ended_at=_text_or_none(body.get("completed_at") or body.get("stopped_at")),
    )


def parse_server_time(text: str | None) -> float | None:
    """A server date as a Unix time: naive ISO (the server's local time, taken as ours: a server
    elsewhere is off by the zone difference), zoned ISO, or SQLite's `2026-11-29 00:54:54`."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def subscribe_frame(train_id: str) -> str:
    return json.dumps({"type": "subscribe_training", "train_id": train_id})


def unsubscribe_frame(train_id: str) -> str:
    return json.dumps({"type": "unsubscribe_training", "train_id": train_id})


def _training_update(message: dict[str, Any]) -> RunUpdate | Ignored:
    train_id = message.get("train_id")
    data = message.get("data")
    if not isinstance(train_id, str) or not train_id:
        return Ignored("training_update without a train_id")
    if not isinstance(data, dict):
        return Ignored(f"training_update for {train_id} without a data object")
    result = data.get("result") if isinstance(data.get("result"), dict) else None
    error = _text_or_none(data.get("error")) or (_text_or_none(result.get("error")) if result else None)
    return RunUpdate(
        train_id=train_id,
        status=_text_or_none(data.get("status")),
        progress=_progress(data.get("progress")),
        details=_object(data.get("details")),
        result=result,
        error=error if data.get("success") is not True else None,
        timestamp=_text_or_none(message.get("timestamp")),
    )


def _system_update(message: dict[str, Any]) -> SystemUpdate | RunAnnounced | Ignored:
    data = _object(message.get("data"))
    event = data.get("event")
    # Any JSON value can stand here: a list or an object is unhashable, so it is not even looked up.
    if not isinstance(event, str) or event not in RUN_ANNOUNCEMENTS:
        return SystemUpdate(data)  # the contract's own, and any the client does not know: shown, not acted on
    train_id = data.get("train_id")
    if not isinstance(train_id, str) or not train_id:
        return Ignored(f"{event} without a train_id")
    return RunAnnounced(
        event=event,
        train_id=train_id,
        base_model=_text_or_none(data.get("base_model")),
        status=_text_or_none(data.get("status")),
        timestamp=_text_or_none(message.get("timestamp")),
    )


def finite_number(value: object) -> float | None:
    """A JSON number as a float, or None for anything else, NaN, infinities and numbers too big for one."""
    if type(value) is float:  # the everyday case, first: a stored history holds thousands of them
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _progress(value: object) -> int | None:
    """Progress as an integer percentage in 0..100; anything else is "not known"."""
    number = finite_number(value)
    return None if number is None else max(0, min(100, int(number)))


def _text_or_none(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
