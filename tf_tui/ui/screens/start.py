"""The start dialog: model, datasets, outcome and optional params, checked before sending.

It opens with the last choices made on the backend, or (`R`, run again) with those of a run: a model or
dataset of that run the backend no longer has is left empty, and why is said. Errors from the server (422
field lists, 500s, timeouts) are shown here in words and nothing typed is lost; the dialog closes only when
the run has started, with its id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.validation import Integer, Number
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static

from tf_tui.base.options import DEFAULT_OUTCOME_PREFERENCE, OUTCOME_PREFERENCES
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError
from tf_tui.core.environment import BoxEnvironment, parse_environment
from tf_tui.core.model_defaults import default_text, effective_defaults
from tf_tui.core.model_fit import Fit, model_fit, size_text
from tf_tui.core.run_again import LikeRun, run_again
from tf_tui.core.session import Session
from tf_tui.core.start_choices import StartChoices, StartChoicesFile, start_choices_path

# (input id, params key, label, validator, parser)
PARAM_FIELDS = (
    ("steps", "max_steps", "Steps", Integer(minimum=1, maximum=10_000_000), int),
    ("learning-rate", "learning_rate", "Learning rate", Number(minimum=1e-9, maximum=1.0), float),
    ("batch-size", "batch_size", "Batch size", Integer(minimum=1, maximum=4096), int),
    ("seed", "seed", "Seed", Integer(minimum=0, maximum=2**32 - 1), int),
)


NO_DATASETS_YET = "upload a dataset first: escape, then d"
NO_DATASETS = f"Datasets: none on this backend yet ({NO_DATASETS_YET})"
SELECT_A_DATASET = "select at least one dataset (space ticks one; escape, then d, uploads another)"


def _dataset_label(entry: dict[str, Any], repeated: Collection[str]) -> Text:
    """`echo.jsonl  (200 rows)`: its name (an upload's id is 32 hex digits), else its id; the start of its id
    too when another dataset has the same name. Text, not a string: Textual would read a string from the
    server as markup."""
    name = entry.get("name")
    said = printable(name if isinstance(name, str) and name.strip() else entry.get("id", "?"), 48)
    rows = entry.get("rows")
    facts = [f"{rows:,} rows" if isinstance(rows, int) and not isinstance(rows, bool) else ""]
    if name in repeated:
        facts.append(printable(entry.get("id", ""))[:8])
    told = ", ".join(fact for fact in facts if fact)
    return Text(f"{said}  ({told})" if told else said)


def _model_label(entry: dict[str, Any], fit: Fit) -> Text:
    """`tiny  (22,385 parameters, 89.5 kB)`; a model too big for the box is marked, not hidden."""
    parameters = entry.get("parameters")
    facts = [f"{parameters:,} parameters" if isinstance(parameters, int) else "", size_text(entry)]
    said = ", ".join(fact for fact in facts if fact)
    label = Text(printable(entry.get("id", "?"), 40) + (f"  ({said})" if said else ""))
    if fit.fits is False:
        label.append("  ✕ too big", style="bold")
    return label


class DatasetList(SelectionList[str]):
    """The datasets, ticked with space. An unticked box is empty rather than a dim X: ticked and
    unticked must differ without colour too (NO_COLOR)."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        index = self.scroll_offset.y + y
        if index >= self.option_count or self.get_option_at_index(index).value in self.selected:
            return line
        segments = list(line)
        # SelectionList draws a checkbox's box as three segments before the prompt, the middle one the mark.
        if len(segments) > 1 and segments[1].text == Checkbox.BUTTON_INNER:
            segments[1] = Segment(" " * len(segments[1].text), segments[1].style)
        return Strip(segments, line.cell_length)


class StartScreen(ModalScreen[str | None]):
    """The form for a new run; it closes with the run's id once the server has started it."""

    DEFAULT_CSS = """
    StartScreen { align: center middle; }
    StartScreen > VerticalScroll { width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1; }
    StartScreen .title { text-style: bold; }
    StartScreen .row { height: auto; margin-top: 1; }
    StartScreen .field { width: 10; padding-top: 0; }
    StartScreen Select { width: 1fr; }
    StartScreen DatasetList { height: auto; max-height: 5; margin-top: 1; }
    StartScreen .params > Vertical { width: 1fr; height: auto; margin-right: 1; }
    StartScreen .params Label { width: 100%; }
    StartScreen #model-fit { height: auto; padding-left: 10; color: $text-muted; }
    StartScreen #model-fit.too-big { color: $warning; text-style: bold; }
    StartScreen #no-datasets { display: none; height: auto; margin-top: 1; color: $warning; }
    StartScreen #again-note { display: none; height: auto; margin-top: 1; color: $warning; }
    StartScreen #start-error { display: none; color: $error; text-style: bold; height: auto; margin-top: 1; }
    StartScreen Button { margin-right: 2; }
    """
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        Binding("escape", "cancel", "Cancel", id="cancel"),
        # Before the fields' own enter (the dataset list's would untick a dataset): enter starts.
        Binding("enter", "start", "Start", priority=True, id="submit"),
    ]

    def __init__(self, session: Session, like: LikeRun | None = None) -> None:
        """`like`: the run to start again, whose choices fill the form instead of the last ones made."""
        super().__init__()
        self._session = session
        self._like = like
        self._kept_params: dict[str, Any] = {}  # the run's params the form has no field for: sent as they were
        self._last = StartChoicesFile(start_choices_path(session.settings))
        self._fits: dict[str, Fit] = {}  # each model's fit to the backend's machine, by id
        self._models: dict[str, dict[str, Any]] = {}  # each model's entry in the backend's list, by id
        self._box_problem = ""  # why the machine could not be read, if it could not

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            what = "Start a training run" if self._like is None else f"Start a run like {printable(self._like.name)}"
            yield Static(Text(f"{what}   (tab moves, space ticks datasets, enter starts)"), classes="title")
            yield Static("", id="again-note")  # what of the run could not be filled in, and why
            with Horizontal(classes="row"):
                yield Label("Model", classes="field")
                yield Select[str]([], prompt="Loading models…", id="model", compact=True)
            yield Static("", id="model-fit")  # the chosen model's size against the machine's memory
            yield DatasetList(id="datasets", compact=True)
            yield Static(Text(NO_DATASETS), id="no-datasets")  # shown in the list's place when it is empty
            with Horizontal(classes="row"):
                yield Label("Outcome", classes="field")
                outcomes = [(outcome, outcome) for outcome in OUTCOME_PREFERENCES]
                yield Select[str](
                    outcomes, value=DEFAULT_OUTCOME_PREFERENCE, allow_blank=False, id="outcome", compact=True
                )
            with Horizontal(classes="row params"):
                for field_id, _, label, validator, _ in PARAM_FIELDS:
                    with Vertical():
                        yield Label(label)
                        yield Input(placeholder=default_text(None), id=field_id, validators=[validator], compact=True)
            yield Static("", id="start-error")  # shown once there is something to say
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
        box = await self._read_box()
        model_ids = [str(entry.get("id")) for entry in models]
        dataset_ids = [str(entry.get("id")) for entry in datasets]
        last = (
            self._last.get(self._session.state_key)
            if self._like is None
            else self._filled_like(self._like, model_ids, dataset_ids)
        )
        self._models = dict(zip(model_ids, models, strict=True))
        self._fits = {model_id: model_fit(entry, box) for entry, model_id in zip(models, model_ids, strict=True)}
        model = self.query_one("#model", Select)
        model.set_options(
            [
                (_model_label(entry, self._fits[model_id]), model_id)
                for entry, model_id in zip(models, model_ids, strict=True)
            ]
        )
        model.prompt = "Choose a model"
        if last.model in model_ids:
            model.value = last.model
        elif model_ids and self._like is None:  # a run again keeps its model's field empty when the model is gone
            model.value = model_ids[0]
        ticked = [dataset for dataset in last.datasets if dataset in dataset_ids]
        if not ticked and self._like is None:
            ticked = dataset_ids[:1]
        choices = self.query_one("#datasets", DatasetList)
        names = Counter(name for entry in datasets if isinstance(name := entry.get("name"), str))
        repeated = {name for name, count in names.items() if count > 1}
        choices.add_options(
            [
                (_dataset_label(entry, repeated), dataset, dataset in ticked)
                for entry, dataset in zip(datasets, dataset_ids, strict=True)
            ]
        )
        self.query_one("#no-datasets", Static).display = not dataset_ids
        if last.outcome in OUTCOME_PREFERENCES:
            self.query_one("#outcome", Select).value = last.outcome
        for field_id, key, *_ in PARAM_FIELDS:
            if key in last.params:
                self.query_one(f"#{field_id}", Input).value = str(last.params[key])
        choices.focus()

    def _filled_like(self, like: LikeRun, model_ids: list[str], dataset_ids: list[str]) -> StartChoices:
        """The run's choices, as far as the backend still has them; what it lacks said in the note."""
        again = run_again(like.name, like.facts, model_ids, dataset_ids)
        field_keys = {key for _, key, *_ in PARAM_FIELDS}
        self._kept_params = {key: value for key, value in again.choices.params.items() if key not in field_keys}
        said = [f"{problem}." for problem in again.problems]
        if self._kept_params:
            kept = ", ".join(f"{key}={value}" for key, value in self._kept_params.items())
            said.append(f"Sent as the run had them: {kept}.")
        note = self.query_one("#again-note", Static)
        note.update(Text(printable(" ".join(problem[0].upper() + problem[1:] for problem in said))))
        note.display = bool(said)
        return again.choices

    async def _read_box(self) -> BoxEnvironment | None:
        """The backend's machine, for the models' fit; a failure only leaves the fit unknown, said why."""
        try:
            return parse_environment(await self._session.api.environment())
        except ApiError as error:
            self._box_problem = str(error)
            return None

    @on(Select.Changed, "#model")
    @on(Select.Changed, "#outcome")
    def _show_defaults(self) -> None:
        """Beside "default", the value the run will get, where the backend says it."""
        model = self.query_one("#model", Select).value
        outcome = self.query_one("#outcome", Select).value
        defaults = effective_defaults(self._models.get(model) if isinstance(model, str) else None, str(outcome))
        for field_id, key, *_ in PARAM_FIELDS:
            self.query_one(f"#{field_id}", Input).placeholder = default_text(defaults.get(key))

    @on(Select.Changed, "#model")
    def _show_fit(self, event: Select.Changed) -> None:
        fit = self._fits.get(event.value) if isinstance(event.value, str) else None
        note = self.query_one("#model-fit", Static)
        note.set_class(fit is not None and fit.fits is False, "too-big")
        if fit is None:
            note.update("")
        else:
            problem = f" ({self._box_problem})" if fit.fits is None and self._box_problem else ""
            note.update(Text(printable(fit.reason + problem)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            # A focused button takes enter itself (Cancel cancels), an open list picks with it, and a closed
            # list opens with it: a user on the model list means to choose a model, not to start.
            return not isinstance(self.focused, Button | Select) and not any(
                select.expanded for select in self.query(Select)
            )
        return True

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        choices = self._choices()
        if choices is not None:
            self.start_run(choices)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _choices(self) -> StartChoices | None:
        """What the form says, checked; None (and the problems shown) when it cannot be sent."""
        model = self.query_one("#model", Select).value
        datasets = tuple(self.query_one("#datasets", DatasetList).selected)
        problems = []
        if not isinstance(model, str):
            problems.append("choose a model")
        if not datasets:
            none = not self.query_one("#datasets", DatasetList).option_count
            problems.append(NO_DATASETS_YET if none else SELECT_A_DATASET)
        params: dict[str, Any] = dict(self._kept_params)
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
        return StartChoices(model, datasets, str(self.query_one("#outcome", Select).value), params)

    @work(exclusive=True, group="start-dialog-submit", exit_on_error=False)
    async def start_run(self, choices: StartChoices) -> None:
        button = self.query_one("#start", Button)
        button.disabled = True
        self._show_error("Starting…")
        try:
            started = await self._session.start(
                choices.model, list(choices.datasets), params=choices.params, outcome=choices.outcome
            )
        except ApiError as error:
            self._show_error(f"The server did not start it: {error}")
            button.disabled = False
            return
        self._last.remember(self._session.state_key, choices)
        self.dismiss(started.train_id)

    def _show_error(self, message: str) -> None:
        error = self.query_one("#start-error", Static)
        error.update(Text(printable(message)))
        error.display = True
