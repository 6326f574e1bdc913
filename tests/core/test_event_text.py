"""The event log's words for each stream event."""

from __future__ import annotations

import logging

import pytest

from tf_tui.base.protocol import (
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
from tf_tui.core.event_text import EventLine, describe_event
from tf_tui.core.eventlog import EventLog, Kind


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (RunUpdate("r1", "training", 40), EventLine("update for r1: training 40%", logging.DEBUG, Kind.UPDATE)),
        (RunUpdate("r1", "pending", None), EventLine("update for r1: pending", logging.DEBUG, Kind.UPDATE)),
        (
            SubscriptionConfirmed("r1", "subscribed"),
            EventLine("subscription confirmed for r1: subscribed", kind=Kind.SUBSCRIPTION),
        ),
        (ServerError("bad frame"), EventLine("the server reported an error: bad frame", logging.WARNING)),
        (
            ServerError(None),
            EventLine(
                "the server reported an error without saying what (its error frame had no message)", logging.WARNING
            ),
        ),
        (TalentEvent("talent_created", {}), EventLine("server event: talent_created")),
        (SystemUpdate({"event": "maintenance"}), EventLine("server event: maintenance")),
        (SystemUpdate({}), EventLine("server event: a system_update without a name")),
        (TalentEvent("", {}), EventLine("server event: a talent_event without a name")),
        (
            RunAnnounced("training_started", "r1", "tiny", "starting", None),
            EventLine("the server announced a new run r1 (tiny)", kind=Kind.SUBSCRIPTION),
        ),
        (
            RunAnnounced("training_started", "r1", None, None, None),
            EventLine("the server announced a new run r1", kind=Kind.SUBSCRIPTION),
        ),
        (
            # The session says the end itself, once: the announcement goes with the updates.
            RunAnnounced("training_ended", "r1", "tiny", "completed", None),
            EventLine("server event: training_ended for r1: completed", logging.DEBUG, Kind.UPDATE),
        ),
        (
            RunAnnounced("training_ended", "r1", None, None, None),
            EventLine("server event: training_ended for r1: status not said", logging.DEBUG, Kind.UPDATE),
        ),
        (Ignored("not JSON"), EventLine("ignored a frame: not JSON", logging.WARNING)),
        (Pong("2026-11-29T00:54:54"), None),
    ],
)
def test_each_event_has_its_line(event: Event, line: EventLine | None):
    assert describe_event(event) == line


def test_a_run_update_is_kept_apart_from_the_lines_that_explain_an_outage():
    log = EventLog()
    line = describe_event(RunUpdate("r1", "training", 40))
    assert line is not None
    log.add(line.text, line.level, line.kind)
    assert log.shown(updates=False) == [] and [entry.text for entry in log.entries] == ["update for r1: training 40%"]


def test_server_text_in_a_line_is_made_printable_by_the_log():
    line = describe_event(ServerError("\x1b[2Jgone"))
    assert line is not None and line.level == logging.WARNING
    entry = EventLog().add(line.text, line.level, line.kind)
    assert "\x1b" not in entry.text and entry.kind is Kind.ERROR
