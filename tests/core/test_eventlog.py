"""The event log keeps each kind of line apart, so a flood of updates never pushes out the rest."""

from __future__ import annotations

import logging

from tf_tui.core.eventlog import EventLog, Kind


def test_a_flood_of_updates_never_pushes_out_connection_subscription_poll_or_error_lines():
    events = EventLog(length=50)
    events.add("socket live", kind=Kind.CONNECTION)
    events.add("subscribing to a", kind=Kind.SUBSCRIPTION)
    events.add("polling the status of a", kind=Kind.POLL)
    events.add("status read of a failed: timeout", logging.WARNING)
    events.add("started a")
    for step in range(10_000):
        events.add(f"update for a: training {step}", logging.DEBUG, Kind.UPDATE)

    kept = [entry.text for entry in events.shown(updates=False)]
    assert kept == [
        "socket live",
        "subscribing to a",
        "polling the status of a",
        "status read of a failed: timeout",
        "started a",
    ]
    every = [entry.text for entry in events.entries]
    assert every[:5] == kept and len(every) == 5 + 50
    assert every[-1] == "update for a: training 9999"


def test_lines_of_every_kind_come_back_in_the_order_they_were_added():
    events = EventLog()
    events.add("update 1", kind=Kind.UPDATE)
    events.add("socket connecting", kind=Kind.CONNECTION)
    events.add("update 2", kind=Kind.UPDATE)
    events.add("the server reported an error: bad", logging.WARNING)
    assert [entry.text for entry in events.entries] == [
        "update 1",
        "socket connecting",
        "update 2",
        "the server reported an error: bad",
    ]
    assert [entry.kind for entry in events.entries][-1] is Kind.ERROR


def test_each_kind_is_bounded():
    events = EventLog(length=3)
    for number in range(10):
        events.add(f"socket {number}", kind=Kind.CONNECTION)
    assert [entry.text for entry in events.entries] == ["socket 7", "socket 8", "socket 9"]
