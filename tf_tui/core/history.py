"""A run's metrics over its steps, bounded: what a chart draws and `tf-tui metrics` prints.

Points come from two places: the backend's stored history, read once when tf-tui starts watching a run
(an extension of the reference server), and the live updates after it. Both go through `merge`, which
keeps the points in step order whatever order they arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, TypeGuard

from tf_tui.base.protocol import finite_number
from tf_tui.common.downsample import thin
from tf_tui.core.smoothing import SmoothedSeries

POINT_LIMIT = 2_000
MAX_STEP = 2**53  # past it a step is no number a chart's float axis can hold (server text can say 10**400)


# No loss, rate or duration is near these; past them a chart's axis arithmetic overflows or underflows.
MAX_VALUE = 1e15
MIN_MAGNITUDE = 1e-12  # nearer zero than this reads as zero


def plottable(value: object) -> float | None:
    """A value from server text as a number a chart or a report can take; None for anything else."""
    # The everyday cases first: a finite float in range (NaN is not), and a value not measured at this step.
    if type(value) is float and -MAX_VALUE <= value <= MAX_VALUE:
        return 0.0 if -MIN_MAGNITUDE < value < MIN_MAGNITUDE else value
    if value is None:
        return None
    number = finite_number(value)
    if number is None or abs(number) > MAX_VALUE:
        return None
    return 0.0 if abs(number) < MIN_MAGNITUDE else number


def is_step(value: object) -> TypeGuard[int]:
    """A step a run can have reached, from server text: a whole number from 0 to `MAX_STEP`."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STEP


@dataclass(frozen=True, slots=True)
class MetricPoint:
    step: int
    loss: float | None = None  # the training loss
    eval_loss: float | None = None  # the held-out loss, at the steps where the run evaluated
    elapsed_s: float | None = None  # seconds since the run's training began
    samples_per_s: float | None = None
    learning_rate: float | None = None

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> MetricPoint | None:
        """A point from an update's `details` or a history entry; None without a whole step or a number.
        Server text: any field of the wrong type, NaN, infinite or past `MAX_VALUE` counts as absent."""
        step = document.get("step")
        if not is_step(step):
            return None
        # A list in the fields' order, not a dict of keywords: made for every update a dashboard gets, and for
        # every point of every stored history read (a third less time a point).
        values = [plottable(document.get(name)) for name in VALUE_FIELDS]
        if values.count(None) == len(values):
            return None
        return cls(step, *values)


VALUE_FIELDS = tuple(field.name for field in fields(MetricPoint) if field.name != "step")


@dataclass(frozen=True)
class StoredHistory:
    """A backend's answer to `GET /train/metrics/{id}`: the run's points, and whether the backend thinned them."""

    points: list[MetricPoint]
    downsampled: bool

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> StoredHistory | None:
        """None when the answer holds no list of points; entries that are no point are skipped."""
        entries = document.get("points")
        if not isinstance(entries, list):
            return None
        points = [MetricPoint.from_json(entry) for entry in entries if isinstance(entry, dict)]
        return cls([point for point in points if point is not None], document.get("downsampled") is True)


def evaluated(point: MetricPoint) -> bool:
    """A point with a held-out loss: a run evaluates a few times only, so thinning spares these."""
    return point.eval_loss is not None


def _combined(earlier: MetricPoint, later: MetricPoint) -> MetricPoint:
    """Two reports of one step: what the later one says wins, what only the earlier one says stays."""
    changes = {name: getattr(later, name) for name in VALUE_FIELDS if getattr(later, name) is not None}
    return replace(earlier, **changes)


class MetricHistory:
    """A run's points in step order, at most `limit` of them.

    Past the limit every other point is dropped, the first and the last always kept, and the evaluations
    spared: a long run's curve keeps its shape from its first step at a coarser grain, in bounded memory.
    """

    def __init__(self, limit: int = POINT_LIMIT) -> None:
        self.limit = limit
        self._points: list[MetricPoint] = []
        # Whether the backend's stored history was read: without it the points start when tf-tui joined.
        self.from_backend = False
        self._smoothed: SmoothedSeries | None = None  # the training loss smoothed, as last asked for

    @property
    def points(self) -> Sequence[MetricPoint]:
        return self._points

    @property
    def last_step(self) -> int | None:
        return self._points[-1].step if self._points else None

    def __len__(self) -> int:
        return len(self._points)

    def add(self, point: MetricPoint) -> None:
        if not self._points or point.step > self._points[-1].step:
            self._points.append(point)  # the everyday case: the next step of a live run
            if len(self._points) > self.limit:
                self._points = thin(self._points, self.limit, keep=evaluated)
                self._smoothed = None
            return
        self.merge((point,))

    def merge(self, points: Iterable[MetricPoint]) -> None:
        by_step = {point.step: point for point in self._points}
        for point in points:
            known = by_step.get(point.step)
            by_step[point.step] = point if known is None else _combined(known, point)
        self._points = thin([by_step[step] for step in sorted(by_step)], self.limit, keep=evaluated)
        self._smoothed = None

    def smoothed_loss(self, weight: float) -> Sequence[float | None]:
        """The training loss smoothed with `weight` (`tf_tui.core.smoothing`), one value a point (None where
        the point has no loss). Only the points added since it was last asked for are smoothed; points
        rewritten (thinned, or an earlier step merged in) are smoothed again from the first, which thinning
        does once in `limit` / 2 points."""
        smoothed = self._smoothed
        if smoothed is None or smoothed.weight != weight:
            smoothed = self._smoothed = SmoothedSeries(weight)
        smoothed.extend((point.step, point.loss) for point in self._points[len(smoothed.values) :])
        return smoothed.values
