"""Runs side by side: their loss curves overlaid (by step or by elapsed time, smoothed or not, as the charts'
view says) with a legend, and a table of their settings and results: by default only the rows whose values
differ, the values that differ from the first run's marked (`a` shows every row). Updated live while the
runs go, at most every REPAINT_INTERVAL_S."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from tf_tui.base.text import printable
from tf_tui.core.chart import Series
from tf_tui.core.chart_view import ChartView, loss_curves
from tf_tui.core.comparison import ComparedRow, XAxis, curve, field_rows, shown_rows
from tf_tui.core.fleet import RunKey
from tf_tui.core.format import plural, short_id
from tf_tui.core.store import RunState
from tf_tui.ui.repaint import Throttled
from tf_tui.ui.style import status_style
from tf_tui.ui.widgets.footer import LeakFreeFooter
from tf_tui.ui.widgets.loss_chart import (
    COLOURS,
    MARKERS,
    X_FORMATS,
    LossChart,
    Plot,
    curve_series,
    history_version,
    legend_marker,
)

METRICS_ROUTE = "GET /train/metrics"
# Before a value that differs from the first run's: it reads without colour too (NO_COLOR).
DIFFERS = "≠ "
SAME = " " * len(DIFFERS)  # the same width, so that a column's values line up


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
        Binding("m", "smooth", "Smooth", id="smooth"),
        Binding("a", "toggle_rows", "Diff/all", id="all_rows"),
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
        view: ChartView | None = None,
        on_view: Callable[[ChartView], None] = lambda view: None,
    ) -> None:
        """`history_kept` says whether a run's backend keeps a metrics history: a curve it lacks is said why.
        `view` is how the charts are looked at (its smoothing and its `compare_axis` here); `on_view` is told
        each change made here, to keep it."""
        super().__init__()
        self.keys = list(keys)
        self._lookup = lookup
        self._history_kept = history_kept
        self._show_backend = show_backend
        self._no_color = no_color
        self.view = view or ChartView()
        self._on_view = on_view
        self.every_row = False  # `a`: every row of the table, not only those that differ
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

    @property
    def axis(self) -> XAxis:
        return self.view.compare_axis

    def action_toggle_axis(self) -> None:
        self._change_view(self.view.other_compare_axis())

    def action_smooth(self) -> None:
        self._change_view(self.view.next_smoothing())

    def _change_view(self, view: ChartView) -> None:
        self.view = view
        self._on_view(view)
        self._repaint.now()

    def action_toggle_rows(self) -> None:
        self.every_row = not self.every_row
        self._repaint.now()

    def action_close(self) -> None:
        self.dismiss(None)

    def _runs(self) -> list[tuple[RunKey, RunState]]:
        found = ((key, self._lookup(key)) for key in self.keys)
        return [(key, run) for key, run in found if run is not None]

    def _show(self) -> None:
        runs = self._runs()
        other = XAxis.TIME if self.axis is XAxis.STEP else XAxis.STEP
        smoothing = self.view.smoothing
        title = f"Comparing {len(runs)} run{'s' if len(runs) != 1 else ''}: loss by {self.axis.value}"
        title += f", smoothed {smoothing:g}" if smoothing else ""
        self._update("compare-title", Text(f"{title}  (t: by {other.value}, m: smoothing, escape: back)"))
        self._update("compare-legend", self._legend(runs))
        self._update("compare-table", self._table_values(runs), lambda: self._table(runs))
        version = tuple((key, history_version(run.history)) for key, run in runs)
        axis = self.axis
        series = [(index, run) for index, (_, run) in enumerate(runs)]
        plot = Plot(lambda: self._series(series, axis, smoothing), x_format=X_FORMATS[axis])
        self.query_one(LossChart).plot((tuple(self.keys), axis, smoothing), version, plot)

    def _series(self, runs: list[tuple[int, RunState]], axis: XAxis, smoothing: float | None) -> list[Series]:
        """Each run's curve, behind its smoothed curve when smoothed: every raw curve first, so that no run's
        raw curve is drawn over another's smoothed one."""
        raw: list[Series] = []
        smoothed: list[Series] = []
        for index, run in runs:
            curves = loss_curves(run.history, axis, smoothing=smoothing)
            behind, *over = curve_series(
                short_id(run.train_id), curves.raw, curves.smoothed, self._look(index), no_color=self._no_color
            )
            raw.append(behind)
            smoothed.extend(over)
        return raw + smoothed

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
        # The status row's styles follow its values: the rows say all that the table shows.
        return tuple(field_rows([run for _, run in runs])), self.every_row

    def _table(self, runs: list[tuple[RunKey, RunState]]) -> Group | Text:
        if not runs:  # each was forgotten meanwhile (its backend's store dropped it)
            return Text("None of the compared runs is known any more.")
        rows = field_rows([run for _, run in runs])
        shown = shown_rows(rows, every_row=self.every_row)
        if not shown:
            return Text(f"All {plural(len(rows), 'row')} are the same for these runs (a: show them).")
        table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold")
        table.add_column("", style="dim", no_wrap=True)
        for index, (key, _) in enumerate(runs):
            marker, colour = self._look(index)
            header = Text(legend_marker(marker), style=colour)
            header.append(f" {self._run_name(key)}", style="bold")
            table.add_column(header, no_wrap=True, overflow="ellipsis")
        plain = [""] * len(runs)
        statuses = [status_style(run, no_color=self._no_color) for _, run in runs]
        for row in shown:
            # The status, the last row, keeps its colours (and, without colour, its reverse).
            table.add_row(row.label, *self._cells(row, statuses if row is rows[-1] else plain))
        # The title on a line of its own: as the table's own, it would wrap to the table's width.
        return Group(self._table_title(rows, runs[0][0]), table)

    def _table_title(self, rows: list[ComparedRow], first: RunKey) -> Text:
        """Which view the table is: every row or the differences only, how many differ, and what ≠ means."""
        title = Text(no_wrap=True, overflow="ellipsis")
        if len(rows[0].values) < 2:
            title.append("Every row", style="bold")
            title.append(" (one run: nothing to differ from)", style="dim")
            return title
        differing = sum(1 for row in rows if row.differs)
        title.append(f"{'Every row' if self.every_row else 'Differences only'}: ", style="bold")
        title.append(f"{differing} of {plural(len(rows), 'row')} differ")
        other = "differences only" if self.every_row else "every row"
        title.append(f"  ({DIFFERS.strip()}: not as {self._run_name(first)}; a: {other})", style="dim")
        return title

    def _cells(self, row: ComparedRow, styles: list[str]) -> list[Text]:
        """The first run's value as it is; each other's after a mark where it differs from the first's, and
        in the marked style unless its row has its own (the status's)."""
        marked_style = "bold" if self._no_color else "bold yellow"
        cells = []
        for index, (value, marked, style) in enumerate(zip(row.values, row.marked(), styles, strict=True)):
            cell = Text() if index == 0 else Text(DIFFERS if marked else SAME, style=marked_style)
            cell.append(value, style=style or (marked_style if marked else ""))
            cells.append(cell)
        return cells

    def _update(self, part: str, shown: object, content: Callable[[], object] | None = None) -> None:
        if self._shown.get(part) == shown:
            return
        self._shown[part] = shown
        self.query_one(f"#{part}", Static).update(content() if content else shown)  # type: ignore[arg-type]
