"""Colours and glyphs for runs, shared by the rows, the detail pane and the header."""

from __future__ import annotations

from rich.text import Text

from tf_tui.base.text import printable
from tf_tui.client.stream import Phase
from tf_tui.core.format import status_label
from tf_tui.core.store import Outcome, RunState

STALE_AFTER_S = 75.0  # a live run with no word for longer than two poll intervals and a bit is stale


# With NO_COLOR, Textual turns each colour into its grey, and red and magenta are the darkest greys:
# the ends that need attention would be the hardest text on screen to read. Without colour they are
# bold and reversed instead, the easiest. A run the server does not know needs attention as a failed one.
STATUS_STYLES = {
    Outcome.GOING: "cyan",
    Outcome.COMPLETED: "green",
    Outcome.FAILED: "bold red",
    Outcome.STOPPED: "magenta",
    Outcome.MISSING: "bold red",
}
NO_COLOR_STATUS_STYLES = {
    Outcome.GOING: "",
    Outcome.COMPLETED: "bold",
    Outcome.FAILED: "bold reverse",
    Outcome.STOPPED: "bold reverse",
    Outcome.MISSING: "bold reverse",
}
# The header's connection state. Without colour, Textual's greys of yellow and green read well enough
# beside the words; a connection that failed for good needs attention as a failed run does.
CONNECTION_STYLES = {
    Phase.LIVE: "bold green",
    Phase.CONNECTING: "bold yellow",
    Phase.RETRYING: "bold yellow",
    Phase.FAILED: "bold red",
}
NO_COLOR_CONNECTION_STYLES = {**CONNECTION_STYLES, Phase.FAILED: "bold reverse"}
ALERT_STYLE, NO_COLOR_ALERT_STYLE = "bold red", "bold"  # an error message, a run the server does not know


def status_style(run: RunState, *, no_color: bool = False) -> str:
    return (NO_COLOR_STATUS_STYLES if no_color else STATUS_STYLES)[run.outcome]


def bar_style(run: RunState, *, no_color: bool = False) -> str:
    """A bar reads by its length: without colour it is drawn plain, not reversed."""
    return "" if no_color else status_style(run)


def connection_style(phase: Phase, *, no_color: bool = False) -> str:
    return (NO_COLOR_CONNECTION_STYLES if no_color else CONNECTION_STYLES)[phase]


def alert_style(*, no_color: bool = False) -> str:
    return NO_COLOR_ALERT_STYLE if no_color else ALERT_STYLE


def is_stale(run: RunState, now: float) -> bool:
    stale_after = stale_from(run)
    return stale_after is not None and now > stale_after


def stale_from(run: RunState) -> float | None:
    """The moment after which the run reads stale, unless news of it comes first; None: never (ended, or
    never heard)."""
    return None if run.ended or run.last_heard_at is None else run.last_heard_at + STALE_AFTER_S


def status_text(run: RunState, width: int | None = None, *, no_color: bool = False) -> Text:
    label = status_label(run)
    text = printable(label) if width is None else printable(label, width)
    styled = Text()
    styled.append(text, style=status_style(run, no_color=no_color))
    if width is not None:
        styled.append(" " * (width - len(text)))  # the padding is not part of the label's reverse
    return styled


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
