"""The top line: the backend URL (never the token), the connection in words and colour, message age (to the
minute, as the rows' ages: a header left alone is repainted once a minute, not every second)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from rich.text import Text
from textual.widgets import Static

from tf_tui.base.text import printable
from tf_tui.client.stream import ConnectionState, Phase
from tf_tui.core.format import ago, ago_changes_at
from tf_tui.ui.style import connection_style

INSECURE_BADGE = "TLS NOT VERIFIED (--insecure)"
READ_ONLY_BADGE = "read-only"
# The worst phase of a folded fleet header decides its colour.
PHASE_RANK = {Phase.LIVE: 0, Phase.CONNECTING: 1, Phase.RETRYING: 2, Phase.FAILED: 3}
COUNTDOWN_S = 1.0  # a reconnection's countdown is said to the second


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
    read_only: bool = False,
    no_color: bool = False,
) -> Text:
    """`warning`: a lasting local problem (the state file cannot be written), shown until it is over.
    `poll_interval`: how often the watched runs are read while the socket is down (`Session.poll_interval`).
    `read_only`: nothing of the backend can be changed from here (`--read-only`)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" tf-tui ", style="bold reverse")
    if insecure:  # first, so that a long URL or state can never push it out of sight
        text.append(f" {INSECURE_BADGE} ", style="bold white on red")
    if read_only:
        text.append(f" {READ_ONLY_BADGE} ", style="bold")
    text.append(f" {printable(url)}  ")
    phase_style = connection_style(state.phase, no_color=no_color)
    text.append("● ", style=phase_style)
    text.append(state.describe(now), style=phase_style)
    if state.phase in (Phase.RETRYING, Phase.FAILED) and watching:
        text.append(f"  polling every {poll_interval:.0f} s (socket down)", style="yellow")
    if warning:
        text.append(f"  ⚠ {printable(warning)}", style="bold yellow")
    if last_message_age is not None:
        text.append(f"   last message {ago(last_message_age)}", style="dim")
    return text


def header_changes_at(states: Iterable[ConnectionState], last_message_at: float | None, now: float) -> float | None:
    """The first moment after `now` at which the header reads otherwise with no news: a reconnection's
    countdown turns a second, or the last message's age a minute. None: not before news comes."""
    turns = [now + COUNTDOWN_S for state in states if state.phase is Phase.RETRYING][:1]
    if last_message_at is not None:
        turns.append(ago_changes_at(last_message_at, now))
    return min(turns, default=None)


def fleet_header_text(
    states: Mapping[str, ConnectionState],
    now: float,
    width: int,
    warning: str | None = None,
    *,
    insecure: bool = False,
    read_only: Collection[str] = (),
    no_color: bool = False,
) -> tuple[Text, bool]:
    """Each backend's connection, `gpu1 ● live  gpu2 ● reconnecting in 4 s  cloud ✕ failed: ...`; folded
    to `3/4 live` when that does not fit in `width`. Says whether it folded (the event log then has the rest).
    `read_only`: the backends nothing can be changed on: `read-only` when they all are, else which."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" tf-tui ", style="bold reverse")
    if insecure:
        text.append(f" {INSECURE_BADGE} ", style="bold white on red")
    if read_only:
        every = set(read_only) >= set(states)
        names = "" if every else ": " + ", ".join(printable(name, 20) for name in read_only)
        text.append(f" {READ_ONLY_BADGE}{names} ", style="bold")
    head = text.copy()
    for name, state in states.items():
        text.append(f" {printable(name, 20)} ")
        _append_state(text, state, now, no_color)
        text.append(" ")
    folded = text.cell_len > width
    if folded:
        text = head
        live = sum(1 for state in states.values() if state.phase is Phase.LIVE)
        worst = max(states.values(), key=lambda state: PHASE_RANK[state.phase])
        text.append(f" {live}/{len(states)} live ", style=connection_style(worst.phase, no_color=no_color))
        text.append(" (l: the others in the event log)", style="dim")
    if warning:
        text.append(f"  ⚠ {printable(warning)}", style="bold yellow")
    return text, folded


def _append_state(text: Text, state: ConnectionState, now: float, no_color: bool) -> None:
    style = connection_style(state.phase, no_color=no_color)
    text.append("✕ " if state.phase is Phase.FAILED else "● ", style=style)
    text.append(state.describe(now), style=style)


class StatusHeader(Static):
    DEFAULT_CSS = "StatusHeader { height: 1; background: $panel; }"
