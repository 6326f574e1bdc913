"""Every key, in one place."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("↑ ↓  j k", "move through the runs"),
    ("enter", "focus the detail pane (escape goes back)"),
    ("s", "start a training run"),
    ("x", "stop the selected run (asks y/n, default no)"),
    ("w", "watch a run by id"),
    ("r", "resync now: read every watched run's status"),
    ("/", "filter the runs (escape clears)"),
    ("l", "event log"),
    ("ctrl+p", "command palette: every action by name"),
    ("?", "this help"),
    ("q  ctrl+q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 64; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]  # noqa: RUF012 - Textual's own style

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 3))
        table.add_column(style="bold")
        table.add_column()
        for keys, meaning in KEYS:
            table.add_row(keys, meaning)
        with Vertical():
            yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)
