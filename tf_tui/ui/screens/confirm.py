"""A yes/no question that defaults to no: `y` confirms; `n`, `escape` and `enter` decline."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 64; height: auto; border: thick $error; background: $surface; padding: 1 2; }
    ConfirmScreen .hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        Binding("y", "answer(True)", "Yes", id="yes"),
        Binding("n", "answer(False)", "No", id="no"),
        Binding("escape,enter", "answer(False)", "No", show=False, id="cancel"),
    ]

    def __init__(self, question: Text) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._question)
            yield Static(Text("y yes   n no (default)"), classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
