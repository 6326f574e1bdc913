"""The runs list: one RunRow per run, newest first, with a cursor and a filter.

Newest is by the server's own creation (or start) time when it gives one, else by when the run became
known here: runs restored from the state file then sort among the ones the listing brings later.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from textual.containers import VerticalScroll
from textual.message import Message

from tf_tui.store import RunState
from tf_tui.ui.widgets.run_row import RunRow


def server_time(value: object) -> float | None:
    """An ISO 8601 timestamp from the server as epoch seconds; None when absent or unreadable."""
    return _parse_time(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)  # every repaint compares a row's time with the others'
def _parse_time(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


class RunsList(VerticalScroll, can_focus=True):
    """The rows, their order, the selection and the filter; the app says which runs changed."""

    DEFAULT_CSS = """
    RunsList { height: auto; }
    """

    class Selected(Message):
        def __init__(self, train_id: str | None) -> None:
            super().__init__()
            self.train_id = train_id

    def __init__(self, clock: Callable[[], float] = time.time, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._rows: dict[str, RunRow] = {}
        # When and in which order each run became known: its age when the server gives none, and ties.
        self._known: dict[str, tuple[float, int]] = {}
        self._counter = itertools.count()
        self._filter = ""
        self._settled = False  # the cursor is the user's, or on a run going: the list stops choosing
        self.selected_id: str | None = None

    def show(self, run: RunState) -> None:
        """Add a row for a new run, or repaint the run's row; either way in its place, newest on top."""
        row = self._rows.get(run.train_id)
        if row is None:
            self._known[run.train_id] = (self._clock(), next(self._counter))
            row = RunRow(run, self._clock)
            self._rows[run.train_id] = row
            row.display = self._matches(run)
            self.mount(row, before=self._first_older(run))
            return
        self._keep_in_place(row)
        row.refresh()

    def select_default(self) -> None:
        """Until the user moves the cursor: the newest run going, else the newest run."""
        if self._settled:
            return
        visible = [self._rows[train_id].run for train_id in self._visible()]
        going = [run for run in visible if run.status is not None and not run.ended and not run.missing]
        target = going[0] if going else (visible[0] if visible else None)
        self._settled = bool(going)
        if target is not None and target.train_id != self.selected_id:
            self._select(target.train_id)

    def remove_run(self, train_id: str) -> None:
        """Take a run's row away; the selection moves to the row below it (else above)."""
        row = self._rows.pop(train_id, None)
        if row is None:
            return
        if self.selected_id == train_id:
            visible = self._visible()
            index = visible.index(train_id) if train_id in visible else 0
            rest = [other for other in visible if other != train_id]
            self.selected_id = None
            self.select(rest[min(index, len(rest) - 1)] if rest else None)
        row.remove()

    def refresh_ages(self) -> None:
        for row in self._rows.values():
            if row.display:
                row.refresh()

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        for row in self._rows.values():
            row.display = self._matches(row.run)
        if self.selected_id is not None and not self._rows[self.selected_id].display:
            visible = self._visible()
            self._select(visible[0] if visible else None)

    def move(self, delta: int) -> None:
        visible = self._visible()
        if not visible:
            return
        index = visible.index(self.selected_id) if self.selected_id in visible else -delta
        self.select(visible[max(0, min(len(visible) - 1, index + delta))])

    def select(self, train_id: str | None) -> None:
        """The user's choice (or their action's): from now on the list does not choose for them."""
        self._settled = True
        self._select(train_id)

    def _select(self, train_id: str | None) -> None:
        if self.selected_id in self._rows:
            self._rows[self.selected_id].remove_class("-selected")
        self.selected_id = train_id if train_id in self._rows else None
        if self.selected_id is not None:
            row = self._rows[self.selected_id]
            row.add_class("-selected")
            self.scroll_to_widget(row, animate=False)
        self.post_message(self.Selected(self.selected_id))

    def _order(self, run: RunState) -> tuple[float, int]:
        known_at, sequence = self._known[run.train_id]
        created = server_time(run.created_at or run.extra.get("started_at"))
        return (known_at if created is None else created), sequence

    def _first_older(self, run: RunState) -> RunRow | None:
        """The first row, from the top, of a run older than this one: this one's place is before it."""
        order = self._order(run)
        rows = (child for child in self.children if isinstance(child, RunRow) and child.run is not run)
        return next((row for row in rows if self._order(row.run) < order), None)

    def _keep_in_place(self, row: RunRow) -> None:
        """A run's time can become known late (a listing after a restore): move its row if it must."""
        older = self._first_older(row.run)
        rows = [child for child in self.children if isinstance(child, RunRow)]
        following = rows[rows.index(row) + 1] if rows.index(row) + 1 < len(rows) else None
        if older is following:
            return
        if older is not None:
            self.move_child(row, before=older)
        else:
            self.move_child(row, after=rows[-1])

    def _visible(self) -> list[str]:
        return [row.run.train_id for row in self.children if isinstance(row, RunRow) and row.display]

    def _matches(self, run: RunState) -> bool:
        if not self._filter:
            return True
        haystack = " ".join(filter(None, (run.train_id, run.base_model, run.status))).lower()
        return self._filter in haystack
