"""The start dialog: model, datasets, outcome and optional params, checked before sending.

Errors from the server (422 field lists, 500s, timeouts) are shown here in words and nothing typed is
lost; the dialog closes only when the run has started, with its id.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Integer, Number
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from tf_tui.client.api import ApiError
from tf_tui.session import Session
from tf_tui.text import printable

OUTCOMES = ("balanced", "speed", "quality")
# (input id, params key, label, validator, parser)
PARAM_FIELDS = (
    ("steps", "max_steps", "Steps", Integer(minimum=1, maximum=10_000_000), int),
    ("learning-rate", "learning_rate", "Learning rate", Number(minimum=1e-9, maximum=1.0), float),
    ("batch-size", "batch_size", "Batch size", Integer(minimum=1, maximum=4096), int),
    ("seed", "seed", "Seed", Integer(minimum=0, maximum=2**32 - 1), int),
)


def _label(entry: dict[str, Any], detail_key: str, unit: str) -> Text:
    """Text, not a string: Textual would read a string from the server as markup."""
    name = printable(entry.get("id", "?"), 40)
    detail = entry.get(detail_key)
    return Text(f"{name}  ({detail:,} {unit})" if isinstance(detail, int) else name)


class StartScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    StartScreen { align: center middle; }
    StartScreen > Vertical { width: 78; height: auto; max-height: 100%; border: thick $accent;
        background: $surface; padding: 0 1; }
    StartScreen .title { text-style: bold; }
    StartScreen .row { height: auto; margin-top: 1; }
    StartScreen .field { width: 10; padding-top: 0; }
    StartScreen Select { width: 1fr; }
    StartScreen SelectionList { height: auto; max-height: 5; margin-top: 1; }
    StartScreen .params > Vertical { width: 1fr; height: auto; margin-right: 1; }
    StartScreen #start-error { color: $error; height: auto; margin-top: 1; }
    StartScreen Button { margin-right: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012 - Textual's own declaration style

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Start a training run   (tab moves, space picks datasets, enter starts)", classes="title")
            with Horizontal(classes="row"):
                yield Label("Model", classes="field")
                yield Select[str]([], prompt="Loading models…", id="model", compact=True)
            yield SelectionList[str](id="datasets", compact=True)
            with Horizontal(classes="row"):
                yield Label("Outcome", classes="field")
                outcomes = [(outcome, outcome) for outcome in OUTCOMES]
                yield Select[str](outcomes, value="balanced", allow_blank=False, id="outcome", compact=True)
            with Horizontal(classes="row params"):
                for field_id, _, label, validator, _ in PARAM_FIELDS:
                    with Vertical():
                        yield Label(label)
                        yield Input(placeholder="default", id=field_id, validators=[validator], compact=True)
            yield Static("", id="start-error")
            with Horizontal(classes="row"):
                yield Button("Start", variant="primary", id="start", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.load_choices()

    @work(exclusive=True, group="start-dialog-load", exit_on_error=False)
    async def load_choices(self) -> None:
        try:
            models = await self._session.api.models()
            datasets = await self._session.api.datasets()
        except ApiError as error:
            self._show_error(f"Could not load the choices: {error}")
            return
        model = self.query_one("#model", Select)
        model.set_options([(_label(entry, "parameters", "parameters"), str(entry.get("id"))) for entry in models])
        model.prompt = "Choose a model"
        if models:
            model.value = str(models[0].get("id"))
        choices = self.query_one("#datasets", SelectionList)
        choices.add_options(
            [(_label(entry, "rows", "rows"), str(entry.get("id")), index == 0) for index, entry in enumerate(datasets)]
        )
        choices.focus()

    @on(Button.Pressed, "#start")
    @on(Input.Submitted)
    def submit(self) -> None:
        request = self._request()
        if request is not None:
            self.start_run(*request)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _request(self) -> tuple[str, list[str], str, dict[str, Any]] | None:
        model = self.query_one("#model", Select).value
        datasets = list(self.query_one("#datasets", SelectionList).selected)
        problems = []
        if not isinstance(model, str):
            problems.append("choose a model")
        if not datasets:
            problems.append("select at least one dataset")
        params: dict[str, Any] = {}
        for field_id, key, label, _, parse in PARAM_FIELDS:
            field = self.query_one(f"#{field_id}", Input)
            if not field.value.strip():
                continue
            outcome = field.validate(field.value.strip())
            if outcome is not None and not outcome.is_valid:
                problems.append(f"{label.lower()}: {'; '.join(outcome.failure_descriptions)}")
            else:
                params[key] = parse(field.value.strip())
        if problems or not isinstance(model, str):
            self._show_error("Cannot start yet: " + "; ".join(problem.rstrip(".") for problem in problems) + ".")
            return None
        outcome_choice = self.query_one("#outcome", Select).value
        return model, datasets, str(outcome_choice), params

    @work(exclusive=True, group="start-dialog-submit", exit_on_error=False)
    async def start_run(self, model: str, datasets: list[str], outcome: str, params: dict[str, Any]) -> None:
        button = self.query_one("#start", Button)
        button.disabled = True
        self._show_error("Starting…")
        try:
            reply = await self._session.start(model, datasets, params=params, outcome=outcome)
        except ApiError as error:
            self._show_error(f"The server did not start it: {error}")
            button.disabled = False
            return
        self.dismiss(reply["train_id"])

    def _show_error(self, message: str) -> None:
        self.query_one("#start-error", Static).update(Text(printable(message)))
