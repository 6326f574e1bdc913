"""The selected run in full: every field the server sent, its timeline, a loss sparkline, its end."""

from __future__ import annotations

import json
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from tf_tui.format import short_id, summary
from tf_tui.store import RunState
from tf_tui.text import printable
from tf_tui.ui.style import alert_style, status_text

VALUE_LIMIT = 200


class DetailPane(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    DetailPane { height: 1fr; border-top: solid $primary-darken-2; padding: 0 1; }
    DetailPane:focus { border-top: solid $accent; }
    DetailPane > #detail-title { text-style: bold; }
    DetailPane > Sparkline { height: 3; margin: 0 0 1 0; }
    DetailPane > .section { color: $text-muted; text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("No run selected. Press s to start one or w to watch one by id."), id="detail-title")
        yield Static(id="detail-summary")
        yield Static(Text("loss", style="bold"), classes="section", id="loss-title")
        yield Sparkline([], id="loss")
        yield Static(id="detail-fields")
        yield Static(id="detail-timeline")

    def on_mount(self) -> None:
        self.show(None)

    def show(self, run: RunState | None) -> None:
        title = self.query_one("#detail-title", Static)
        summary_line = self.query_one("#detail-summary", Static)
        fields = self.query_one("#detail-fields", Static)
        timeline = self.query_one("#detail-timeline", Static)
        loss_title, sparkline = self.query_one("#loss-title", Static), self.query_one("#loss", Sparkline)
        if run is None:
            title.update(Text("No run selected. Press s to start one or w to watch one by id."))
            for widget in (summary_line, fields, timeline):
                widget.update("")
            loss_title.display = sparkline.display = False
            return
        headline = Text(f"{printable(run.train_id)}  ", style="bold")
        headline.append_text(status_text(run, no_color=self.app.no_color))
        title.update(headline)
        summary_line.update(Text(summary(run)))
        fields.update(_fields(run, alert_style(no_color=self.app.no_color)))
        has_loss = len(run.losses) > 1
        loss_title.display = sparkline.display = has_loss
        if has_loss:
            losses = list(run.losses)
            loss_title.update(Text(f"loss  {losses[0]:.4f} → {losses[-1]:.4f}", style="bold"))
            sparkline.data = losses
        timeline.update(_timeline(run, alert_style(no_color=self.app.no_color)))


# Shown as the rows above them, or not worth a row: the rest of a status body is shown as it came.
SHOWN_APART = frozenset(
    {"id", "train_id", "base_model", "details", "created_at", "started_at", "completed_at", "stopped_at"}
)


def _fields(run: RunState, alert: str) -> Group:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    dates = (("created", run.created_at), ("started", run.started_at), ("ended", run.ended_at))
    for label, value in (("model", run.base_model), *dates):
        if value:
            table.add_row(label, Text(printable(value)))
    for key, value in run.details.items():
        table.add_row(Text(printable(key, 30)), Text(_value(value)))
    for key, value in run.extra.items():
        if key not in SHOWN_APART:
            table.add_row(Text(printable(key, 30)), Text(_value(value)))
    parts: list[Table | Text] = [table]
    if run.error:
        parts.append(Text(f"error: {printable(run.error)}", style=alert))
    elif run.result:
        parts.append(Text("result", style="bold green"))
        result = Table.grid(padding=(0, 2))
        result.add_column(style="dim", no_wrap=True)
        result.add_column()
        for key, value in run.result.items():
            result.add_row(Text(printable(key, 30)), Text(_value(value)))
        parts.append(result)
    return Group(*parts)


def _timeline(run: RunState, alert: str) -> Text:
    text = Text("timeline\n", style="bold")
    for entry in run.timeline:
        when = datetime.fromtimestamp(entry.at).strftime("%H:%M:%S")
        text.append(f"{when}  ", style="dim")
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
