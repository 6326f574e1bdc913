"""What the session did, in words and in order: the terminal's browser console. Bounded."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from tf_tui.text import printable

EVENT_LOG_LENGTH = 500
log = logging.getLogger("tf_tui.events")


@dataclass(frozen=True)
class LogEntry:
    at: float
    text: str
    level: int = logging.INFO


class EventLog:
    def __init__(self, length: int = EVENT_LOG_LENGTH) -> None:
        self.entries: deque[LogEntry] = deque(maxlen=length)
        self.listeners: list[Callable[[LogEntry], None]] = []  # e.g. an open event log screen

    def add(self, text: str, level: int = logging.INFO) -> LogEntry:
        entry = LogEntry(time.time(), printable(text), level)
        self.entries.append(entry)
        log.log(level, "%s", entry.text)
        for listener in list(self.listeners):
            try:
                listener(entry)
            except Exception:  # a viewer's trouble must never reach the code that logged
                log.exception("an event log listener failed")
        return entry
