"""`tf-tui metrics`: a run's stored metrics history as a table, JSON or CSV (for notebooks and spreadsheets)."""

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


class MetricsFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


async def print_metrics(fleet: Fleet, typed_id: str, form: MetricsFormat, out: TextIO = sys.stdout) -> int:
    """Every point the run's backend keeps, on whichever backend knows the run (refused if several do)."""
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
    if form is MetricsFormat.JSON:
        document = {"train_id": key.train_id, "downsampled": stored.downsampled, "points": stored.points}
        print(json.dumps(document, default=asdict), file=out)
    elif form is MetricsFormat.CSV:
        _write_csv(stored.points, out)
    else:
        _print_table(key.train_id, stored, out)
    return ExitCode.OK


def _write_csv(points: list[MetricPoint], out: TextIO) -> None:
    """A header row, then a row a point; a value the point lacks is an empty cell."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("step", *VALUE_FIELDS))
    for point in points:
        writer.writerow(["" if value is None else value for value in asdict(point).values()])


def _print_table(train_id: str, stored: StoredHistory, out: TextIO) -> None:
    points = stored.points
    if not points:
        print(f"No metrics yet for run {short_id(train_id)}.", file=out)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("STEP", "ELAPSED", "LOSS", "HELD-OUT LOSS", "SAMPLES/S", "LEARNING RATE"):
        table.add_column(column, justify="right")
    for point in points:
        cells = (
            str(point.step),
            duration(point.elapsed_s),
            _number(point.loss, ".4f"),
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
