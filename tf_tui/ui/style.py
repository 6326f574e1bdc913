"""Colours and glyphs for runs, shared by the rows, the detail pane and the header."""

from __future__ import annotations

from rich.text import Text

from tf_tui.store import RunState
from tf_tui.text import printable

STALE_AFTER_S = 75.0  # a live run with no word for longer than two poll intervals and a bit is stale


def status_style(run: RunState) -> str:
    status = (run.status or "").strip().lower()
    if run.missing or status == "failed":
        return "bold red"
    if status == "completed":
        return "green"
    if status == "stopped":
        return "magenta"
    return "cyan"  # still going, or a free-text status


def is_stale(run: RunState, now: float) -> bool:
    return not run.ended and run.last_heard_at is not None and now - run.last_heard_at > STALE_AFTER_S


def status_text(run: RunState, width: int | None = None) -> Text:
    label = "not found" if run.missing else (run.status or "waiting")
    return Text(printable(label) if width is None else printable(label, width).ljust(width), style=status_style(run))


def bar(progress: int | None, width: int, style: str) -> Text:
    """A progress bar as text: no widget, nothing animates, nothing to repaint but this row."""
    width = max(1, width)
    filled = (progress or 0) * width / 100
    whole = int(filled)
    text = Text("━" * whole, style=style)
    if whole < width:
        text.append("╸" if filled - whole >= 0.5 else "─", style=style if filled - whole >= 0.5 else "bright_black")
        text.append("─" * (width - whole - 1), style="bright_black")
    return text
