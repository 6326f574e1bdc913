"""The event log: what the session did, with times. The terminal's browser console."""

from __future__ import annotations

import logging
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Log, Static

from tf_tui.eventlog import EventLog, LogEntry


def log_line(entry: LogEntry) -> str:
    mark = {logging.WARNING: "!", logging.ERROR: "E"}.get(entry.level, " ")
    return f"{datetime.fromtimestamp(entry.at).strftime('%H:%M:%S.%f')[:-3]} {mark} {entry.text}"


class EventLogScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    EventLogScreen { background: $background 60%; }
    EventLogScreen > Static { height: 1; background: $panel; padding: 0 1; }
    EventLogScreen > Log { height: 1fr; border: round $primary; }
    """
    BINDINGS = [Binding("escape,l,q", "close", "Close")]  # noqa: RUF012 - Textual's own declaration style

    def __init__(self, events: EventLog) -> None:
        super().__init__()
        self._events = events

    def compose(self) -> ComposeResult:
        yield Static("Event log: socket, subscriptions, updates, polls, errors (newest at the bottom)")
        yield Log(max_lines=self._events.entries.maxlen, auto_scroll=True)
        yield Footer()

    def on_mount(self) -> None:
        # Log shows text as it is: entries are already cleaned of escape sequences, and Log has no markup.
        self.query_one(Log).write_lines(log_line(entry) for entry in self._events.entries)
        self._events.listeners.append(self._append)

    def on_unmount(self) -> None:
        self._events.listeners.remove(self._append)

    def _append(self, entry: LogEntry) -> None:
        for view in self.query(Log):  # none while the screen is being torn down
            view.write_line(log_line(entry))

    def action_close(self) -> None:
        self.dismiss(None)
