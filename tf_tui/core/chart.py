"""A line chart as lines of text: series of (x, y) points → axes with values, and the curves. Pure.

Drawn here rather than with plotext: plotext 5.3 (what textual-plotext 1.0 is built on; plotext 6 changed its
API) took 228 ms to build a 70x12 chart of 2,000 points and 13 ms for 150, on the development machine;
this draws 2,000 points in 7 ms there (with the machine's two cores loaded 3.5 times over). The bounds of
both axes are rounded out to round numbers, so that a new point usually changes a few cells at the end of
the curve, not the whole chart (2 cells of a 76x9 chart of 1,000 points, which is 1.5 KB drawn whole):
the terminal is sent only the cells that changed.

A series is told apart by its marker as well as its colour (without colour, markers are all there is):
the first series of a chart may be drawn in braille dots (2x4 per cell, the finest curve), the others in
one character per column of cells.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text

BRAILLE = "braille"  # a series' marker: the curve in braille dots rather than one character per column
BRAILLE_BASE = 0x2800
# The bit of each dot of a braille cell, by (column, row) within the cell.
BRAILLE_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
LOG_SPAN = 10.0  # values spanning more than this factor are drawn on a logarithmic scale
CURRENT_MARKER = "●"
MIN_WIDTH, MIN_HEIGHT = 16, 4
Y_LABEL_EVERY = 2  # values on the y axis at least this many rows apart


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (x, y) in x order
    marker: str = BRAILLE  # BRAILLE, or the character drawn at each column the series has points in
    style: str = ""
    mark_last: bool = False  # the current point: drawn as CURRENT_MARKER


def uses_log_scale(values: Sequence[float], forced: bool | None = None) -> bool:
    """Logarithmic when every value is above zero and they span more than a factor of LOG_SPAN, or (`forced`
    True) whenever every value is above zero; never when `forced` is False."""
    if not values or forced is False:
        return False
    low, high = min(values), max(values)
    return low > 0 and (forced is True or high / low > LOG_SPAN)


def compact_number(value: float) -> str:
    """An axis value in a few characters: `0.25`, `4.5`, `1.2k`, `12k`, `3M`."""
    magnitude = abs(value)
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _nice_step(span: float) -> float:
    """The round step (1, 2 or 5 times a power of ten) nearest above `span`."""
    if span <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(span))
    return next((factor * power for factor in (1, 2, 5, 10) if factor * power >= span), 10 * power)


def _linear_bounds(low: float, high: float, rows: int) -> tuple[float, float]:
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = _nice_step((high - low) / max(1, rows))
    return math.floor(low / step) * step, math.ceil(high / step) * step


def _log_bounds(low: float, high: float) -> tuple[float, float]:
    """log10 of the nearest 1, 2 or 5 times a power of ten below `low` and above `high`."""

    def rounded(value: float, up: bool) -> float:
        power = math.floor(math.log10(value))
        candidates = [factor * 10.0**power for factor in (1, 2, 5, 10)]
        chosen = next(c for c in candidates if c >= value) if up else max(c for c in candidates if c <= value)
        return math.log10(chosen)

    return rounded(low, up=False), rounded(high, up=True)


def x_bounds(xs: Sequence[float], end_hint: float | None = None) -> tuple[float, float]:
    """From the first x to the hint (a run's total steps) when it is past the last x, else to the last x
    rounded up: a growing curve moves right into room already there. Points that all share one x above
    zero (a finished run known by its last step only) are drawn at the end of an axis from zero: an axis
    around that one x would only repeat it."""
    first, last = min(xs), max(xs)
    if first == last > 0:
        first = 0.0
    last = end_hint if end_hint is not None and end_hint > last else last
    step = _nice_step((last - first) / 10)
    low = math.floor(first / step) * step
    return low, max(low + step, math.ceil(last / step) * step)


def draw(
    series: Sequence[Series],
    width: int,
    height: int,
    *,
    x_end: float | None = None,
    x_format: Callable[[float], str] | None = None,
    log: bool | None = None,
) -> list[Text]:
    """The chart in `width`x`height` cells: the y axis with values on the left, the x axis and its values
    in the last two lines. Empty when there is nothing to draw or no room. The x values are written with
    `x_format`, by default as numbers with as many digits as tell the axis's values apart. The y scale is
    logarithmic as `uses_log_scale` says, `log` forcing it on or off. Series are drawn in order, each over
    the ones before it; the current points marked last, over them all."""
    drawn = [each for each in series if each.points]
    if not drawn or width < MIN_WIDTH or height < MIN_HEIGHT:
        return []
    ys = [y for each in drawn for _, y in each.points]
    log = uses_log_scale(ys, log)
    rows = height - 2
    low, high = _log_bounds(min(ys), max(ys)) if log else _linear_bounds(min(ys), max(ys), rows)
    labels = _y_labels(low, high, rows, log)
    label_width = max(len(label) for label in labels.values())
    columns = width - label_width - 1
    xs = [x for each in drawn for x, _ in each.points]
    x_low, x_high = x_bounds(xs, x_end)

    def row_of(y: float, per_cell: int) -> int:  # 0 at the top
        value = math.log10(y) if log else y
        return rows * per_cell - 1 - _scaled(value, low, high, rows * per_cell)

    cells: list[list[tuple[str, str]]] = [[(" ", "")] * columns for _ in range(rows)]
    marks: list[tuple[float, float, str]] = []
    for each in drawn:
        valid = [(x, y) for x, y in each.points if y > 0 or not log]
        per_cell = 2 if each.marker == BRAILLE else 1
        extremes = _column_extremes(valid, x_low, x_high, columns * per_cell)
        if each.marker == BRAILLE:
            spans = [
                (column, row_of(first, 4), row_of(lowest, 4), row_of(highest, 4), row_of(last, 4))
                for column, (first, lowest, highest, last) in extremes
            ]
            _draw_braille(cells, spans, each.style)
        else:
            for column, (*_, last) in extremes:
                cells[row_of(last, 1)][column] = (each.marker, each.style)
        if each.mark_last and valid:
            marks.append((*valid[-1], each.style))
    for x, y, style in marks:
        cells[row_of(y, 1)][_scaled(x, x_low, x_high, columns)] = (CURRENT_MARKER, f"bold {style}".strip())
    lines = [_plot_line(labels.get(row), label_width, line_cells) for row, line_cells in enumerate(cells)]
    # Steps are whole: a value between two of them (step 8000.5) means nothing.
    whole = all(float(x).is_integer() for x in xs)
    lines.extend(_x_axis(x_low, x_high, columns, label_width, x_format, whole=whole))
    return lines


def _plot_line(label: str | None, label_width: int, cells: list[tuple[str, str]]) -> Text:
    """A row of the plot after its y value (or none), each run of cells of one style appended at once."""
    line = Text(f"{label or '':>{label_width}}{'┤' if label else '│'}", style="dim")
    characters, run_style = "", ""
    for character, style in cells:
        if style != run_style and characters:
            line.append(characters, style=run_style)
            characters = ""
        characters, run_style = characters + character, style
    line.append(characters, style=run_style)
    return line


# A column's points, by their y: the first, the lowest, the highest and the last.
Extremes = tuple[float, float, float, float]


def _column_extremes(
    points: Sequence[tuple[float, float]], low: float, high: float, columns: int
) -> list[tuple[int, Extremes]]:
    """The points in each of `columns` parts of [low, high], as their extremes, in column order: however
    many points a column holds, drawing it takes the same time."""
    scale = columns / (high - low) if high > low else 0.0
    found: dict[int, list[float]] = {}
    last_column = columns - 1
    for x, y in points:  # the one loop over every point: plain comparisons, no calls
        column = int((x - low) * scale)
        column = 0 if column < 0 else last_column if column > last_column else column
        known = found.get(column)
        if known is None:
            found[column] = [y, y, y, y]
            continue
        if y < known[1]:
            known[1] = y
        elif y > known[2]:
            known[2] = y
        known[3] = y
    return [(column, (ys[0], ys[1], ys[2], ys[3])) for column, ys in found.items()]


def _scaled(value: float, low: float, high: float, cells: int) -> int:
    """Which of `cells` equal parts of [low, high] the value falls in, clamped."""
    if high <= low:
        return 0
    return max(0, min(cells - 1, int((value - low) / (high - low) * cells)))


def _y_labels(low: float, high: float, rows: int, log: bool) -> dict[int, str]:
    """The bounds on the first and the last row, and round values between them on rows at least
    Y_LABEL_EVERY apart: 1, 2 and 5 times powers of ten on a logarithmic scale, multiples of a round
    step on a linear one."""
    labels = {0: compact_number(10**high if log else high), rows - 1: compact_number(10**low if log else low)}
    if log:
        powers = range(math.floor(low), math.ceil(high) + 1)
        candidates = [math.log10(factor * 10.0**power) for power in powers for factor in (1, 2, 5)]
    else:
        step = _nice_step((high - low) / max(1, rows // Y_LABEL_EVERY))
        candidates = [step * index for index in range(math.ceil(low / step), math.floor(high / step) + 1)]
    taken = [0, rows - 1]
    for position in sorted(candidates, reverse=True):
        row = rows - 1 - _scaled(position, low, high, rows)
        if low < position < high and all(abs(row - other) >= Y_LABEL_EVERY for other in taken):
            labels[row] = compact_number(10**position if log else position)
            taken.append(row)
    return labels


def _draw_braille(cells: list[list[tuple[str, str]]], spans: list[tuple[int, int, int, int, int]], style: str) -> None:
    """The curve through each dot column's (first, lowest, highest, last) rows, in dots: every dot between
    the column's extremes, and joined to the column before (columns between two far apart get the line
    between them), so that a steep fall reads as a line rather than scattered dots."""
    reached: dict[int, tuple[int, int]] = {}

    def reach(column: int, row: int) -> None:
        top, bottom = reached.get(column, (row, row))
        reached[column] = (min(top, row), max(bottom, row))

    for index, (column, first, lowest, highest, _) in enumerate(spans):
        reach(column, lowest)
        reach(column, highest)  # rows grow downwards: the highest value's row is the smallest number
        if index == 0:
            continue
        before_column, before_row = spans[index - 1][0], spans[index - 1][4]
        gap = column - before_column
        for step in range(1, gap + 1):  # the line from the last point before to this column's first
            reach(before_column + step, round(before_row + (first - before_row) * (step - 1) / gap))
    bits: dict[tuple[int, int], int] = {}
    for column, (top, bottom) in reached.items():
        for row in range(top, bottom + 1):
            key = (row // 4, column // 2)
            bits[key] = bits.get(key, 0) | BRAILLE_DOTS[column % 2][row % 4]
    for (row, column), value in bits.items():
        cells[row][column] = (chr(BRAILLE_BASE + value), style)


def _x_axis(
    low: float, high: float, columns: int, indent: int, x_format: Callable[[float], str] | None, *, whole: bool
) -> list[Text]:
    """`└──┬────┬──` with round values under the ticks, and the axis's ends. No two values written read
    alike: a value that would read as the one before it is left out."""
    step = _nice_step((high - low) / max(1, columns // 12))
    step = max(1.0, step) if whole else step
    values = [low, *(step * index for index in range(math.floor(low / step) + 1, math.ceil(high / step))), high]
    labels = [(x_format or _tick_format(values, step))(value) for value in values]
    axis, text = ["─"] * columns, [" "] * columns
    taken = -2  # the column after the last value written
    written = ""
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        column = _scaled(value, low, high, columns) if index < len(values) - 1 else columns - 1
        start = min(column, columns - len(label))
        if start <= taken or start < 0 or (index < len(values) - 1 and start + len(label) >= columns - 2):
            continue  # no room: the value would run into its neighbour
        if label == written:
            continue  # it would read as the value before it
        axis[column] = "┬"
        text[start : start + len(label)] = list(label)
        taken, written = start + len(label), label
    return [
        Text(" " * indent + "└" + "".join(axis), style="dim"),
        Text(" " * (indent + 1) + "".join(text), style="dim"),
    ]


def _tick_format(values: Sequence[float], step: float) -> Callable[[float], str]:
    """Compact numbers (`8k`, `8.4k`) while they tell the ticks apart; else every digit the ticks' step
    needs (`8001`, `8002`): an axis over a few steps of a long run reads `8k 8k 8k` compact."""
    compact = [compact_number(value) for value in values]
    if all(before != after for before, after in itertools.pairwise(compact)):
        return compact_number
    decimals = max(0, -math.floor(math.log10(step)))
    return lambda value: f"{value:.{decimals}f}"
