"""The selected run in full: every field the server sent, its loss chart (as the chart's view says:
smoothing, window, scales), its timeline, its end."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tf_tui.base.text import printable
from tf_tui.core.chart import Series
from tf_tui.core.chart_view import Y_SCALE_FORCED, ChartView, LossCurves, YScale, loss_curves
from tf_tui.core.comparison import XAxis
from tf_tui.core.format import local_time, short_id, summary
from tf_tui.core.history import MetricHistory, is_step
from tf_tui.core.store import RunState
from tf_tui.ui.alert_text import detail_lines
from tf_tui.ui.field_grid import FieldGrid
from tf_tui.ui.style import alert_style, status_text
from tf_tui.ui.widgets.evaluation import EvaluationPart
from tf_tui.ui.widgets.loss_chart import (
    COLOURS,
    MARKERS,
    X_FORMATS,
    LossChart,
    Plot,
    curve_series,
    history_version,
    legend_marker,
    raw_look,
)

VALUE_LIMIT = 200


class DetailPane(VerticalScroll, can_focus=True):
    """Each part is updated only when what it shows changed: an update of the selected run that moves
    its step repaints the summary and the fields, not the title, the timeline or the layout."""

    DEFAULT_CSS = """
    DetailPane { height: 1fr; border-top: solid $primary-darken-2; padding: 0 1; }
    DetailPane:focus { border-top: solid $accent; }
    DetailPane > #detail-title { text-style: bold; }
    DetailPane > LossChart { margin: 0 0 1 0; }
    DetailPane > .section { color: $text-muted; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: dict[str, object] = {}  # each part's content (or what it was made from), as last shown
        self._run: RunState | None = None
        self.view = ChartView()  # how the chart is looked at: the app's choice, whichever run is shown

    def compose(self) -> ComposeResult:
        yield Static(Text("No run selected. Press s to start one or w to watch one by id."), id="detail-title")
        yield Static(id="detail-summary")
        yield Static(id="detail-alerts")
        yield EvaluationPart(id="evaluation")  # shown by the app, which keeps the evaluations
        yield Static(id="loss-title")
        yield LossChart(id="loss")
        yield Static(id="detail-fields")
        yield Static(id="detail-timeline")

    def on_mount(self) -> None:
        self.show(None)

    def show_view(self, view: ChartView) -> None:
        """Draw the chart as `view` says, at once (a new view is a new subject for the chart)."""
        self.view = view
        if self._run is not None:
            self._show_chart(self._run)

    def show(self, run: RunState | None) -> None:
        self._run = run
        if run is None:
            self._update("detail-title", Text("No run selected. Press s to start one or w to watch one by id."))
            self.query_one("#detail-alerts", Static).display = False
            self._shown.pop("detail-alerts", None)
            for part in ("detail-summary", "detail-fields", "detail-timeline"):
                self._update(part, Text())
            self.query_one("#loss-title", Static).display = self.query_one("#loss", LossChart).display = False
            self._shown.pop("loss", None)
            return
        alert = alert_style(no_color=self.app.no_color)
        headline = Text(f"{printable(run.train_id)}  ", style="bold")
        headline.append_text(status_text(run, no_color=self.app.no_color))
        self._update("detail-title", headline)
        self._update("detail-summary", Text(summary(run)))
        self._show_alerts(run, alert)
        fields = (_field_rows(run), run.error, _result_rows(run))
        self._update("detail-fields", fields, lambda: _fields(*fields, alert))
        self._show_chart(run)
        self._update("detail-timeline", _timeline(run, alert))

    def _show_alerts(self, run: RunState, style: str) -> None:
        """Shown only for a run with alerts: even empty, a part takes its line."""
        shown = (run.train_id, tuple(run.alerts))
        if self._shown.get("detail-alerts") != shown:
            self.query_one("#detail-alerts", Static).display = bool(run.alerts)
            self._update("detail-alerts", shown, lambda: detail_lines(run, style))

    def _show_chart(self, run: RunState) -> None:
        """The chart and its title, looked at only when the run's history or the view changed."""
        history, view = run.history, self.view
        version = (run.train_id, history_version(history), view)
        if self._shown.get("loss") == version:
            return
        self._shown["loss"] = version
        loss_title, chart = self.query_one("#loss-title", Static), self.query_one("#loss", LossChart)
        has_loss = sum(point.loss is not None for point in history.points) > 1
        loss_title.display = chart.display = has_loss
        if not has_loss:
            return
        no_color = self.app.no_color
        # One pass over the history for both: the title's scale note and the chart's curves.
        curves = loss_curves(history, view.x_axis, smoothing=view.smoothing, window=view.window)
        self._update("loss-title", version, lambda: chart_title(history, view, curves, no_color=no_color))
        total = run.details.get("total_steps")
        whole_by_step = view.x_axis is XAxis.STEP and view.window is None
        plot = Plot(
            lambda: loss_series(curves, no_color=no_color),
            x_end=total if whole_by_step and is_step(total) else None,
            x_format=X_FORMATS[view.x_axis],
            log=Y_SCALE_FORCED[view.y_scale],
        )
        # The view is part of the subject: a key that changes it redraws the chart at once.
        chart.plot((run.train_id, view), version, plot)

    def _update(self, part: str, shown: object, content: Callable[[], RenderableType] | None = None) -> None:
        """Update a part when `shown` differs from last time; `content` makes the renderable if it is not
        `shown` itself (a table is compared by the rows it is made from)."""
        if self._shown.get(part) == shown:
            return
        self._shown[part] = shown
        static = self.query_one(f"#{part}", Static)
        static.update(content() if content else cast(RenderableType, shown), layout=False)
        if not keeps_its_height(static):
            static.refresh(layout=True)


def keeps_its_height(static: Static) -> bool:
    """Whether a part's new content takes as many lines as the old: only then may the layout of the whole
    screen be skipped. A layout arranges every widget, each run's row too: with 100 runs it cost more than
    all the rows' repaints, once per update of the selected run (its step, loss and eta change each time)."""
    size = static.content_size
    return bool(size.width) and static.get_content_height(size, size, size.width) == size.height


def loss_series(curves: LossCurves, *, no_color: bool = False) -> list[Series]:
    """The training loss (behind its smoothed curve when smoothed), its latest point marked, and the held-out
    loss where the run evaluated: the curves in the view's window, by its x axis."""
    loss_colour, held_out_colour = ("", "") if no_color else COLOURS[:2]
    return [
        *curve_series(
            "loss", curves.raw, curves.smoothed, (MARKERS[0], loss_colour), no_color=no_color, mark_last=True
        ),
        Series("held-out loss", curves.held_out, MARKERS[1], held_out_colour),
    ]


def chart_title(history: MetricHistory, view: ChartView, curves: LossCurves, *, no_color: bool = False) -> Text:
    """`loss by step  4.5 → 0.3012 at step 4200  last 2,050 steps  (log scale)`, the legend (with the
    smoothing weight), and from which step the history starts when the backend kept none from before
    tf-tui joined."""
    points = history.points
    losses = [(point.step, point.loss) for point in points if point.loss is not None]
    (_, first), (step, last) = losses[0], losses[-1]
    by = "step" if view.x_axis is XAxis.STEP else "elapsed time"
    text = Text(f"loss by {by}  {first:.4g} → {last:.4f} at step {step}", style="bold")
    if view.window is not None:
        text.append(f"  last {view.window:,} steps", style="bold")
    values = curves.values
    text.append(_scale_note(view, view.log_scale(values)) if values else "  (no elapsed time reported)", style="dim")
    text.append("\n")
    colour = "" if no_color else COLOURS[0]
    if view.smoothing:
        marker, style = raw_look(MARKERS[0], colour, no_color=no_color)
        text.append(legend_marker(marker), style=style)
        text.append(" loss  ")
        text.append(legend_marker(MARKERS[0]), style=colour)
        text.append(f" smoothed {view.smoothing:g}  ")
    else:
        text.append(legend_marker(MARKERS[0]), style=colour)
        text.append(" loss  ")
    if curves.held_out:
        text.append(legend_marker(MARKERS[1]), style="" if no_color else COLOURS[1])
        text.append(" held-out loss  ")
    text.append("● latest", style="bold")
    if not history.from_backend and points[0].step > 1:
        text.append(f"\nfrom step {points[0].step}: the backend keeps no history, and tf-tui joined then", style="dim")
    return text


# Shown as the rows above them, or not worth a row: the rest of a status body is shown as it came.
SHOWN_APART = frozenset(
    {"id", "train_id", "base_model", "details", "created_at", "started_at", "completed_at", "stopped_at"}
)


def _scale_note(view: ChartView, log: bool) -> str:
    """The y scale when it is not the plain linear one: logarithmic, or chosen with `y`."""
    if view.y_scale is YScale.AUTO:
        return "  (log scale)" if log else ""
    if view.y_scale is YScale.LOG and not log:
        return "  (linear scale: log needs values above 0)"
    return f"  ({'log' if log else 'linear'} scale, forced)"


def _field_rows(run: RunState) -> list[tuple[str, str]]:
    """The fields as (label, value) text: what the table shows, and what tells whether it changed. An ended
    run's last message (`Finalizing trained model`) is no longer news: its summary says how it ended."""
    rows = [("model", printable(run.base_model))] if run.base_model else []
    dates = (("created", run.created_at), ("started", run.started_at), ("ended", run.ended_at))
    rows += [(label, local_time(value)) for label, value in dates if value]
    details = {key: value for key, value in run.details.items() if not (run.ended and key == "message")}
    rows += [(printable(key, 30), _value(value)) for key, value in details.items()]
    rows += [(printable(key, 30), _value(value)) for key, value in run.extra.items() if key not in SHOWN_APART]
    return rows


def _result_rows(run: RunState) -> list[tuple[str, str]]:
    return [(printable(key, 30), _value(value)) for key, value in (run.result or {}).items()]


def _fields(rows: list[tuple[str, str]], error: str | None, result: list[tuple[str, str]], alert: str) -> Group:
    parts: list[FieldGrid | Text] = [FieldGrid(rows)]
    if error:
        parts.append(Text(f"error: {printable(error)}", style=alert))
    elif result:
        parts.append(Text("result", style="bold green"))
        parts.append(FieldGrid(result))
    return Group(*parts)


def _timeline(run: RunState, alert: str) -> Text:
    text = Text("timeline\n", style="bold")
    for entry in run.timeline:
        text.append(f"{local_time(entry.at)}  ", style="dim")
        if entry.source is None:  # what tf-tui asked and the server refused
            text.append(f"{printable(entry.status, VALUE_LIMIT)}\n", style=alert)
            continue
        text.append(printable(entry.status, 60))
        text.append(f"  ({entry.source.value})\n", style="dim")
    if run.missing:
        text.append(f"{short_id(run.train_id)} is not known to the server (404)\n", style=alert)
    return text


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):  # parameters: `max_steps=1500  learning_rate=0.003`
        return printable("  ".join(f"{key}={_value(item)}" for key, item in value.items()), VALUE_LIMIT)
    if isinstance(value, str):
        return printable(value, VALUE_LIMIT)
    return printable(json.dumps(value, default=str), VALUE_LIMIT)
