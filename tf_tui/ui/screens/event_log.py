"""The event log: what the session did, with times. The terminal's browser console."""

from __future__ import annotations

import logging
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Log, Static

from tf_tui.core.eventlog import EventLog, Kind, LogEntry
from tf_tui.ui.widgets.footer import LeakFreeFooter


def log_line(entry: LogEntry) -> str:
    mark = {logging.WARNING: "!", logging.ERROR: "E"}.get(entry.level, " ")
    return f"{datetime.fromtimestamp(entry.at).strftime('%H:%M:%S.%f')[:-3]} {mark} {entry.text}"


class EventLogScreen(ModalScreen[None]):
    """The session's event lines, the newest at the bottom, followed live; run updates on request."""

    DEFAULT_CSS = """
    EventLogScreen { background: $background 60%; }
    EventLogScreen > Static { height: 1; background: $panel; padding: 0 1; }
    EventLogScreen > Log { height: 1fr; border: round $primary; }
    """
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        Binding("u", "toggle_updates", "Updates", id="updates"),
        Binding("escape,l,q", "close", "Close", id="close"),
    ]

    def __init__(self, events: EventLog) -> None:
        super().__init__()
        self._events = events
        self._updates = False  # one line per run update would drown the rest

    def compose(self) -> ComposeResult:
        yield Static(id="event-log-title")
        # Every kind's buffer, in full, fits: nothing the log still keeps is cut here.
        yield Log(max_lines=self._events.length * len(Kind), auto_scroll=True)
        yield LeakFreeFooter()

    def on_mount(self) -> None:
        self._show_all()
        self._events.listeners.append(self._append)

    def on_unmount(self) -> None:
        self._events.listeners.remove(self._append)

    def action_toggle_updates(self) -> None:
        self._updates = not self._updates
        self._show_all()

    def _show_all(self) -> None:
        title = f"Event log, newest last; run updates {'shown' if self._updates else 'hidden'} (u)"
        self.query_one("#event-log-title", Static).update(Text(title))
        view = self.query_one(Log)
        view.clear()
        # Log shows text as it is: entries are already cleaned of escape sequences, and Log has no markup.
        view.write_lines(log_line(entry) for entry in self._events.shown(updates=self._updates))
        # From the newest line, wherever the view was: Log follows the end only when it was at the end before,
        # and after `clear` the old position is no longer the end.
        view.scroll_end(animate=False, immediate=True, x_axis=False)

    def _append(self, entry: LogEntry) -> None:
        if entry.kind is Kind.UPDATE and not self._updates:
            return
        for view in self.query(Log):  # none while the screen is being torn down
            view.write_line(log_line(entry))

    def action_close(self) -> None:
        self.dismiss(None)
