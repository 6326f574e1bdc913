"""What the session did, in words and in order: the terminal's browser console. Bounded.

Each kind of line has a buffer of its own, so that a flood of one kind (a run's updates, several a
second) never pushes out the few lines that explain an outage: the socket's, the subscriptions', the
polls' and the errors'.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from tf_tui.base.text import printable

EVENT_LOG_LENGTH = 500  # lines kept of each kind
log = logging.getLogger("tf_tui.events")


class Kind(Enum):
    CONNECTION = "connection"
    SUBSCRIPTION = "subscription"
    POLL = "poll"
    ERROR = "error"
    UPDATE = "update"  # one per run update: off in the event log screen unless asked for
    OTHER = "other"


@dataclass(frozen=True)
class LogEntry:
    at: float
    text: str
    level: int = logging.INFO
    kind: Kind = Kind.OTHER
    sequence: int = 0  # the order of adding, across kinds


class EventLog:
    """The session's event lines, a bounded buffer per kind, and the viewers told of each new one."""

    def __init__(self, length: int = EVENT_LOG_LENGTH, *, clock: Callable[[], float] = time.time) -> None:
        self.length = length
        self._clock = clock
        self._buffers: dict[Kind, deque[LogEntry]] = {kind: deque(maxlen=length) for kind in Kind}
        self._sequence = itertools.count()
        self.listeners: list[Callable[[LogEntry], None]] = []  # e.g. an open event log screen

    @property
    def entries(self) -> list[LogEntry]:
        """Every line kept, of every kind, in the order they were added."""
        return self.shown(updates=True)

    def shown(self, *, updates: bool) -> list[LogEntry]:
        """The lines kept, in order; the per-update ones only when asked for."""
        kinds = [kind for kind in Kind if updates or kind is not Kind.UPDATE]
        return list(heapq.merge(*(self._buffers[kind] for kind in kinds), key=lambda entry: entry.sequence))

    def add(self, text: str, level: int = logging.INFO, kind: Kind | None = None, *, to_file: bool = True) -> LogEntry:
        """Keep a line. Without a kind, a warning or worse is an error line. `to_file=False`: a line already
        written to the log file (a fleet's copy of one backend's line)."""
        if kind is None:
            kind = Kind.ERROR if level >= logging.WARNING else Kind.OTHER
        entry = LogEntry(self._clock(), printable(text), level, kind, next(self._sequence))
        self._buffers[kind].append(entry)
        if to_file:
            log.log(level, "%s", entry.text)
        for listener in list(self.listeners):
            try:
                listener(entry)
            except Exception:  # a viewer's trouble must never reach the code that logged
                log.exception("an event log listener failed")
        return entry
