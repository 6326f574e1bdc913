"""Watch a run by id, typed in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class WatchScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    WatchScreen { align: center middle; }
    WatchScreen > Vertical { width: 70; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012 - Textual's own declaration style

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Watch a training run by its id (enter to watch, escape to cancel):")
            yield Input(placeholder="train id", id="watch-id")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
