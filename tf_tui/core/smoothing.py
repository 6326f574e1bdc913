"""A curve's debiased exponential moving average, as TensorBoard smooths its scalars, kept point by point.

The average starts at zero and each point moves it by (1 - w) of the way to its value; dividing by
1 - w^n (n: the points averaged) takes away the pull towards that zero start, so the first points are not
drawn too low. Each new point costs the same few operations however long the run: nothing is recomputed.

Three rules TensorBoard's formula leaves open:
- A constant stretch smooths to itself exactly: while every point of the stretch has the same value, that
  value is given back as it is (the division would otherwise leave a last-digit error: 0.3 → 0.30000000000000004).
- A point that is not a finite number (NaN, infinite) is skipped: it gets no smoothed value and leaves the
  average as it was, so one bad point cannot poison every point after it.
- A gap in the steps is not crossed as if it were data: when the step jumps more than GAP_FACTOR times the
  usual stride (the larger of the two strides before it), the average starts again at the point after the
  jump. Points missing there (a stream that dropped updates, a run of skipped NaN points) leave such a
  jump; a stride that merely doubles (a history thinned to its bound) does not. The first stride of a
  curve has nothing to be compared with and is never a gap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

GAP_FACTOR = 10.0  # a step jump this many times the usual stride is a gap: the average starts again after it


def check_weight(weight: float) -> float:
    """The weight as given, if it can smooth: from 0 (no smoothing) up to, not including, 1 (no change ever)."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"a smoothing weight is from 0 up to (not including) 1, not {weight}")
    return weight


class Ema:
    """The smoothed value of each point of one curve, given in step order (`add`)."""

    def __init__(self, weight: float) -> None:
        self.weight = check_weight(weight)
        self._last_step: float | None = None
        self._strides: tuple[float, ...] = ()  # the last two step strides, the newest last
        self._restart()

    def _restart(self) -> None:
        self._average = 0.0  # zero-initialised, as TensorBoard's
        self._weight_power = 1.0  # w^n, kept by multiplying: no power computed per point
        self._first: float | None = None  # the stretch's first value, while every value is the same
        self._constant = True

    def add(self, step: float, value: float) -> float | None:
        """The point's smoothed value; None for a point that is no finite number (skipped)."""
        if not math.isfinite(value):
            return None
        if self._starts_a_stretch(step):
            self._restart()
        self._last_step = step
        if self._first is None:
            self._first = value
        self._constant = self._constant and value == self._first
        self._average = self._average * self.weight + (1.0 - self.weight) * value
        self._weight_power *= self.weight
        if self._constant:
            return value
        return self._average / (1.0 - self._weight_power)

    def _starts_a_stretch(self, step: float) -> bool:
        """Whether the average starts again at this step: after a gap, or at a step not after the last."""
        if self._last_step is None:
            return False
        stride = step - self._last_step
        if stride <= 0:  # out of order: nothing known about what lies between
            self._strides = ()
            return True
        usual = max(self._strides, default=None)
        self._strides = (*self._strides[-1:], stride)
        return usual is not None and stride > GAP_FACTOR * usual


def smooth(points: Iterable[tuple[float, float | None]], weight: float) -> list[float | None]:
    """Each (step, value) point's smoothed value, None where the point has none or it is not finite."""
    ema = Ema(weight)
    return [None if value is None else ema.add(step, value) for step, value in points]


class SmoothedSeries:
    """The smoothed values of a series that grows at its end, one per point of it: kept, and extended by the
    points added since (`extend`), so that following a run costs O(1) a new point."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self._ema = Ema(weight)
        self.values: list[float | None] = []

    def extend(self, points: Iterable[tuple[float, float | None]]) -> None:
        add = self._ema.add
        self.values.extend(None if value is None else add(step, value) for step, value in points)
