"""`tf-tui metrics`: a run's stored metrics history as a table, JSON or CSV (for notebooks and spreadsheets),
with the loss smoothed beside it if asked (`--smooth W`: `tf_tui.core.smoothing`, as the dashboard's charts)."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from enum import StrEnum
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tf_tui.base.capabilities import Extension
from tf_tui.base.exit_codes import ExitCode
from tf_tui.base.text import printable
from tf_tui.client.api import NotFound, RouteMissing
from tf_tui.core.fleet import Fleet
from tf_tui.core.format import duration, plural, short_id
from tf_tui.core.history import VALUE_FIELDS, MetricPoint, StoredHistory
from tf_tui.core.smoothing import smooth as smoothed

SMOOTHED_FIELD = "smoothed_loss"


class MetricsFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


async def print_metrics(
    fleet: Fleet, typed_id: str, form: MetricsFormat, out: TextIO = sys.stdout, *, smooth: float | None = None
) -> int:
    """Every point the run's backend keeps, on whichever backend knows the run (refused if several do); with
    `smooth`, each point's loss smoothed with that weight after its raw loss."""
    key = await fleet.locate(typed_id)
    session = fleet.session(key.backend)
    try:
        body = await session.api.metrics(key.train_id)
    except RouteMissing as error:
        session.capabilities.lacks(Extension.METRICS, error.reason)
        print(f"tf-tui metrics: {session.capabilities.missing(Extension.METRICS)}", file=sys.stderr)
        return ExitCode.UNSUPPORTED
    except NotFound:
        print(f"tf-tui metrics: the server does not know run {printable(typed_id)}", file=sys.stderr)
        return ExitCode.UNKNOWN_RUN
    stored = StoredHistory.from_json(body)
    if stored is None:
        print(f"tf-tui metrics: the server's answer for run {printable(typed_id)} holds no points", file=sys.stderr)
        return ExitCode.FAILED
    rows = _rows(stored.points, smooth)
    if form is MetricsFormat.JSON:
        document = {"train_id": key.train_id, "downsampled": stored.downsampled, "points": rows}
        print(json.dumps(document), file=out)
    elif form is MetricsFormat.CSV:
        _write_csv(rows, out)
    else:
        _print_table(key.train_id, stored, rows, out)
    return ExitCode.OK


def _rows(points: list[MetricPoint], smooth: float | None) -> list[dict[str, float | None]]:
    """Each point's fields, with its smoothed loss after its loss when asked for."""
    rows: list[dict[str, float | None]] = [asdict(point) for point in points]
    if smooth is None:
        return rows
    values = smoothed(((point.step, point.loss) for point in points), smooth)
    return [_after_loss(row, value) for row, value in zip(rows, values, strict=True)]


def _after_loss(row: dict[str, float | None], value: float | None) -> dict[str, float | None]:
    """The row with the smoothed loss next to the loss (a point's first fields are its step and its loss)."""
    step, loss, *rest = row.items()
    return dict([step, loss, (SMOOTHED_FIELD, value), *rest])


def _write_csv(rows: list[dict[str, float | None]], out: TextIO) -> None:
    """A header row, then a row a point; a value the point lacks is an empty cell."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0] if rows else ("step", *VALUE_FIELDS))
    for row in rows:
        writer.writerow(["" if value is None else value for value in row.values()])


def _print_table(train_id: str, stored: StoredHistory, rows: list[dict[str, float | None]], out: TextIO) -> None:
    points = stored.points
    if not points:
        print(f"No metrics yet for run {short_id(train_id)}.", file=out)
        return
    smoothing = SMOOTHED_FIELD in rows[0]
    table = Table(box=None, pad_edge=False, header_style="bold")
    smoothed_column = ("SMOOTHED",) if smoothing else ()
    for column in ("STEP", "ELAPSED", "LOSS", *smoothed_column, "HELD-OUT LOSS", "SAMPLES/S", "LEARNING RATE"):
        table.add_column(column, justify="right")
    for point, row in zip(points, rows, strict=True):
        cells = (
            str(point.step),
            duration(point.elapsed_s),
            _number(point.loss, ".4f"),
            *((_number(row[SMOOTHED_FIELD], ".4f"),) if smoothing else ()),
            _number(point.eval_loss, ".4f"),
            _number(point.samples_per_s, ",.1f"),
            _number(point.learning_rate, "g"),
        )
        table.add_row(*(Text(cell) for cell in cells))
    console = Console(file=out, highlight=False)
    console.print(table)
    thinned = "; downsampled by the server, the first and last steps kept" if stored.downsampled else ""
    console.print(
        Text(f"{plural(len(points), 'point')}, steps {points[0].step} to {points[-1].step}{thinned}", style="dim")
    )


def _number(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)
