"""A run's stored history in long format, a row a step and metric (`export --metrics`), encoded as text
straight from its decoded points (see `history_points`).

A thousand runs of two thousand points are six million rows: made as rows of values and then encoded,
they cost a minute of CPU; made here, a few seconds. Each row is one f-string of texts made once a
point (its step, its elapsed time, its time), and each value's text is made once a run.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime

from tf_tui.headless.history_points import Point, small_to_zero
from tf_tui.headless.rows import RowFormat

POINT_COLUMNS = ("train_id", "backend", "step", "metric", "value", "elapsed_s", "time")


def history_rows(
    form: RowFormat, train_id: str, backend: str, points: Sequence[Point], began: float | None
) -> list[str]:
    """The rows of a history's points, encoded for `RowWriter.write_encoded`; `began`: when the run started
    (a Unix time), from which each point's time is its elapsed seconds on, when both are known."""
    if form is RowFormat.CSV:
        prefix, between = _csv_prefix(train_id, backend), ","
    else:
        prefix, between = _json_prefix(train_id, backend), '", "value": '
    times = UtcTimes()
    # A value's text, each value formatted once a run: a history repeats its rates and learning rates.
    texts: dict[float, str] = {}
    rows: list[str] = []
    append = rows.append
    for point in points:
        elapsed = point.elapsed_s
        if elapsed is not None:
            elapsed = small_to_zero(elapsed)
        at = None if began is None or elapsed is None else times.iso(began + elapsed)
        if form is RowFormat.CSV:
            head = f"{prefix}{point.step},"
            tail = f",{'' if elapsed is None else repr(elapsed)},{at or ''}"
        else:
            head = f'{prefix}{point.step}, "metric": "'
            tail = f', "elapsed_s": {"null" if elapsed is None else repr(elapsed)}, "time": {_json_text(at)}}}'
        for metric, value in (
            ("loss", point.loss),
            ("eval_loss", point.eval_loss),
            ("samples_per_s", point.samples_per_s),
            ("learning_rate", point.learning_rate),
        ):
            if value is None:
                continue
            text = texts.get(value)
            if text is None:
                text = texts[value] = repr(small_to_zero(value))
            append(f"{head}{metric}{between}{text}{tail}")
    return rows


def best_loss(points: Sequence[Point]) -> float | None:
    """The lowest training loss of a history's points."""
    return min((small_to_zero(point.loss) for point in points if point.loss is not None), default=None)


def _json_text(at: str | None) -> str:
    """A time as JSON: its ISO text holds nothing JSON escapes."""
    return "null" if at is None else f'"{at}"'


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
