"""How the loss charts are looked at: the smoothing weight, the step window, the y scale and the x axes. A
choice of the view, not of a run: it holds whichever run is shown, through every update, and across
relaunches (a section of `ViewChoicesFile`, per backend). Pure.

The window is a number of steps ending at the run's latest step: a new point moves it along with the run,
the same width. `+` halves it (from the whole run: half the run), `-` doubles it up to the whole run
again; it never narrows below the steps of the last MIN_WINDOW_POINTS points, so a window always holds a
curve. The y axis fits the points in the window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum, StrEnum
from typing import Any, TypeVar

from tf_tui.core.chart import uses_log_scale
from tf_tui.core.comparison import XAxis
from tf_tui.core.history import MetricHistory, is_step
from tf_tui.core.smoothing import check_weight

SECTION = "chart"  # the view choices file's section
SMOOTHING_WEIGHTS: tuple[float | None, ...] = (None, 0.6, 0.9, 0.99)  # what `m` goes through; None: off
MIN_WINDOW_POINTS = 5

Curve = list[tuple[float, float]]
Choice = TypeVar("Choice", bound=Enum)


class YScale(StrEnum):
    AUTO = "auto"  # logarithmic once the values span more than a factor of ten (`chart.uses_log_scale`)
    LOG = "log"
    LINEAR = "linear"


Y_SCALE_FORCED: dict[YScale, bool | None] = {YScale.AUTO: None, YScale.LOG: True, YScale.LINEAR: False}


def _next(choices: Sequence[Any], current: Any) -> Any:
    return choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]


@dataclass(frozen=True)
class ChartView:
    smoothing: float | None = None  # the weight; None: the raw curve alone
    window: int | None = None  # the last this many steps; None: the whole run
    y_scale: YScale = YScale.AUTO
    x_axis: XAxis = XAxis.STEP  # the detail chart's
    compare_axis: XAxis = XAxis.STEP  # the comparison's

    def next_smoothing(self) -> ChartView:
        return replace(self, smoothing=_next(SMOOTHING_WEIGHTS, self.smoothing))

    def next_y_scale(self) -> ChartView:
        return replace(self, y_scale=_next(list(YScale), self.y_scale))

    def other_x_axis(self) -> ChartView:
        return replace(self, x_axis=_other(self.x_axis))

    def other_compare_axis(self) -> ChartView:
        return replace(self, compare_axis=_other(self.compare_axis))

    def narrowed(self, steps: Sequence[int]) -> ChartView | None:
        """The window halved, over a run with a loss at `steps` (in order); None when it is as narrow as the
        run allows (or the run has too few points to narrow)."""
        if len(steps) < 2:
            return None
        span = steps[-1] - steps[0]
        shown = span if self.window is None else min(self.window, span)
        narrowest = steps[-1] - steps[max(0, len(steps) - MIN_WINDOW_POINTS)]
        if shown <= narrowest:
            return None
        return replace(self, window=max(narrowest, math.ceil(shown / 2)))

    def widened(self, steps: Sequence[int]) -> ChartView | None:
        """The window doubled, the whole run once it would hold it all; None when the whole run is shown."""
        if self.window is None:
            return None
        span = steps[-1] - steps[0] if steps else 0
        doubled = self.window * 2
        return replace(self, window=None if doubled >= span else doubled)

    def reset(self) -> ChartView:
        return replace(self, window=None)

    def log_scale(self, values: Sequence[float]) -> bool:
        """Whether values are drawn on a logarithmic scale: as chosen, when they can be (all above zero)."""
        return uses_log_scale(values, Y_SCALE_FORCED[self.y_scale])

    def section(self) -> dict[str, Any]:
        return {
            "smoothing": self.smoothing,
            "window": self.window,
            "y_scale": self.y_scale.value,
            "x_axis": self.x_axis.value,
            "compare_axis": self.compare_axis.value,
        }

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> ChartView:
        """The choices kept; each value that is not one tf-tui would have written (the file is the user's
        to edit) is the default instead."""
        smoothing = section.get("smoothing")
        window = section.get("window")
        return cls(
            smoothing=smoothing if _is_weight(smoothing) else None,
            window=window if is_step(window) and window > 0 else None,
            y_scale=_enum(YScale, section.get("y_scale"), YScale.AUTO),
            x_axis=_enum(XAxis, section.get("x_axis"), XAxis.STEP),
            compare_axis=_enum(XAxis, section.get("compare_axis"), XAxis.STEP),
        )


def _other(axis: XAxis) -> XAxis:
    return XAxis.TIME if axis is XAxis.STEP else XAxis.STEP


def _is_weight(value: object) -> bool:
    if not isinstance(value, float | int) or isinstance(value, bool):
        return False
    try:
        return check_weight(float(value)) > 0
    except ValueError:
        return False


def _enum(kind: type[Choice], value: object, default: Choice) -> Choice:
    return kind(value) if isinstance(value, str) and value in kind._value2member_map_ else default


@dataclass(frozen=True)
class LossCurves:
    """A run's curves as a chart draws them: in the window, against the axis chosen."""

    raw: Curve  # the training loss
    smoothed: Curve  # empty without smoothing
    held_out: Curve

    @property
    def values(self) -> list[float]:
        return [y for curve in (self.raw, self.smoothed, self.held_out) for _, y in curve]


def loss_steps(history: MetricHistory) -> list[int]:
    """The steps that have a training loss: what the window is measured on."""
    return [point.step for point in history.points if point.loss is not None]


def loss_curves(
    history: MetricHistory, axis: XAxis, *, smoothing: float | None = None, window: int | None = None
) -> LossCurves:
    """The run's training loss, smoothed too with `smoothing`, and its held-out loss, from the window's
    first step (`window` steps before the last step with a loss), by step or by elapsed time (points
    without an elapsed time left out)."""
    points = history.points
    smoothed_values = history.smoothed_loss(smoothing) if smoothing else None
    start = -math.inf
    if window is not None:
        last = next((point.step for point in reversed(points) if point.loss is not None), None)
        start = -math.inf if last is None else last - window
    raw: Curve = []
    smoothed: Curve = []
    held_out: Curve = []
    for index, point in enumerate(points):
        x = point.step if axis is XAxis.STEP else point.elapsed_s
        if x is None or point.step < start:
            continue
        if point.loss is not None:
            raw.append((x, point.loss))
        if smoothed_values is not None and (value := smoothed_values[index]) is not None:
            smoothed.append((x, value))
        if point.eval_loss is not None:
            held_out.append((x, point.eval_loss))
    return LossCurves(raw, smoothed, held_out)
