"""One loss chart widget, used by the detail pane and the comparison screen: `tf_tui.core.chart` drawn at the
widget's size, repainted at most every REPAINT_INTERVAL_S (`tf_tui.ui.repaint`) however often its runs
report.

What it shows is given as a subject (which runs), a version (cheap to compare: what changed in them) and
a function that makes the series: they are made only when the chart is drawn, and Textual draws only
what is on screen, so a chart on a hidden screen or a hidden pane costs nothing until it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from tf_tui.core.chart import BRAILLE, Series, draw
from tf_tui.core.comparison import XAxis
from tf_tui.core.format import duration
from tf_tui.core.history import MetricHistory
from tf_tui.ui.repaint import Throttled

# Each series' marker and colour, in turn: told apart without colour too.
MARKERS = (BRAILLE, "•", "x", "+", "o", "*", "#", "%")
COLOURS = ("cyan", "yellow", "magenta", "green", "red", "blue", "bright_white", "bright_cyan")
BRAILLE_LEGEND = "⠤⠒"  # how a braille series is named in a legend: a bit of line
# A raw curve behind its smoothed one: fainter, and without colour (where faint is all there is) lighter too.
RAW_STYLE = "dim"
RAW_MARKER_NO_COLOR = "·"
# The x axis's values: steps in few characters, elapsed time as a duration.
X_FORMATS: dict[XAxis, Callable[[float], str] | None] = {XAxis.STEP: None, XAxis.TIME: lambda s: duration(s) or "0s"}


def legend_marker(marker: str) -> str:
    return BRAILLE_LEGEND if marker == BRAILLE else marker


def raw_look(marker: str, colour: str, *, no_color: bool) -> tuple[str, str]:
    """The marker and style of a raw curve drawn behind its smoothed curve."""
    return (RAW_MARKER_NO_COLOR if no_color else marker), f"{RAW_STYLE} {colour}".strip()


def curve_series(
    label: str,
    raw: Sequence[tuple[float, float]],
    smoothed: Sequence[tuple[float, float]],
    look: tuple[str, str],
    *,
    no_color: bool,
    mark_last: bool = False,
) -> list[Series]:
    """A curve as drawn: alone, or (smoothed) fainter behind its smoothed curve, which has the curve's `look`
    (marker, colour). The current point is the raw curve's: the value the run reported last."""
    marker, colour = look
    if not smoothed:
        return [Series(label, raw, marker, colour, mark_last=mark_last)]
    return [
        Series(label, raw, *raw_look(marker, colour, no_color=no_color), mark_last=mark_last),
        Series(f"{label} smoothed", smoothed, marker, colour),
    ]


@dataclass(frozen=True)
class Plot:
    series: Callable[[], Sequence[Series]]
    x_end: float | None = None  # the x the axis runs to when the points stop before it (a run's total steps)
    x_format: Callable[[float], str] | None = None  # None: numbers (`tf_tui.core.chart.draw`)
    log: bool | None = None  # the y scale forced logarithmic (True) or linear (False); None: as the values say


def history_version(history: MetricHistory) -> tuple[object, ...]:
    """What tells that a run's history changed, without comparing its points: its length and its ends."""
    points = history.points
    return (len(points), points[0] if points else None, points[-1] if points else None, history.from_backend)


class LossChart(Widget):
    """Shows one plot. A new version of the same subject is painted at most every REPAINT_INTERVAL_S; a
    new subject (another run selected) at once."""

    DEFAULT_CSS = """
    LossChart { height: 9; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._subject: object = None
        self._version: object = None
        self._plot: Plot | None = None
        self._repaint = Throttled(self, self.refresh)
        self._drawn: tuple[object, tuple[int, int], list[Text]] | None = None  # (what, size, lines)
        self.renders = 0  # how many times it was drawn: what the tests count

    def plot(self, subject: object, version: object, plot: Plot) -> None:
        if subject == self._subject and version == self._version:
            return
        new_subject = subject != self._subject
        self._subject, self._version, self._plot = subject, version, plot
        if new_subject:
            self._repaint.now()
        else:
            self._repaint.request()

    def render(self) -> Text:
        size = (self.content_size.width, self.content_size.height)
        what = (self._subject, self._version)
        if self._drawn is None or self._drawn[:2] != (what, size):
            self.renders += 1
            plot = self._plot
            lines = (
                []
                if plot is None
                else draw(plot.series(), *size, x_end=plot.x_end, x_format=plot.x_format, log=plot.log)
            )
            self._drawn = (what, size, lines)
        return Text("\n", no_wrap=True).join(self._drawn[2])
