"""One run, one line: a light widget that renders text, so a changed run repaints only its own row."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from tf_tui.base.text import printable
from tf_tui.core.format import age_value, eta_value, loss_value, progress_text, short_id, step_value
from tf_tui.core.store import RunState
from tf_tui.ui.alert_text import badge, badge_style
from tf_tui.ui.style import bar, bar_style, is_stale, status_text

MARK = "●"  # before a run marked to compare, in the row's first column
# Before a run shown as a previous dashboard left it, until its backend answers for it (the row is dim too):
# read without colour as well.
UNCONFIRMED_MARK = "?"
MODEL_WIDTH = 7  # the model column's least width; it widens to the longest model name, up to a share of the row
MODEL_SHARE = 5  # at most a fifth of the row
STATUS_WIDTH = 14
MIN_BAR_WIDTH = 10
# Optional columns, in the order they are dropped from the right when the terminal is narrow.
OPTIONAL_WIDTHS = {"step": 12, "loss": 8, "eta": 7, "age": 10}
# With several backends followed, the backend's name: the first column dropped when narrow.
BACKEND_WIDTH = 9


# The optional columns a run may leave empty, and how a run's value in each reads.
_VALUES = {"step": step_value, "loss": loss_value, "eta": eta_value}


@dataclass(frozen=True)
class Columns:
    """What every row's columns are sized from: the longest model name, and the optional columns some run
    fills (a backend that reports no step, loss or eta, as the deployed one, gets no empty columns for them)."""

    model_length: int = 0
    filled: frozenset[str] = frozenset({"age"})

    def taking(self, run: RunState) -> Columns:
        """These columns, grown to hold the run's values too (asked at every update: only what could grow is
        looked at)."""
        length = max(self.model_length, len(run.base_model or ""))
        filled = self.filled | {name for name, value in _VALUES.items() if name not in self.filled and value(run)}
        return self if (length, filled) == (self.model_length, self.filled) else Columns(length, filled)

    def model_width(self, width: int) -> int:
        return max(MODEL_WIDTH, min(self.model_length + 1, width // MODEL_SHARE))


def row_text(
    run: RunState,
    width: int,
    now: float,
    *,
    no_color: bool = False,
    backend: str | None = None,
    columns: Columns | None = None,
) -> Text:
    """`3f2a9c1e  tiny    training      ━━━━━╸────  37%  370/1000  1.2345  12s  2s ago`, with `gpu1` after
    the id when `backend` is given. Without `columns`, every column at its least width."""
    model_width = MODEL_WIDTH if columns is None else columns.model_width(width)
    alert_badge = badge(run)  # taken from the bar's width: the bar is the one column that stretches
    fixed = (
        len(short_id(run.train_id)) + 1 + model_width + STATUS_WIDTH + 5 + (len(alert_badge) + 1 if alert_badge else 0)
    )
    optional = {name: size for name, size in OPTIONAL_WIDTHS.items() if columns is None or name in columns.filled}
    if backend is not None:
        optional["backend"] = BACKEND_WIDTH
    while optional and width - fixed - sum(optional.values()) < MIN_BAR_WIDTH:
        optional.popitem()
    bar_width = max(MIN_BAR_WIDTH, width - fixed - sum(optional.values()) - 1)

    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{short_id(run.train_id)} ", style="bold")
    if backend is not None and "backend" in optional:
        text.append(printable(backend, BACKEND_WIDTH - 1).ljust(BACKEND_WIDTH), style="cyan")
    text.append(printable(run.base_model or "", model_width - 1).ljust(model_width), style="dim")
    text.append_text(status_text(run, STATUS_WIDTH - 1, no_color=no_color))
    text.append(" ")
    if alert_badge:
        text.append(alert_badge, style=badge_style(no_color=no_color))
        text.append(" ")
    text.append_text(bar(run.progress, bar_width, bar_style(run, no_color=no_color)))
    text.append(f"{progress_text(run):>5}")
    if "step" in optional:
        text.append(f" {step_value(run):>{optional['step'] - 1}}", style="dim")
    if "loss" in optional:
        text.append(f" {loss_value(run):>{optional['loss'] - 1}}")
    if "eta" in optional:
        text.append(f" {eta_value(run):>{optional['eta'] - 1}}", style="dim")
    if "age" in optional:
        if is_stale(run, now):
            text.append(f" {'stale':>{optional['age'] - 1}}", style="bold yellow")
        else:
            text.append(f" {age_value(run, now):>{optional['age'] - 1}}", style="dim")
    if run.from_snapshot:
        text.stylize("dim")
    return text


def first_column(run: RunState, marked: bool) -> str:
    """The mark before a row: marked to compare, else not yet confirmed, else nothing."""
    if marked:
        return MARK
    return UNCONFIRMED_MARK if run.from_snapshot else " "


def shown_values(run: RunState, now: float) -> tuple[object, ...]:
    """Everything of the run that `row_text` shows: equal values, equal rows (at one width). Cheaper
    to make and compare than the row's text, which is made only when these change."""
    age = "stale" if is_stale(run, now) else age_value(run, now)
    return (
        run.status,
        run.missing,
        run.from_snapshot,
        run.base_model,
        run.progress,
        step_value(run),
        loss_value(run),
        eta_value(run),
        age,
        tuple(run.alerts),
    )


class RunRow(Widget):
    """Knows what it last painted: repainted only when that changes (the run, or its age to the minute)."""

    DEFAULT_CSS = """
    RunRow { height: 1; padding: 0 1 0 0; }
    RunRow.-selected { background: $accent 40%; }
    """

    def __init__(
        self,
        run: RunState,
        clock: Callable[[], float] = time.time,
        backend: str | None = None,
        columns: Callable[[], Columns | None] = lambda: None,
    ) -> None:
        """`columns` gives the list's column sizes as they stand (`RunsList` repaints the rows when they grow)."""
        super().__init__()
        self.run = run  # the store's own object: the row always shows its latest state
        self._columns = columns
        self.backend = backend  # None when one backend is followed: no column for it
        self._clock = clock
        self._shown: tuple[object, ...] | None = None  # shown_values() and the columns, as last painted
        self._asked = False  # a repaint is asked for and not made yet
        self.marked = False  # marked to compare: a mark in the first column

    def render(self) -> Text:
        now, columns = self._clock(), self._columns()
        self._shown, self._asked = (*shown_values(self.run, now), columns), False
        width = (self.content_size.width or 81) - 1
        text = Text(first_column(self.run, self.marked), style="bold", no_wrap=True, overflow="ellipsis")
        row = row_text(self.run, width, now, no_color=self.app.no_color, backend=self.backend, columns=columns)
        return text.append_text(row)

    def show_latest(self) -> None:
        """Repaint the row if what it shows has changed since it was last painted. Once asked, not again before
        it is painted: the paint shows the latest anyway (a growth of the columns and the run's own update
        come in one batch)."""
        if self._asked or self._shown is None:
            return
        if (*shown_values(self.run, self._clock()), self._columns()) != self._shown:
            self._asked = True
            self.refresh()
