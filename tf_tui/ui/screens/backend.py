"""Which backend a new run starts on: the start dialog's first question when several are followed."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tf_tui.base.text import printable
from tf_tui.client.stream import ConnectionState


class BackendScreen(ModalScreen[str | None]):
    """The backends with their connection, the given one highlighted; enter picks, escape cancels."""

    DEFAULT_CSS = """
    BackendScreen { align: center middle; }
    BackendScreen > Vertical { width: 64; height: auto; border: thick $accent; background: $surface; padding: 0 1; }
    BackendScreen .title { text-style: bold; }
    BackendScreen OptionList { height: auto; max-height: 12; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]  # noqa: RUF012 - Textual's own declaration style

    def __init__(self, names: list[str], default: str, connections: Mapping[str, ConnectionState]) -> None:
        super().__init__()
        self._names = names
        self._default = default
        self._connections = connections

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Start a run on which backend?", classes="title")
            # Text, not strings: a backend's name is the user's, never read as markup.
            options = [
                Option(Text(f"{printable(name, 30):<30} {self._connections[name].describe()}"), id=name)
                for name in self._names
            ]
            yield OptionList(*options)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = self._names.index(self._default) if self._default in self._names else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
