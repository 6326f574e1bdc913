"""The publish dialog: a completed run becomes a talent with a name, a category and a version.

The server's refusal is shown here in its words, with a way forward, and everything typed stays; the
dialog closes only once the talent is published, with its id.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tf_tui.base.talent_choices import CATEGORIES, DEFAULT_VERSION
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError
from tf_tui.core.format import short_id
from tf_tui.core.session import Session
from tf_tui.core.talents import Refused, publish, publish_advice


class PublishScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    PublishScreen { align: center middle; }
    PublishScreen > Vertical { width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1; }
    PublishScreen .title { text-style: bold; }
    PublishScreen Label { margin-top: 1; }
    PublishScreen #publish-error { display: none; color: $error; text-style: bold; height: auto; margin-top: 1; }
    PublishScreen Horizontal { height: auto; margin-top: 1; }
    PublishScreen Button { margin-right: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]  # noqa: RUF012 - Textual's own declaration style

    def __init__(self, session: Session, train_id: str, suggested_name: str) -> None:
        super().__init__()
        self._session = session
        self._train_id = train_id
        self._suggested_name = suggested_name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Publish run {short_id(self._train_id)} as a talent", style="bold"), classes="title")
            yield Label("Name")
            yield Input(value=self._suggested_name, id="publish-name", max_length=100)
            yield Label("Category")
            yield Select([(name, name) for name in CATEGORIES], value=CATEGORIES[0], allow_blank=False, id="category")
            yield Label("Version")
            yield Input(value=DEFAULT_VERSION, id="publish-version", max_length=40)
            yield Static(id="publish-error")
            with Horizontal():
                yield Button("Publish", variant="primary", id="publish")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#publish-name", Input).focus()

    def on_input_submitted(self) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "publish":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        name = self.query_one("#publish-name", Input).value.strip()
        version = self.query_one("#publish-version", Input).value.strip()
        category = str(self.query_one("#category", Select).value)
        missing = [what for what, value in (("a name", name), ("a version", version)) if not value]
        if missing:
            self._show_error(f"The talent needs {' and '.join(missing)}.")
            return
        self.publish(name, category, version)

    @work(exclusive=True, group="publish-dialog", exit_on_error=False)
    async def publish(self, name: str, category: str, version: str) -> None:
        self.query_one("#publish", Button).disabled = True
        try:
            talent_id = await publish(self._session, self._train_id, name, category, version)
        except Refused as refusal:  # found on reading the run first: nothing was sent
            self._show_error(f"Not published: {refusal}.")
            return
        except ApiError as error:  # shown here; what was typed stays to be corrected or tried again
            self._show_error(f"Not published: {error}. {publish_advice(error)}")
            return
        finally:
            self.query_one("#publish", Button).disabled = False
        self.dismiss(talent_id)

    def _show_error(self, message: str) -> None:
        error = self.query_one("#publish-error", Static)
        error.update(Text(printable(message, 600)))
        error.display = True

    def action_cancel(self) -> None:
        self.dismiss(None)
