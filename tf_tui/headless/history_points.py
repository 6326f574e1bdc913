"""A run's stored history as `export` reads it: the backend's answer decoded straight into typed points.

Decoded by msgspec against the shape of a point, a history of two thousand points takes a fifth of the
time `json.loads` and a pass over its dicts take. msgspec refuses any answer this shape does not fit (a
step that is no whole number in range, a value that is text, a boolean, NaN or out of range, an entry
that is no object); such an answer is decoded as JSON instead and its entries taken one by one by the
rules of `MetricPoint.from_json` (`is_step`, `plottable`), so that the server's text is held to the same
rules either way. The one rule left to the reader is that a value nearer zero than `MIN_MAGNITUDE` reads
as zero (see `small_to_zero`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import msgspec

from tf_tui.core.history import MAX_STEP, MAX_VALUE, MIN_MAGNITUDE, is_step, plottable

Step = Annotated[int, msgspec.Meta(ge=0, le=MAX_STEP)]
Value = Annotated[float, msgspec.Meta(ge=-MAX_VALUE, le=MAX_VALUE)]


class Point(msgspec.Struct, gc=False):
    """One entry of a stored history. Not tracked by the garbage collector: it holds only numbers, and a
    thousand runs make two million of them."""

    step: Step
    loss: Value | None = None
    eval_loss: Value | None = None
    elapsed_s: Value | None = None
    samples_per_s: Value | None = None
    learning_rate: Value | None = None


class _Answer(msgspec.Struct):
    points: list[Point]


_DECODER = msgspec.json.Decoder(_Answer)


def decode_points(content: bytes) -> list[Point] | None:
    """The points of a `GET /train/metrics/{id}` answer, or None when it is not of a point's shape."""
    try:
        return _DECODER.decode(content).points
    except msgspec.DecodeError:
        return None


def points_from_json(entries: Sequence[Any]) -> list[Point]:
    """The points of a history's entries as JSON gives them, each taken by a point's rules: an entry without
    a whole step is skipped, and a value that is not a usable number is absent."""
    return [
        Point(
            step,
            plottable(entry.get("loss")),
            plottable(entry.get("eval_loss")),
            plottable(entry.get("elapsed_s")),
            plottable(entry.get("samples_per_s")),
            plottable(entry.get("learning_rate")),
        )
        for entry in entries
        if isinstance(entry, dict) and is_step(step := entry.get("step"))
    ]


def small_to_zero(value: float) -> float:
    """A value as `plottable` gives it: nearer zero than `MIN_MAGNITUDE` (a negative zero too) is zero."""
    return 0.0 if -MIN_MAGNITUDE < value < MIN_MAGNITUDE else value
