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
from itertools import chain, repeat
from operator import attrgetter

from tf_tui.headless.history_points import Point, small_to_zero
from tf_tui.headless.number_text import float_texts, optional_float_texts
from tf_tui.headless.rows import RowFormat

POINT_COLUMNS = ("train_id", "backend", "step", "metric", "value", "elapsed_s", "time")
POINT_METRICS = ("loss", "eval_loss", "samples_per_s", "learning_rate")  # a row each, in this order
_METRIC_VALUES = tuple((metric, attrgetter(metric)) for metric in POINT_METRICS)
# A time's milliseconds and zone, as ISO text: indexed, not formatted, for each of a history's points.
_MILLISECONDS = tuple(f".{millisecond:03d}+00:00" for millisecond in range(1000))


def history_rows(
    form: RowFormat, train_id: str, backend: str, points: Sequence[Point], began: float | None
) -> list[str]:
    """The rows of a history's points, encoded for `RowWriter.write_encoded`; `began`: when the run started
    (a Unix time), from which each point's time is its elapsed seconds on, when both are known.

    Made a column at a time: each point's first cells (`heads`) and last ones (`tails`) once, each metric's
    values as text in one call, and the rows of a metric every point has joined without a Python loop."""
    csv_form = form is RowFormat.CSV
    if csv_form:
        prefix, between = _csv_prefix(train_id, backend), ","
        heads = [f"{prefix}{point.step}," for point in points]
    else:
        prefix, between = _json_prefix(train_id, backend), '", "value": '
        heads = [f'{prefix}{point.step}, "metric": "' for point in points]
    elapsed = [point.elapsed_s for point in points]
    elapsed_texts = optional_float_texts(elapsed)
    if began is None:
        times: list[str | None] = [None] * len(points)
    else:
        clock = UtcTimes()
        times = [None if seconds is None else clock.iso(began + small_to_zero(seconds)) for seconds in elapsed]
    if csv_form:
        tails = [f",{seconds or ''},{at or ''}" for seconds, at in zip(elapsed_texts, times, strict=True)]
    else:
        tails = [
            f', "elapsed_s": {seconds or "null"}, "time": {_json_text(at)}}}'
            for seconds, at in zip(elapsed_texts, times, strict=True)
        ]
    columns: list[list[str] | list[str | None]] = []
    for metric, value_of in _METRIC_VALUES:
        values = list(map(value_of, points))
        label = f"{metric}{between}"
        if None not in values:
            texts = float_texts(values)
            columns.append(list(map("".join, zip(heads, repeat(label), texts, tails))))
        elif values.count(None) < len(values):
            texts_or_none = optional_float_texts(values)
            columns.append(
                [
                    None if text is None else f"{head}{label}{text}{tail}"
                    for head, text, tail in zip(heads, texts_or_none, tails, strict=True)
                ]
            )
    # Point by point, each point's metrics in their order, the metrics it lacks left out.
    return list(filter(None, chain.from_iterable(zip(*columns, strict=True))))


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
        second, micro = int(whole), round(fraction * 1_000_000)
        if not 0 <= micro < 1_000_000:  # rounded up to the next second, or a time before 1970
            second, micro = divmod(second * 1_000_000 + micro, 1_000_000)
        if second != self._second:
            self._second, self._text = second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return self._text + _MILLISECONDS[micro // 1000]
