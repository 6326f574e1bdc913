"""The talent catalogue (`t`): the published talents with their metrics, and a prompt box to try one.

Everything on it comes from the server and is shown as plain text, never read as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tf_tui.base.text import printable
from tf_tui.client.api import ApiError
from tf_tui.core.format import short_id
from tf_tui.core.session import Session
from tf_tui.core.talents import Talent, catalogue, try_talent


class TalentsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    TalentsScreen { align: center middle; }
    TalentsScreen > Vertical { width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1; }
    TalentsScreen .title { text-style: bold; }
    TalentsScreen OptionList { height: auto; max-height: 8; margin-top: 1; }
    TalentsScreen #talent-metrics { height: auto; margin-top: 1; }
    TalentsScreen #talent-prompt { margin-top: 1; }
    TalentsScreen #talent-output { height: auto; max-height: 8; }
    """
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        Binding("escape", "close", "Close", id="close"),
        Binding("ctrl+r", "refresh", "Refresh", id="refresh"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session
        self._talents: list[Talent] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text("Talent catalogue  (↑↓ choose, enter tries the prompt, ctrl+r refreshes, escape closes)"),
                classes="title",
            )
            yield Static(Text("Loading the catalogue…"), id="talents-status")
            yield OptionList(id="talent-list")
            yield Static(id="talent-metrics")
            yield Input(placeholder="a prompt for the talent to continue, e.g. 23+45=", id="talent-prompt")
            yield Static(id="talent-output")

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False
        self.query_one("#talent-prompt", Input).focus()
        self.load()

    @work(exclusive=True, group="catalogue", exit_on_error=False)
    async def load(self) -> None:
        status = self.query_one("#talents-status", Static)
        try:
            self._talents = await catalogue(self._session)
        except ApiError as error:
            status.update(Text(f"The catalogue cannot be read: {printable(error, 400)}"))
            return
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options([Option(_talent_line(talent)) for talent in self._talents])
        listing.display = bool(self._talents)
        if self._talents:
            status.update(Text(f"{len(self._talents)} published talent(s):"))
            listing.highlighted = 0
            self._show_metrics(self._talents[0])
        else:
            status.update(Text("No published talents yet: publish a completed run with p."))

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_metrics(self._talents[event.option_index])

    def _show_metrics(self, talent: Talent) -> None:
        lines = [Text.assemble((f"{metric.name:<24}", "dim"), f"{metric.value:.4g}") for metric in talent.metrics]
        shown = Text("\n").join(lines) if lines else Text("no metrics", style="dim")
        self.query_one("#talent-metrics", Static).update(shown)

    def _chosen(self) -> Talent | None:
        index = self.query_one(OptionList).highlighted
        return None if index is None or not self._talents else self._talents[index]

    @on(Input.Submitted, "#talent-prompt")
    def _submitted(self, event: Input.Submitted) -> None:
        talent = self._chosen()
        output = self.query_one("#talent-output", Static)
        if talent is None:
            output.update(Text("There is no talent to try."))
        elif not event.value:
            output.update(Text("Type a prompt first."))
        else:
            self.ask(talent, event.value)

    @work(exclusive=True, group="talent-test", exit_on_error=False)
    async def ask(self, talent: Talent, prompt: str) -> None:
        output = self.query_one("#talent-output", Static)
        output.update(Text(f"Asking {talent.name}…", style="dim"))
        try:
            reply = await try_talent(self._session, talent.id, prompt)
        except ApiError as error:  # the prompt stays in its box
            output.update(Text(f"{talent.name} could not answer: {printable(error, 400)}"))
            return
        facts = [
            f"confidence {reply.confidence:.2f}" if reply.confidence is not None else "",
            f"{reply.response_time_ms:.0f} ms" if reply.response_time_ms is not None else "",
        ]
        said = ", ".join(fact for fact in facts if fact)
        # What it says about the answer first: a long answer is cut at the bottom of the box.
        text = Text(f"{talent.name} answered" + (f" ({said})" if said else "") + ":\n", style="dim")
        text.append(reply.text or "(nothing)")
        output.update(text)

    def action_refresh(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)


def _talent_line(talent: Talent) -> Text:
    line = Text(f"{talent.name:<24} ", style="bold")
    line.append(f"{talent.category:<10} {talent.version:<8} {short_id(talent.id)}", style="")
    return line
