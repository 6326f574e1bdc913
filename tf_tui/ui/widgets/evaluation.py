"""The detail pane's evaluation part: nothing until `e`, then "evaluating…", then one line per metric.

Each metric line says how the server computed it when the server says (the reference server does; the
deployed backend's constants come without). Small on purpose: a title line and a line per metric.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import LoadingIndicator, Static

from tf_tui.base.text import printable
from tf_tui.core.evaluation import Evaluation


@dataclass(frozen=True)
class Evaluating:
    """An evaluation asked for and not answered yet."""


@dataclass(frozen=True)
class EvaluationFailed:
    reason: str


EvaluationState = Evaluating | Evaluation | EvaluationFailed


class EvaluationPart(Vertical):
    DEFAULT_CSS = """
    EvaluationPart { height: auto; margin: 0 0 1 0; }
    EvaluationPart > LoadingIndicator { height: 1; width: 12; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="evaluation-text")

    def on_mount(self) -> None:
        self._shown: EvaluationState | None = None
        self._draw(None)

    def show(self, state: EvaluationState | None) -> None:
        # Shown again at every selection: the same state again must not cost the detail pane a layout.
        if state != self._shown:
            self._draw(state)

    def _draw(self, state: EvaluationState | None) -> None:
        self._shown = state
        self.display = state is not None
        # The indicator animates: it is there only while an evaluation runs, as hidden its timer would still
        # turn 16 times a second.
        indicators = self.query(LoadingIndicator)
        if not isinstance(state, Evaluating):
            indicators.remove()
        elif not indicators:
            self.mount(LoadingIndicator())
        self.query_one("#evaluation-text", Static).update(evaluation_view(state))


def evaluation_view(state: EvaluationState | None) -> RenderableType:
    title = Text("evaluation", style="bold")
    if isinstance(state, Evaluating):
        title.append("  measuring the model on held-out data…", style="dim")
    elif isinstance(state, EvaluationFailed):
        title.append(f"  failed: {printable(state.reason, 300)}", style="bold")
    elif isinstance(state, Evaluation):
        verdicts = Text("  ".join(f"{label} {value}" for label, value in state.verdicts()))
        if not state.metrics:
            title.append("  the server gave no metrics", style="dim")
            return Group(title, verdicts) if verdicts else title
        # A grid: a long method wraps in its own column, under itself.
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(style="dim")
        for metric in state.metrics:
            table.add_row(
                Text(metric.name), Text(f"{metric.value:.4g}"), Text(metric.method or "not said by the server")
            )
        return Group(title, table, verdicts) if verdicts else Group(title, table)
    return title
