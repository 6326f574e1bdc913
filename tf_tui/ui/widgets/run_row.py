"""One run, one line of the runs list: its text, the columns it is laid out in, and the header over them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text

from tf_tui.base.text import printable
from tf_tui.core.format import age_changes_at, age_value, eta_value, loss_value, progress_text, short_id, step_value
from tf_tui.core.store import RunState
from tf_tui.ui.alert_text import badge, badge_style
from tf_tui.ui.style import bar, bar_style, is_stale, stale_from, status_text

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
ID_WIDTH = 9  # the short id and a space


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


@dataclass(frozen=True)
class Layout:
    """Where a row's columns go at one width: the model's width, the optional columns kept (the backend's
    among them), and the bar's width."""

    model_width: int
    optional: dict[str, int]
    bar_width: int


def layout(width: int, columns: Columns | None, backend: bool, id_width: int = ID_WIDTH, extra: int = 0) -> Layout:
    """The columns of a row `width` cells wide: optional ones dropped from the right while the bar would be
    narrower than its least. Without `columns`, every column at its least width. `extra`: cells of the
    row's own (an alert's badge), taken from the bar's."""
    model_width = MODEL_WIDTH if columns is None else columns.model_width(width)
    fixed = id_width + model_width + STATUS_WIDTH + 5 + extra
    optional = {name: size for name, size in OPTIONAL_WIDTHS.items() if columns is None or name in columns.filled}
    if backend:
        optional["backend"] = BACKEND_WIDTH
    while optional and width - fixed - sum(optional.values()) < MIN_BAR_WIDTH:
        optional.popitem()
    return Layout(model_width, optional, max(MIN_BAR_WIDTH, width - fixed - sum(optional.values()) - 1))


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
    shown_id = short_id(run.train_id)
    alert_badge = badge(run)  # taken from the bar's width: the bar is the one column that stretches
    extra = len(alert_badge) + 1 if alert_badge else 0
    columns_at = layout(width, columns, backend is not None, len(shown_id) + 1, extra)
    model_width, optional, bar_width = columns_at.model_width, columns_at.optional, columns_at.bar_width
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{shown_id} ", style="bold")
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


def header_text(width: int, columns: Columns, *, backend: bool, order: str) -> Text:
    """The columns' names over rows of `width` cells, each where its column is: the mark's and the id's
    place says the order (`↓loss`), and the name of the column the runs are sorted by stands out."""
    columns_at = layout(width - 1, columns, backend)
    model_width, optional, bar_width = columns_at.model_width, columns_at.optional, columns_at.bar_width

    def label(name: str, size: int, *, right: bool = False) -> None:
        shown = name[: size - 1]
        text.append(" " if right else "")
        text.append(shown.rjust(size - 1) if right else shown.ljust(size), style="bold" if name == order else "dim")

    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"↓{order}".ljust(ID_WIDTH + 1), style="bold")  # over the mark's column and the id's
    if backend and "backend" in optional:
        label("backend", BACKEND_WIDTH)
    label("model", model_width)
    label("status", STATUS_WIDTH)
    label("progress", bar_width + 5)
    for name in ("step", "loss", "eta", "age"):
        if name in optional:
            label(name, optional[name], right=True)
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


def shown_values_change_at(run: RunState, now: float) -> float | None:
    """The first moment after `now` at which `shown_values` differ with no news of the run: its age turns
    a minute, or it turns stale. None: not before news comes (stale already, or no age to show)."""
    stale_after = stale_from(run)
    if stale_after is not None and now > stale_after:
        return None
    turns = [math.nextafter(stale_after, math.inf)] if stale_after is not None else []
    age_turn = age_changes_at(run, now)
    if age_turn is not None:
        turns.append(age_turn)
    return min(turns, default=None)


class RunRow:
    """A run's row: the store's own run object (the row always shows its latest state), its backend (None
    when one backend is followed: no column for it), whether it is marked to compare, and in which order it
    became known here (`run_order.age_key`: ties, and the order of the runs whose date is not known yet)."""

    __slots__ = ("backend", "known_order", "marked", "run")

    def __init__(self, run: RunState, backend: str | None, known_order: int) -> None:
        self.run = run
        self.backend = backend
        self.known_order = known_order
        self.marked = False

    @property
    def key(self) -> tuple[str | None, str]:
        return self.backend, self.run.train_id

    def text(self, width: int, now: float, columns: Columns, *, no_color: bool) -> Text:
        """The row as `width` cells show it: the mark, then the run's columns."""
        text = Text(first_column(self.run, self.marked), style="bold", no_wrap=True, overflow="ellipsis")
        row = row_text(self.run, width - 1, now, no_color=no_color, backend=self.backend, columns=columns)
        return text.append_text(row)
