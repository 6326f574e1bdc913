"""The top line: the backend URL (never the token), the connection in words and colour, message age."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tf_tui.client.stream import ConnectionState, Phase
from tf_tui.format import duration
from tf_tui.text import printable
from tf_tui.ui.style import connection_style

INSECURE_BADGE = "TLS NOT VERIFIED (--insecure)"


def header_text(
    url: str,
    state: ConnectionState,
    watching: int,
    last_message_age: float | None,
    now: float,
    warning: str | None = None,
    *,
    poll_interval: float,
    insecure: bool = False,
    no_color: bool = False,
) -> Text:
    """`warning`: a lasting local problem (the state file cannot be written), shown until it is over.
    `poll_interval`: how often the watched runs are read while the socket is down (`Session.poll_interval`)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" tf-tui ", style="bold reverse")
    if insecure:  # first, so that a long URL or state can never push it out of sight
        text.append(f" {INSECURE_BADGE} ", style="bold white on red")
    text.append(f" {printable(url)}  ")
    phase_style = connection_style(state.phase, no_color=no_color)
    text.append("● ", style=phase_style)
    text.append(state.describe(now), style=phase_style)
    if state.phase in (Phase.RETRYING, Phase.FAILED) and watching:
        text.append(f"  polling every {poll_interval:.0f} s (socket down)", style="yellow")
    if warning:
        text.append(f"  ⚠ {printable(warning)}", style="bold yellow")
    if last_message_age is not None:
        text.append(f"   last message {duration(last_message_age)} ago", style="dim")
    return text


class StatusHeader(Static):
    DEFAULT_CSS = "StatusHeader { height: 1; background: $panel; }"
