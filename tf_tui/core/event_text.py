"""What a stream event says in the event log: `describe_event`, one line for each event. Pure.

The lines are written as the server's words came: the event log makes them printable when it keeps them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tf_tui.base.protocol import (
    TRAINING_STARTED,
    Event,
    Ignored,
    Pong,
    RunAnnounced,
    RunUpdate,
    ServerError,
    SubscriptionConfirmed,
    SystemUpdate,
    TalentEvent,
)
from tf_tui.core.eventlog import Kind


@dataclass(frozen=True)
class EventLine:
    """One line for the event log: `EventLog.add(line.text, line.level, line.kind)`."""

    text: str
    level: int = logging.INFO
    kind: Kind | None = None  # None: the log files it by its level


def describe_event(event: Event) -> EventLine | None:
    """The event log's line for one stream event; None for a keepalive's answer, which says nothing.

    Every kind of event has its case: a new one in `protocol.Event` is a type error here until it has its words.
    """
    match event:
        case RunUpdate(train_id=train_id, status=status, progress=progress):
            percent = "" if progress is None else f" {progress}%"
            # One a frame, several a second: kept out of sight unless asked for.
            return EventLine(f"update for {train_id}: {status}{percent}", logging.DEBUG, Kind.UPDATE)
        case SubscriptionConfirmed(train_id=train_id, status=status):
            return EventLine(f"subscription confirmed for {train_id}: {status}", kind=Kind.SUBSCRIPTION)
        case ServerError(message=None):
            return EventLine(
                "the server reported an error without saying what (its error frame had no message)", logging.WARNING
            )
        case ServerError(message=message):
            return EventLine(f"the server reported an error: {message}", logging.WARNING)
        case TalentEvent(event=name):
            return EventLine(_server_event(name, "talent_event"))
        case RunAnnounced(event=announced, train_id=train_id, base_model=base_model) if announced == TRAINING_STARTED:
            model = f" ({base_model})" if base_model else ""
            return EventLine(f"the server announced a new run {train_id}{model}", kind=Kind.SUBSCRIPTION)
        case RunAnnounced(event=announced, train_id=train_id, status=status):
            # The session says the run's end once, whichever report brings it first (a stop's reply, the
            # run's last update, this): the announcement itself goes with the updates.
            text = f"server event: {announced} for {train_id}: {status or 'status not said'}"
            return EventLine(text, logging.DEBUG, Kind.UPDATE)
        case SystemUpdate(data=data):
            return EventLine(_server_event(data.get("event"), "system_update"))
        case Ignored(reason=reason):
            return EventLine(f"ignored a frame: {reason}", logging.WARNING)
        case Pong():
            return None


def _server_event(name: object, frame_type: str) -> str:
    """A server event by the name the server gave it, never one made up for it."""
    if isinstance(name, str) and name:
        return f"server event: {name}"
    return f"server event: a {frame_type} without a name"
