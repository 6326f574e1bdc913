"""A run's stored history in long format, a row a step and metric (`export --metrics`), encoded as text
straight from its decoded points (see `history_points`).

A thousand runs of two thousand points are six million rows: made as rows of values and then encoded,
they cost a minute of CPU; made here, a few seconds. The texts of a column (the steps, the values of a
metric, the times) are each made in one call or one loop, each point's first cells and last ones (its
elapsed time and its time) once, and the whole history's text is one join of these pieces, point by
point: a join a row, and a join of the rows after, cost a tenth more.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from itertools import chain, compress, repeat
from operator import add, attrgetter, is_not
from typing import cast

from tf_tui.core.history import MIN_MAGNITUDE
from tf_tui.headless.history_points import Point, small_to_zero
from tf_tui.headless.number_text import float_texts, int_texts, optional_float_texts
from tf_tui.headless.rows import EncodedRows, RowFormat, row_bounds
from tf_tui.headless.utc_times import iso_times

POINT_COLUMNS = ("train_id", "backend", "step", "metric", "value", "elapsed_s", "time")
POINT_METRICS = ("loss", "eval_loss", "samples_per_s", "learning_rate")  # a row each, in this order
_METRIC_VALUES = tuple((metric, attrgetter(metric)) for metric in POINT_METRICS)
_STEP, _ELAPSED = attrgetter("step"), attrgetter("elapsed_s")


def history_rows(
    form: RowFormat, train_id: str, backend: str, points: Sequence[Point], began: float | None
) -> EncodedRows:
    """The rows of a history's points, encoded for `RowWriter.write_encoded`; `began`: when the run started
    (a Unix time), from which each point's time is its elapsed seconds on, when both are known.

    Made a column at a time: each point's first cells (`heads`, after what goes before a row) and last ones
    (`tails`, before what ends a row) once, and each metric's values as text in one call; then the whole
    text in one join of their pieces, point by point, without a join a row."""
    csv_form = form is RowFormat.CSV
    before_row, after_row = row_bounds(form)
    prefix = before_row + (_csv_prefix(train_id, backend) if csv_form else _json_prefix(train_id, backend))
    heads = list(map(prefix.__add__, int_texts(list(map(_STEP, points)))))
    elapsed = list(map(_ELAPSED, points))
    elapsed_texts = optional_float_texts(elapsed)
    times: Sequence[str | None] = [None] * len(points) if began is None else _point_times(began, elapsed)
    if None not in elapsed_texts and None not in times:  # every point has its elapsed time and its time
        known_elapsed, known_times = cast("Sequence[str]", elapsed_texts), cast("Sequence[str]", times)
        if csv_form:
            tails = list(map("".join, zip(repeat(","), known_elapsed, repeat(","), known_times, repeat(after_row))))
        else:
            labels, times_after = repeat(', "elapsed_s": '), repeat(', "time": "')
            tails = list(map("".join, zip(labels, known_elapsed, times_after, known_times, repeat('"}' + after_row))))
    elif csv_form:
        tails = [f",{seconds or ''},{at or ''}{after_row}" for seconds, at in zip(elapsed_texts, times, strict=True)]
    else:
        tails = [
            f', "elapsed_s": {seconds or "null"}, "time": {_json_text(at)}}}{after_row}'
            for seconds, at in zip(elapsed_texts, times, strict=True)
        ]
    pieces: list[Iterable[str]] = []  # taken point by point: the pieces of each of its rows, in the metrics' order
    count = 0
    for metric, value_of in _METRIC_VALUES:
        values = list(map(value_of, points))
        label = f",{metric}," if csv_form else f', "metric": "{metric}", "value": '
        if None not in values:
            pieces += (heads, repeat(label), float_texts(values), tails)
            count += len(values)
        elif (present := len(values) - values.count(None)) > 0:
            pieces.append(_sparse_column(values, heads, label, tails))
            count += present
    # Not strict: the labels are endless `repeat`s; every other piece is a list of one text a point.
    return EncodedRows("".join(chain.from_iterable(zip(*pieces, strict=False))), count)


def _sparse_column(values: Sequence[float | None], heads: Sequence[str], label: str, tails: Sequence[str]) -> list[str]:
    """The rows of a metric some points lack (an evaluation every hundredth step), empty for those points:
    only the points that have it are taken one by one."""
    present = list(map(is_not, values, repeat(None)))
    texts = float_texts(cast("list[float]", list(compress(values, present))))
    rows = map("".join, zip(compress(heads, present), repeat(label), texts, compress(tails, present)))
    column = [""] * len(values)
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
