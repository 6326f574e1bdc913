"""Runs side by side: their loss curves overlaid (by step or by elapsed time) with a legend, and a table of
their settings and results. Updated live while the runs go, at most every REPAINT_INTERVAL_S."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from tf_tui.base.text import printable
from tf_tui.core.chart import Series
from tf_tui.core.comparison import XAxis, curve, field_rows
from tf_tui.core.fleet import RunKey
from tf_tui.core.format import duration, short_id
from tf_tui.core.store import RunState
from tf_tui.ui.repaint import Throttled
from tf_tui.ui.style import status_text
from tf_tui.ui.widgets.footer import LeakFreeFooter
from tf_tui.ui.widgets.loss_chart import (
    COLOURS,
    MARKERS,
    LossChart,
    Plot,
    history_version,
    legend_marker,
)

METRICS_ROUTE = "GET /train/metrics"
# The x axis's values: steps in few characters, elapsed time as a duration.
X_FORMATS: dict[XAxis, Callable[[float], str] | None] = {XAxis.STEP: None, XAxis.TIME: lambda s: duration(s) or "0s"}


class CompareScreen(ModalScreen[None]):
    """The compared runs are fixed when it opens; what they report meanwhile is shown as it comes
    (`runs_changed`). Each run keeps its marker and colour, in the order the runs were marked."""

    DEFAULT_CSS = """
    CompareScreen { background: $background; }
    CompareScreen > #compare-title { height: 1; background: $panel; padding: 0 1; }
    CompareScreen > #compare-legend { height: auto; padding: 0 1; }
    CompareScreen > LossChart { height: 1fr; min-height: 6; padding: 0 1; }
    CompareScreen > #compare-table { height: auto; padding: 0 1; }
    """
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        Binding("t", "toggle_axis", "Step/time", id="x_axis"),
        Binding("escape,q", "close", "Back", id="close"),
    ]

    def __init__(
        self,
        keys: Sequence[RunKey],
        lookup: Callable[[RunKey], RunState | None],
        *,
        history_kept: Callable[[RunKey], bool] = lambda key: True,
        show_backend: bool = False,
        no_color: bool = False,
    ) -> None:
        """`history_kept` says whether a run's backend keeps a metrics history: a curve it lacks is said why."""
        super().__init__()
        self.keys = list(keys)
        self._lookup = lookup
        self._history_kept = history_kept
        self._show_backend = show_backend
        self._no_color = no_color
        self.axis = XAxis.STEP
        self._shown: dict[str, object] = {}
        self._repaint = Throttled(self, self._show)

    def compose(self) -> ComposeResult:
        yield Static(id="compare-title")
        yield Static(id="compare-legend")
        yield LossChart(id="compare-chart")
        yield Static(id="compare-table")
        yield LeakFreeFooter()

    def on_mount(self) -> None:
        self._repaint.now()

    def runs_changed(self, changed: set[RunKey]) -> None:
        """Some runs changed: if any is compared, show them (at most every REPAINT_INTERVAL_S)."""
        if changed.intersection(self.keys):
            self._repaint.request()

    def action_toggle_axis(self) -> None:
        self.axis = XAxis.TIME if self.axis is XAxis.STEP else XAxis.STEP
        self._repaint.now()

    def action_close(self) -> None:
        self.dismiss(None)

    def _runs(self) -> list[tuple[RunKey, RunState]]:
        found = ((key, self._lookup(key)) for key in self.keys)
        return [(key, run) for key, run in found if run is not None]

    def _show(self) -> None:
        runs = self._runs()
        other = XAxis.TIME if self.axis is XAxis.STEP else XAxis.STEP
        title = f"Comparing {len(runs)} run{'s' if len(runs) != 1 else ''}: loss by {self.axis.value}"
        self._update("compare-title", Text(f"{title}  (t: by {other.value}, escape: back)"))
        self._update("compare-legend", self._legend(runs))
        self._update("compare-table", self._table_values(runs), lambda: self._table(runs))
        version = tuple((key, history_version(run.history)) for key, run in runs)
        axis = self.axis
        series = [(index, run) for index, (_, run) in enumerate(runs)]
        plot = Plot(lambda: self._series(series, axis), x_format=X_FORMATS[axis])
        self.query_one(LossChart).plot((tuple(self.keys), axis), version, plot)

    def _series(self, runs: list[tuple[int, RunState]], axis: XAxis) -> list[Series]:
        return [Series(short_id(run.train_id), curve(run, axis), *self._look(index)) for index, run in runs]

    def _look(self, index: int) -> tuple[str, str]:
        """A run's marker and colour: the same for each run while the screen is open."""
        return MARKERS[index % len(MARKERS)], "" if self._no_color else COLOURS[index % len(COLOURS)]

    def _run_name(self, key: RunKey) -> str:
        where = f"@{printable(key.backend, 12)}" if self._show_backend else ""
        return f"{short_id(key.train_id)}{where}"

    def _legend(self, runs: list[tuple[RunKey, RunState]]) -> Text:
        legend = Text()
        for index, (key, run) in enumerate(runs):
            marker, colour = self._look(index)
            legend.append(legend_marker(marker), style=colour)
            legend.append(f" {self._run_name(key)} {printable(run.base_model or '', 12)}   ")
            if not curve(run, XAxis.STEP):
                legend.append(f"({self._no_curve(key)})   ", style="dim")
            elif self.axis is XAxis.TIME and not curve(run, XAxis.TIME):
                legend.append("(no elapsed time reported)   ", style="dim")
        return legend

    def _no_curve(self, key: RunKey) -> str:
        """Why a run has no loss curve: its backend keeps no history, or nothing brought a loss yet."""
        if self._history_kept(key):
            return "no points yet"
        return f"no history: this backend keeps none ({METRICS_ROUTE} is a reference-server extension)"

    def _table_values(self, runs: list[tuple[RunKey, RunState]]) -> tuple[object, ...]:
        return tuple(field_rows([run for _, run in runs])), tuple((run.status, run.missing) for _, run in runs)

    def _table(self, runs: list[tuple[RunKey, RunState]]) -> Table:
        table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold")
        table.add_column("", style="dim", no_wrap=True)
        for index, (key, _) in enumerate(runs):
            marker, colour = self._look(index)
            header = Text(legend_marker(marker), style=colour)
            header.append(f" {self._run_name(key)}", style="bold")
            table.add_column(header, no_wrap=True, overflow="ellipsis")
        for label, values in field_rows([run for _, run in runs]):
            table.add_row(label, *values)
        table.add_row("status", *(status_text(run, no_color=self._no_color) for _, run in runs))
        return table

    def _update(self, part: str, shown: object, content: Callable[[], object] | None = None) -> None:
        if self._shown.get(part) == shown:
            return
        self._shown[part] = shown
        self.query_one(f"#{part}", Static).update(content() if content else shown)  # type: ignore[arg-type]
