"""The runs list: one RunRow per run, newest first, with a cursor and a filter."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.containers import VerticalScroll
from textual.message import Message

from tf_tui.store import RunState
from tf_tui.ui.widgets.run_row import RunRow


class RunsList(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    RunsList { height: 1fr; }
    RunsList > .empty { color: $text-muted; padding: 1 2; }
    """

    class Selected(Message):
        def __init__(self, train_id: str | None) -> None:
            super().__init__()
            self.train_id = train_id

    def __init__(self, clock: Callable[[], float] = time.time, **options: str) -> None:
        super().__init__(**options)
        self._clock = clock
        self._rows: dict[str, RunRow] = {}
        self._filter = ""
        self.selected_id: str | None = None

    def show(self, run: RunState) -> None:
        """Add a row for a new run, or repaint the run's row."""
        row = self._rows.get(run.train_id)
        if row is None:
            row = RunRow(run, self._clock)
            self._rows[run.train_id] = row
            row.display = self._matches(run)
            first = next(iter(self.children), None)
            self.mount(row, before=first)
            if self.selected_id is None:
                self.select(run.train_id)
        else:
            row.refresh()

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
            self.select(visible[0] if visible else None)

    def move(self, delta: int) -> None:
        visible = self._visible()
        if not visible:
            return
        index = visible.index(self.selected_id) if self.selected_id in visible else -delta
        self.select(visible[max(0, min(len(visible) - 1, index + delta))])

    def select(self, train_id: str | None) -> None:
        if self.selected_id in self._rows:
            self._rows[self.selected_id].remove_class("-selected")
        self.selected_id = train_id if train_id in self._rows else None
        if self.selected_id is not None:
            row = self._rows[self.selected_id]
            row.add_class("-selected")
            self.scroll_to_widget(row, animate=False)
        self.post_message(self.Selected(self.selected_id))

    def _visible(self) -> list[str]:
        return [row.run.train_id for row in self.children if isinstance(row, RunRow) and row.display]

    def _matches(self, run: RunState) -> bool:
        if not self._filter:
            return True
        haystack = " ".join(filter(None, (run.train_id, run.base_model, run.status))).lower()
        return self._filter in haystack
