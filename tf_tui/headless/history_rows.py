"""A run's stored history in long format, a row a step and metric (`export --metrics`), encoded as text
straight from its decoded points (see `history_points`).

A thousand runs of two thousand points are six million rows: made as rows of values and then encoded,
they cost a minute of CPU; made here, a few seconds. Each row is one join of texts made once a point
(its first cells, and its last ones: its elapsed time and its time) and its value's text, and the texts
of a column (the steps, the values of a metric, the times) are each made in one call or one loop.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from itertools import chain, compress, repeat
from operator import add, attrgetter, is_not
from typing import cast

from tf_tui.core.history import MIN_MAGNITUDE
from tf_tui.headless.history_points import Point, small_to_zero
from tf_tui.headless.number_text import float_texts, int_texts, optional_float_texts
from tf_tui.headless.rows import RowFormat
from tf_tui.headless.utc_times import iso_times

POINT_COLUMNS = ("train_id", "backend", "step", "metric", "value", "elapsed_s", "time")
POINT_METRICS = ("loss", "eval_loss", "samples_per_s", "learning_rate")  # a row each, in this order
_METRIC_VALUES = tuple((metric, attrgetter(metric)) for metric in POINT_METRICS)
_STEP, _ELAPSED = attrgetter("step"), attrgetter("elapsed_s")


def history_rows(
    form: RowFormat, train_id: str, backend: str, points: Sequence[Point], began: float | None
) -> list[str]:
    """The rows of a history's points, encoded for `RowWriter.write_encoded`; `began`: when the run started
    (a Unix time), from which each point's time is its elapsed seconds on, when both are known.

    Made a column at a time: each point's first cells (`heads`) and last ones (`tails`) once, each metric's
    values as text in one call, and the rows of a metric every point has joined without a Python loop."""
    csv_form = form is RowFormat.CSV
    prefix = _csv_prefix(train_id, backend) if csv_form else _json_prefix(train_id, backend)
    heads = list(map(prefix.__add__, int_texts(list(map(_STEP, points)))))
    elapsed = list(map(_ELAPSED, points))
    elapsed_texts = optional_float_texts(elapsed)
    times: Sequence[str | None] = [None] * len(points) if began is None else _point_times(began, elapsed)
    if None not in elapsed_texts and None not in times:  # every point has its elapsed time and its time
        known_elapsed, known_times = cast("Sequence[str]", elapsed_texts), cast("Sequence[str]", times)
        if csv_form:
            tails = list(map("".join, zip(repeat(","), known_elapsed, repeat(","), known_times)))
        else:
            labels, times_after = repeat(', "elapsed_s": '), repeat(', "time": "')
            tails = list(map("".join, zip(labels, known_elapsed, times_after, known_times, repeat('"}'))))
    elif csv_form:
        tails = [f",{seconds or ''},{at or ''}" for seconds, at in zip(elapsed_texts, times, strict=True)]
    else:
        tails = [
            f', "elapsed_s": {seconds or "null"}, "time": {_json_text(at)}}}'
            for seconds, at in zip(elapsed_texts, times, strict=True)
        ]
    columns: list[list[str] | list[str | None]] = []
    for metric, value_of in _METRIC_VALUES:
        values = list(map(value_of, points))
        label = f",{metric}," if csv_form else f', "metric": "{metric}", "value": '
        if None not in values:
            texts = float_texts(values)
            columns.append(list(map("".join, zip(heads, repeat(label), texts, tails))))
        elif values.count(None) < len(values):
            columns.append(_sparse_column(values, heads, label, tails))
    # Point by point, each point's metrics in their order, the metrics it lacks left out.
    return list(filter(None, chain.from_iterable(zip(*columns, strict=True))))


def _sparse_column(
    values: Sequence[float | None], heads: Sequence[str], label: str, tails: Sequence[str]
) -> list[str | None]:
    """The rows of a metric some points lack (an evaluation every hundredth step), None for those points:
    only the points that have it are taken one by one."""
    present = list(map(is_not, values, repeat(None)))
    texts = float_texts(cast("list[float]", list(compress(values, present))))
    rows = map("".join, zip(compress(heads, present), repeat(label), texts, compress(tails, present)))
    column: list[str | None] = [None] * len(values)
    for index, row in zip(compress(range(len(values)), present), rows, strict=True):
        column[index] = row
    return column


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


def _point_times(began: float, elapsed: Sequence[float | None]) -> Sequence[str | None]:
    """Each point's time, its elapsed seconds on from `began`, as ISO text; None where it has no elapsed time."""
    known = cast("Sequence[float]", elapsed) if None not in elapsed else [at for at in elapsed if at is not None]
    if min(map(abs, known), default=math.inf) < MIN_MAGNITUDE:  # one reads as zero (rare): taken as zero
        known = list(map(small_to_zero, known))
    texts = iso_times(list(map(add, repeat(began), known)))
    if len(texts) == len(elapsed):
        return texts
    in_order = iter(texts)
    return [None if seconds is None else next(in_order) for seconds in elapsed]
