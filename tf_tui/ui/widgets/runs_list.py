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

from textual import events
from textual.containers import VerticalScroll
from textual.message import Message

from tf_tui.core.store import RunState
from tf_tui.ui.widgets.run_row import Columns, RunRow


def server_time(value: object) -> float | None:
    """An ISO 8601 timestamp from the server as epoch seconds; None when absent or unreadable."""
    return _parse_time(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)  # every repaint compares a row's time with the others'
def _parse_time(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


# A row's key: the run's backend (None when one backend is followed) and its id.
RowKey = tuple[str | None, str]


class RunsList(VerticalScroll, can_focus=True):
    """The rows, their order, the selection and the filter; the app says which runs changed.

    With several backends, a row is a run of one backend (the same id on two is two rows), and the list
    can be narrowed to one backend (`show_backend`).
    """

    DEFAULT_CSS = """
    RunsList { height: auto; }
    """

    class Selected(Message):
        def __init__(self, train_id: str | None, backend: str | None = None) -> None:
            super().__init__()
            self.train_id = train_id
            self.backend = backend

    def __init__(self, clock: Callable[[], float] = time.time, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._rows: dict[RowKey, RunRow] = {}
        # When and in which order each run became known: its age when the server gives none, and ties.
        self._known: dict[RowKey, tuple[float, int]] = {}
        self._placed: dict[RowKey, tuple[float, int]] = {}  # each row's order when last put in place
        self._counter = itertools.count()
        self._filter = ""
        self._backend_shown: str | None = None  # only this backend's runs, or every backend's
        self._settled = False  # the cursor is the user's, or on a run going: the list stops choosing
        self._in_view: set[RunRow] | None = None  # the rows in the list's viewport; None: to be worked out
        # Told the rows in view whenever they change: the app has their runs' statuses read first.
        self.on_view: Callable[[list[RowKey]], None] = lambda keys: None
        self._told_in_view: set[RunRow] = set()
        self.selected: RowKey | None = None
        self.columns = Columns()  # sized from every run shown: the rows are repainted when they grow

    @property
    def selected_id(self) -> str | None:
        return None if self.selected is None else self.selected[1]

    def show(self, run: RunState, backend: str | None = None) -> None:
        """Add a row for a new run, or repaint the run's row; either way in its place, newest on top."""
        key = (backend, run.train_id)
        row = self._rows.get(key)
        columns = self.columns.taking(run)
        grew, self.columns = columns is not self.columns, columns
        if row is None:
            self._known[key] = (self._clock(), next(self._counter))
            row = RunRow(run, self._clock, backend, lambda: self.columns)
            self._rows[key] = row
            self._placed[key] = self._order(row)
            row.display = self._matches(row)
            self.mount(row, before=self._first_older(row))
            self._view_changed()
            return
        if row.parent is not self:
            return  # its mount was refused: the list is being taken down, at exit
        self._keep_in_place(row)
        if grew:  # every row's columns moved: those in view are repainted now, the others as they come into it
            self._view_changed()
        elif row in self._rows_in_view():
            row.show_latest()

    def select_default(self) -> None:
        """Until the user moves the cursor: the newest run going, else the newest run."""
        if self._settled:
            return
        visible = self._visible()
        going = [key for key in visible if self._rows[key].run.going]
        target = going[0] if going else (visible[0] if visible else None)
        self._settled = bool(going)
        if target is not None and target != self.selected:
            self._select(target)

    def remove_run(self, train_id: str, backend: str | None = None) -> None:
        """Take a run's row away; the selection moves to the row below it (else above)."""
        key = (backend, train_id)
        row = self._rows.pop(key, None)
        self._placed.pop(key, None)
        if row is None:
            return
        if self.selected == key:
            visible = self._visible()
            index = visible.index(key) if key in visible else 0
            rest = [other for other in visible if other != key]
            self.selected = None
            self._settled = True
            self._select(rest[min(index, len(rest) - 1)] if rest else None)
        row.remove()
        self._view_changed()

    def set_marked(self, key: RowKey, marked: bool) -> None:
        row = self._rows.get(key)
        if row is not None and row.marked != marked:
            row.marked = marked
            row.refresh()

    def refresh_ages(self) -> None:
        for row in self._rows_in_view():
            row.show_latest()

    def _rows_in_view(self) -> set[RunRow]:
        """The rows the list's viewport shows (a row is one line). Only these are repainted as their runs
        change: a row out of sight is brought up to date when it comes into view (`_view_changed`). Textual
        would render it all the same, and a refresh of a widget out of sight makes it work out the place of
        every widget again."""
        if self._in_view is None:
            rows = [row for row in self.children if isinstance(row, RunRow) and row.display and self._holds(row)]
            top = int(self.scroll_y)  # and one row more: a line scrolled in part shows two rows in part
            self._in_view = set(rows[top : top + self.scrollable_content_region.height + 1])
        return self._in_view

    def _holds(self, row: RunRow) -> bool:
        """False for a row being removed: it stays among the children until Textual is done with it."""
        return self._rows.get((row.backend, row.run.train_id)) is row

    def _view_changed(self) -> None:
        """Rows moved, scrolled, came, went or were filtered: bring the ones now in view up to date."""
        self._in_view = None
        in_view = self._rows_in_view()
        for row in in_view:
            row.show_latest()
        if in_view != self._told_in_view:
            self._told_in_view = set(in_view)
            self.on_view([(row.backend, row.run.train_id) for row in in_view])

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if int(old_value) != int(new_value):
            self._view_changed()

    def on_resize(self, event: events.Resize) -> None:
        self._view_changed()

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._refilter()

    def show_backend(self, backend: str | None) -> None:
        """Only this backend's runs, or (None) every backend's."""
        self._backend_shown = backend
        self._refilter()

    def _refilter(self) -> None:
        for row in self._rows.values():
            row.display = self._matches(row)
        self._view_changed()
        if self.selected is not None and not self._rows[self.selected].display:
            visible = self._visible()
            self._select(visible[0] if visible else None)

    def move(self, delta: int) -> None:
        visible = self._visible()
        if not visible:
            return
        index = visible.index(self.selected) if self.selected in visible else -delta
        self._settled = True
        self._select(visible[max(0, min(len(visible) - 1, index + delta))])

    def select(self, train_id: str | None, backend: str | None = None) -> None:
        """The user's choice (or their action's): from now on the list does not choose for them.
        Without a backend, the first row of that run id on any backend."""
        self._settled = True
        key: RowKey | None = None
        if train_id is not None:
            key = (backend, train_id)
            if backend is None and key not in self._rows:
                key = next((row for row in self._rows if row[1] == train_id), key)
        self._select(key)

    def _select(self, key: RowKey | None) -> None:
        if self.selected in self._rows:
            self._rows[self.selected].remove_class("-selected")
        self.selected = key if key in self._rows else None
        if self.selected is not None:
            row = self._rows[self.selected]
            row.add_class("-selected")
            self.scroll_to_widget(row, animate=False)
        backend, train_id = self.selected or (None, None)
        self.post_message(self.Selected(train_id, backend))

    def _order(self, row: RunRow) -> tuple[float, int]:
        known_at, sequence = self._known[(row.backend, row.run.train_id)]
        created = server_time(row.run.created_at or row.run.extra.get("started_at"))
        return (known_at if created is None else created), sequence

    def _first_older(self, row: RunRow) -> RunRow | None:
        """The first row, from the top, of a run older than this one: this one's place is before it."""
        order = self._order(row)
        rows = (child for child in self.children if isinstance(child, RunRow) and child is not row)
        return next((other for other in rows if self._order(other) < order), None)

    def _keep_in_place(self, row: RunRow) -> None:
        """A run's time can become known late (a listing after a restore): move its row if it must."""
        key, order = (row.backend, row.run.train_id), self._order(row)
        if self._placed.get(key) == order:
            return  # the usual case, a run's progress: its place is where it was
        self._placed[key] = order
        older = self._first_older(row)
        rows = [child for child in self.children if isinstance(child, RunRow)]
        following = rows[rows.index(row) + 1] if rows.index(row) + 1 < len(rows) else None
        if older is following:
            return
        if older is not None:
            self.move_child(row, before=older)
        else:
            self.move_child(row, after=rows[-1])
        self._view_changed()

    def _visible(self) -> list[RowKey]:
        return [(row.backend, row.run.train_id) for row in self.children if isinstance(row, RunRow) and row.display]

    def _matches(self, row: RunRow) -> bool:
        if self._backend_shown is not None and row.backend != self._backend_shown:
            return False
        if not self._filter:
            return True
        run = row.run
        haystack = " ".join(filter(None, (row.backend, run.train_id, run.base_model, run.status))).lower()
        return self._filter in haystack
