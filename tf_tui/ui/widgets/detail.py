"""The selected run in full: every field the server sent, its timeline, a loss sparkline, its end."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import cast

from rich.console import Group, RenderableType
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
    """Each part is updated only when what it shows changed: an update of the selected run that moves
    its step repaints the summary and the fields, not the title, the timeline or the layout."""

    DEFAULT_CSS = """
    DetailPane { height: 1fr; border-top: solid $primary-darken-2; padding: 0 1; }
    DetailPane:focus { border-top: solid $accent; }
    DetailPane > #detail-title { text-style: bold; }
    DetailPane > Sparkline { height: 3; margin: 0 0 1 0; }
    /* One colour: a gradient gives every cell its own colour escape, and a new point shifts them all. */
    DetailPane > Sparkline > .sparkline--max-color { color: $primary; }
    DetailPane > Sparkline > .sparkline--min-color { color: $primary; }
    DetailPane > .section { color: $text-muted; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: dict[str, object] = {}  # each part's content (or what it was made from), as last shown

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
        loss_title, sparkline = self.query_one("#loss-title", Static), self.query_one("#loss", Sparkline)
        if run is None:
            self._update("detail-title", Text("No run selected. Press s to start one or w to watch one by id."))
            for part in ("detail-summary", "detail-fields", "detail-timeline"):
                self._update(part, Text())
            loss_title.display = sparkline.display = False
            return
        alert = alert_style(no_color=self.app.no_color)
        headline = Text(f"{printable(run.train_id)}  ", style="bold")
        headline.append_text(status_text(run, no_color=self.app.no_color))
        self._update("detail-title", headline)
        self._update("detail-summary", Text(summary(run)))
        fields = (_field_rows(run), run.error, _result_rows(run))
        self._update("detail-fields", fields, lambda: _fields(*fields, alert))
        losses = [point.loss for point in run.history.points if point.loss is not None]
        has_loss = len(losses) > 1
        loss_title.display = sparkline.display = has_loss
        if has_loss:
            self._update("loss-title", Text(f"loss  {losses[0]:.4f} → {losses[-1]:.4f}", style="bold"))
            sparkline.data = losses  # a reactive: repainted only when the values differ
        self._update("detail-timeline", _timeline(run, alert))

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


# Shown as the rows above them, or not worth a row: the rest of a status body is shown as it came.
SHOWN_APART = frozenset(
    {"id", "train_id", "base_model", "details", "created_at", "started_at", "completed_at", "stopped_at"}
)


def _field_rows(run: RunState) -> list[tuple[str, str]]:
    """The fields as (label, value) text: what the table shows, and what tells whether it changed."""
    dates = (("created", run.created_at), ("started", run.started_at), ("ended", run.ended_at))
    rows = [(label, printable(value)) for label, value in (("model", run.base_model), *dates) if value]
    rows += [(printable(key, 30), _value(value)) for key, value in run.details.items()]
    rows += [(printable(key, 30), _value(value)) for key, value in run.extra.items() if key not in SHOWN_APART]
    return rows


def _result_rows(run: RunState) -> list[tuple[str, str]]:
    return [(printable(key, 30), _value(value)) for key, value in (run.result or {}).items()]


def _fields(rows: list[tuple[str, str]], error: str | None, result: list[tuple[str, str]], alert: str) -> Group:
    parts: list[Table | Text] = [_grid(rows)]
    if error:
        parts.append(Text(f"error: {printable(error)}", style=alert))
    elif result:
        parts.append(Text("result", style="bold green"))
        parts.append(_grid(result))
    return Group(*parts)


def _grid(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    return table


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
