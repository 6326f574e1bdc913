"""A run's stored history in long format, a row a step and metric (`export --metrics`), encoded as text
straight from the backend's answer.

A thousand runs of two thousand points are six million rows: made as point objects and rows of values
first, they cost a minute of CPU; made here, a fraction of it. The server's text is taken by the rules of
`MetricPoint.from_json` (`is_step`, `plottable`): an entry without a whole step is skipped, and a value
that is not a usable number is absent.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tf_tui.core.history import VALUE_FIELDS, is_step, plottable
from tf_tui.headless.rows import RowFormat

POINT_COLUMNS = ("train_id", "backend", "step", "metric", "value", "elapsed_s", "time")
POINT_METRICS = tuple(name for name in VALUE_FIELDS if name != "elapsed_s")


def history_rows(
    form: RowFormat, train_id: str, backend: str, entries: Sequence[Any], began: float | None
) -> list[str]:
    """The rows of a history's entries, encoded for `RowWriter.write_encoded`; `began`: when the run started
    (a Unix time), from which each point's time is its elapsed seconds on, when both are known."""
    csv_form = form is RowFormat.CSV
    prefix = _csv_prefix(train_id, backend) if csv_form else _json_prefix(train_id, backend)
    times = UtcTimes()
    rows: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict) or not is_step(step := entry.get("step")):
            continue
        elapsed = plottable(entry.get("elapsed_s"))
        at = None if began is None or elapsed is None else times.iso(began + elapsed)
        if csv_form:
            tail = f",{'' if elapsed is None else repr(elapsed)},{at or ''}"
        else:
            tail = f', "elapsed_s": {"null" if elapsed is None else repr(elapsed)}, "time": {json.dumps(at)}}}'
        for metric in POINT_METRICS:
            value = plottable(entry.get(metric))
            if value is None:
                continue
            if csv_form:
                rows.append(f"{prefix}{step},{metric},{value!r}{tail}")
            else:
                rows.append(f'{prefix}{step}, "metric": "{metric}", "value": {value!r}{tail}')
    return rows


def best_loss(entries: Sequence[Any]) -> float | None:
    """The lowest training loss of a history's entries."""
    losses = (
        plottable(entry.get("loss")) for entry in entries if isinstance(entry, dict) and is_step(entry.get("step"))
    )
    return min((loss for loss in losses if loss is not None), default=None)


def _csv_prefix(train_id: str, backend: str) -> str:
    """The row's first cells, quoted as CSV needs (server text may hold a comma or a quote)."""
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow((train_id, backend, ""))
    return line.getvalue()


def _json_prefix(train_id: str, backend: str) -> str:
    return f'{{"train_id": {json.dumps(train_id)}, "backend": {json.dumps(backend)}, "step": '


class UtcTimes:
    """Unix times as ISO text in UTC to the millisecond, as `isoformat(timespec="milliseconds")` writes them,
    each second formatted once: a history has many points a second, and formatting was half its cost."""

    def __init__(self) -> None:
        self._second: int | None = None
        self._text = ""

    def iso(self, at: float) -> str:
        # Rounded to the microsecond first, as datetime.fromtimestamp rounds, then cut to the millisecond.
        fraction, whole = math.modf(at)
        second, micro = divmod(int(whole) * 1_000_000 + round(fraction * 1_000_000), 1_000_000)
        if second != self._second:
            self._second, self._text = second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._text}.{micro // 1000:03d}+00:00"
