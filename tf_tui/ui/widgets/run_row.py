"""One run, one line: a light widget that renders text, so a changed run repaints only its own row."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.widget import Widget

from tf_tui.base.text import printable
from tf_tui.core.format import age_value, eta_value, loss_value, progress_text, short_id, step_value
from tf_tui.core.store import RunState
from tf_tui.ui.style import bar, bar_style, is_stale, status_text

MARK = "●"  # before a run marked to compare, in the row's first column
MODEL_WIDTH = 7
STATUS_WIDTH = 14
MIN_BAR_WIDTH = 10
# Optional columns, in the order they are dropped from the right when the terminal is narrow.
OPTIONAL_WIDTHS = {"step": 12, "loss": 8, "eta": 7, "age": 10}
# With several backends followed, the backend's name: the first column dropped when narrow.
BACKEND_WIDTH = 9


def row_text(run: RunState, width: int, now: float, *, no_color: bool = False, backend: str | None = None) -> Text:
    """`3f2a9c1e  tiny    training      ━━━━━╸────  37%  370/1000  1.2345  12s  2s ago`, with `gpu1` after
    the id when `backend` is given."""
    fixed = len(short_id(run.train_id)) + 1 + MODEL_WIDTH + STATUS_WIDTH + 5
    optional = dict(OPTIONAL_WIDTHS)
    if backend is not None:
        optional["backend"] = BACKEND_WIDTH
    while optional and width - fixed - sum(optional.values()) < MIN_BAR_WIDTH:
        optional.popitem()
    bar_width = max(MIN_BAR_WIDTH, width - fixed - sum(optional.values()) - 1)

    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{short_id(run.train_id)} ", style="bold")
    if backend is not None and "backend" in optional:
        text.append(printable(backend, BACKEND_WIDTH - 1).ljust(BACKEND_WIDTH), style="cyan")
    text.append(printable(run.base_model or "", MODEL_WIDTH - 1).ljust(MODEL_WIDTH), style="dim")
    text.append_text(status_text(run, STATUS_WIDTH - 1, no_color=no_color))
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
    return text


def shown_values(run: RunState, now: float) -> tuple[object, ...]:
    """Everything of the run that `row_text` shows: equal values, equal rows (at one width). Cheaper
    to make and compare than the row's text, which is made only when these change."""
    age = "stale" if is_stale(run, now) else age_value(run, now)
    return (
        run.status,
        run.missing,
        run.base_model,
        run.progress,
        step_value(run),
        loss_value(run),
        eta_value(run),
        age,
    )


class RunRow(Widget):
    """Knows what it last painted: repainted only when that changes (the run, or its age to the minute)."""

    DEFAULT_CSS = """
    RunRow { height: 1; padding: 0 1 0 0; }
    RunRow.-selected { background: $accent 40%; }
    """

    def __init__(self, run: RunState, clock: Callable[[], float] = time.time, backend: str | None = None) -> None:
        super().__init__()
        self.run = run  # the store's own object: the row always shows its latest state
        self.backend = backend  # None when one backend is followed: no column for it
        self._clock = clock
        self._shown: tuple[object, ...] | None = None  # shown_values() as last painted
        self.marked = False  # marked to compare: a mark in the first column

    def render(self) -> Text:
        now = self._clock()
        self._shown = shown_values(self.run, now)
        width = (self.content_size.width or 81) - 1
        text = Text(MARK if self.marked else " ", style="bold", no_wrap=True, overflow="ellipsis")
        return text.append_text(row_text(self.run, width, now, no_color=self.app.no_color, backend=self.backend))

    def show_latest(self) -> None:
        """Repaint the row if what it shows has changed since it was last painted."""
        if self._shown is not None and shown_values(self.run, self._clock()) != self._shown:
            self.refresh()
