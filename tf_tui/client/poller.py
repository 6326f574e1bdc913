"""When to read a run's status over HTTP: the fallback behind the stream. Pure.

While the stream is live, only runs that have said nothing for `LIVE_INTERVAL_S` are read (a run that
streams is never polled); while it is down, every watched run every `DOWN_INTERVAL_S`. A run whose read
is still in flight is never read a second time. Between polls the loop sleeps until the next run falls due
(`next_poll_at`), a tick at least and an interval at most.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LIVE_INTERVAL_S = 30.0
DOWN_INTERVAL_S = 5.0
TICK_S = 1.0


@dataclass(frozen=True)
class PollIntervals:
    """How long a watched run may go unheard before its status is read, with the stream live or down."""

    live: float = LIVE_INTERVAL_S
    down: float = DOWN_INTERVAL_S

    def current(self, stream_live: bool) -> float:
        return self.live if stream_live else self.down


def due_for_poll(
    now: float,
    last_heard: Mapping[str, float | None],  # every watched run still going, and when it last said anything
    last_polled: Mapping[str, float],
    in_flight: set[str],
    interval: float,  # PollIntervals.current()
) -> list[str]:
    return [
        train_id
        for train_id, heard in last_heard.items()
        if train_id not in in_flight and _due_at(train_id, heard, last_polled, interval) <= now
    ]


def _due_at(train_id: str, heard: float | None, last_polled: Mapping[str, float], interval: float) -> float:
    """When a run falls due: an interval after it last said anything or was last polled, whichever is later."""
    latest = max(heard if heard is not None else float("-inf"), last_polled.get(train_id, float("-inf")))
    return latest + interval


def next_poll_at(
    now: float,
    last_heard: Mapping[str, float | None],
    last_polled: Mapping[str, float],
    in_flight: set[str],
    interval: float,
) -> float | None:
    """When the next of these runs falls due for a poll (`due_for_poll`'s arguments); None when there is none.
    A run due already or being read is looked at again a tick from now: its read, once made, says when it
    was last polled."""
    moments = []
    for train_id, heard in last_heard.items():
        due_at = _due_at(train_id, heard, last_polled, interval)
        moments.append(now + TICK_S if train_id in in_flight or due_at <= now else due_at)
    return min(moments, default=None)
