"""Watch a run by id, typed in: a full id or a unique prefix (the 8 characters every screen shows)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tf_tui.base.ids import RunIdError
from tf_tui.client.api import NotTalentFactory

Resolve = Callable[[list[str]], Awaitable[list[str]]]


class WatchScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    WatchScreen { align: center middle; }
    WatchScreen > Vertical { width: 70; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    WatchScreen #watch-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]  # noqa: RUF012 - Textual's own declaration style

    def __init__(self, resolve: Resolve) -> None:
        super().__init__()
        self._resolve = resolve

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Watch a training run by its id or its first characters (enter to watch, escape to cancel):")
            yield Input(placeholder="train id, e.g. 3f2a9c1e", id="watch-id")
            yield Static("", id="watch-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.resolve_and_watch(event.value)
        else:
            self.dismiss(None)

    @work(exclusive=True, group="watch-dialog", exit_on_error=False)
    async def resolve_and_watch(self, typed: str) -> None:
        try:
            [train_id] = await self._resolve([typed])
        # The dialog stays, with what was typed, to be corrected (or the URL, when it is no Talent Factory).
        except (RunIdError, NotTalentFactory) as error:
            self.query_one("#watch-error", Static).update(Text(str(error)))
            return
        self.dismiss(train_id)

    def action_cancel(self) -> None:
        self.dismiss(None)
