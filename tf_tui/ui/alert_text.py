"""How the dashboard shows a run's alerts: a badge on its row, lines in its detail, a toast."""

from __future__ import annotations

from rich.text import Text

from tf_tui.base.text import printable
from tf_tui.core.alerts.rules import Alert
from tf_tui.core.alerts.watch import stop_notice
from tf_tui.core.format import local_time, short_id
from tf_tui.core.store import RunState

# The badge is its own colour, or without colour reversed: it reads as a label, not as the status beside it.
BADGE_STYLE, NO_COLOR_BADGE_STYLE = "bold white on red", "bold reverse"


def badge(run: RunState) -> str:
    """`!NaN`, `!stalled+1`: the first alert the run raised, and how many came after it."""
    if not run.alerts:
        return ""
    first, *later = run.alerts.values()
    return f"!{first.rule.badge}" + (f"+{len(later)}" if later else "")


def badge_style(*, no_color: bool) -> str:
    return NO_COLOR_BADGE_STYLE if no_color else BADGE_STYLE


def detail_lines(run: RunState, style: str) -> Text:
    """One line per alert, with the numbers that triggered it; nothing for a run with none."""
    text = Text()
    for alert in run.alerts.values():
        text.append(f"alert, {alert.rule.value}", style=f"{style} reverse" if style else "reverse")
        text.append(f"  {local_time(alert.at)}  {printable(alert.text)}", style=style)
        text.append(stop_notice(alert) if alert.stops else "", style=style)
        text.append("\n")
    return text


def notice(alert: Alert, where: str) -> tuple[str, str]:
    """A toast's title and text, and the desktop notification's: `where` names the backend, when several."""
    message = f"{short_id(alert.train_id)}{where}: {alert.text}" + (stop_notice(alert) if alert.stops else "")
    return f"Alert: {alert.rule.badge}", message
