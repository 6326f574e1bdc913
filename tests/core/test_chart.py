"""The chart drawn as text: its axes' values, the choice of a logarithmic scale, and the series' markers."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tf_tui.core.chart import BRAILLE_BASE, CURRENT_MARKER, Series, compact_number, draw, uses_log_scale, x_bounds
from tf_tui.core.history import MetricHistory, MetricPoint

WIDTH, HEIGHT = 60, 12


def falling(
    first_step: int = 0, last_step: int = 4000, start: float = 4.5, floor: float = 0.25
) -> list[tuple[float, float]]:
    return [(step, floor + (start - floor) * math.exp(-step / 700)) for step in range(0, last_step + 1, 100)]


def text_of(series: list[Series], **options) -> list[str]:
    return [line.plain for line in draw(series, WIDTH, HEIGHT, **options)]


def y_labels(lines: list[str]) -> list[str]:
    """The values written before the y axis, top to bottom."""
    return [line.split("┤")[0].strip() for line in lines if "┤" in line]


def plot_area(lines: list[str]) -> list[str]:
    return [line.split("┤" if "┤" in line else "│", 1)[1] for line in lines[:-2]]


def braille_cells(lines: list[str]) -> int:
    return sum(BRAILLE_BASE < ord(character) <= BRAILLE_BASE + 0xFF for line in plot_area(lines) for character in line)


@pytest.mark.parametrize(
    ("values", "log"),
    [
        ([4.5, 2.0, 0.3], True),  # a factor of 15
        ([4.5, 0.5], False),  # a factor of 9
        ([1.0, 1.2, 0.9], False),
        ([4.5, 0.0], False),  # a zero has no logarithm
        ([2.0, -1.0, 30.0], False),
        ([], False),
    ],
)
def test_a_logarithmic_scale_when_the_values_span_more_than_a_factor_of_ten(values, log):
    assert uses_log_scale(values) is log


def test_a_falling_loss_spanning_more_than_ten_times_reads_in_decades():
    lines = text_of([Series("loss", falling())])
    assert len(lines) == HEIGHT
    assert y_labels(lines) == ["5", "2", "1", "0.5", "0.2"]  # the bounds rounded out, 1-2-5 between them


def test_values_within_a_factor_of_ten_read_on_a_linear_scale_with_round_steps():
    lines = text_of([Series("loss", falling(start=1.0, floor=0.4))])
    labels = [float(label) for label in y_labels(lines)]
    assert labels[0] == 1.0 and labels[-1] == 0.4
    assert labels == sorted(labels, reverse=True)
    gaps = {round(upper - lower, 6) for upper, lower in itertools.pairwise(labels)}
    assert all(round(gap / 0.1, 6).is_integer() for gap in gaps)  # multiples of a round step


def test_the_x_axis_reads_steps_from_the_first_to_the_runs_total():
    lines = text_of([Series("loss", falling(last_step=1200))], x_end=12000)
    axis, values = lines[-2], lines[-1].split()
    assert axis.strip().startswith("└") and "┬" in axis
    assert values[0] == "0" and values[-1] == "12k"
    assert "5k" in values  # round values between them
    # The curve sits in the tenth of the width the steps so far cover: room to grow to the right.
    columns_used = {index for line in plot_area(lines) for index, character in enumerate(line) if character != " "}
    assert max(columns_used) < WIDTH // 5


def test_an_x_axis_without_a_known_end_is_rounded_up_past_the_last_point():
    assert x_bounds([300, 4200]) == (0, 4500)
    assert x_bounds([300, 4200], end_hint=12000) == (0, 12000)
    assert x_bounds([5.0, 5.0]) == (0, 5.0)  # one point: an axis of some length, from zero to it


def test_a_run_known_by_one_step_is_drawn_at_the_end_of_an_axis_from_zero():
    """Two finished runs known by their last step only were compared over `8k 8k 8k 8k 8k`."""
    values = text_of([Series("a", [(8000, 1.7)]), Series("b", [(8000, 1.9)], marker="•")])[-1].split()
    assert values[0] == "0" and values[-1] == "8k" and len(set(values)) == len(values) > 2


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ((8000, 8003), ["8000", "8001", "8002", "8003"]),  # a few steps of a long run: every digit needed
        ((7990, 8000), ["7990", "7995", "8000"]),
        ((8000, 8001), ["8000", "8001"]),  # whole steps: never a tick at step 8000.5
    ],
)
def test_an_axis_over_a_few_steps_names_each_tick_apart(steps, expected):
    assert text_of([Series("loss", [(step, 1.0) for step in steps])])[-1].split() == expected


@given(
    st.lists(st.integers(min_value=0, max_value=2**53), min_size=1, max_size=6),
    st.sampled_from([None, 10, 10**6]),
)
def test_the_x_axis_values_are_distinct_whatever_the_steps(steps, total):
    lines = text_of([Series("loss", [(step, 1.0) for step in sorted(steps)])], x_end=total)
    values = lines[-1].split()
    assert values and len(set(values)) == len(values)


def test_elapsed_times_that_would_read_alike_are_written_once():
    lines = text_of([Series("loss", [(0.1, 2.0), (0.4, 1.0)])], x_format=lambda seconds: f"{seconds:.0f}s")
    values = lines[-1].split()
    assert len(set(values)) == len(values)


def test_the_x_axis_formats_its_values_as_asked():
    lines = text_of([Series("loss", [(0, 2.0), (90, 1.0)])], x_format=lambda seconds: f"{seconds:.0f}s")
    assert lines[-1].split()[0] == "0s" and lines[-1].split()[-1].endswith("s")


def test_the_first_series_is_a_braille_curve_and_its_current_point_is_marked():
    lines = text_of([Series("loss", falling(), mark_last=True)])
    assert braille_cells(lines) > 20
    marked = [(row, line.index(CURRENT_MARKER)) for row, line in enumerate(plot_area(lines)) if CURRENT_MARKER in line]
    assert len(marked) == 1
    row, column = marked[0]
    assert row == HEIGHT - 3  # the last (lowest) loss is on the bottom row
    assert column == max(index for line in plot_area(lines) for index, c in enumerate(line) if c != " ")


def test_a_second_series_is_drawn_with_its_own_marker_one_per_column():
    training = falling()
    held_out = [(step, loss * 1.2) for step, loss in training[::10]]
    lines = text_of([Series("loss", training), Series("held-out", held_out, marker="x")])
    area = plot_area(lines)
    assert sum(line.count("x") for line in area) == len(held_out)
    assert braille_cells(lines) > 20
    for column in range(WIDTH - 10):  # never two marks of one series in a column
        assert sum(line[column] == "x" for line in area if column < len(line)) <= 1


def test_styles_are_kept_per_series():
    chart = draw(
        [Series("a", falling(), style="cyan"), Series("b", falling(start=3.0), marker="+", style="yellow")],
        WIDTH,
        HEIGHT,
    )
    styles = {str(span.style) for line in chart for span in line.spans}
    assert {"cyan", "yellow"} <= styles


def test_nothing_to_draw_or_no_room_draws_nothing():
    assert draw([], WIDTH, HEIGHT) == []
    assert draw([Series("empty", [])], WIDTH, HEIGHT) == []
    assert draw([Series("loss", falling())], 8, HEIGHT) == []
    assert draw([Series("loss", falling())], WIDTH, 3) == []


def test_a_flat_line_still_has_an_axis():
    lines = text_of([Series("loss", [(0, 1.0), (100, 1.0)])])
    labels = [float(label) for label in y_labels(lines)]
    assert labels[0] > 1.0 > labels[-1]


def test_thousands_of_points_fit_the_width():
    points = [(step, 1.0 + math.sin(step / 50)) for step in range(2000)]
    lines = text_of([Series("loss", points)])
    assert all(len(line) <= WIDTH for line in lines)
    assert all(len(line) == len(lines[0]) for line in lines[:-2])


@pytest.mark.parametrize(("value", "text"), [(0.25, "0.25"), (4.5, "4.5"), (1200, "1.2k"), (12000, "12k"), (3e6, "3M")])
def test_compact_numbers(value, text):
    assert compact_number(value) == text


SERVER_NUMBERS = st.one_of(
    st.floats(), st.integers(min_value=-(10**400), max_value=10**400), st.booleans(), st.none(), st.text(max_size=3)
)


@given(
    st.lists(
        st.fixed_dictionaries({"step": SERVER_NUMBERS, "loss": SERVER_NUMBERS, "eval_loss": SERVER_NUMBERS}),
        min_size=1,
        max_size=8,
    )
)
def test_whatever_numbers_the_server_sends_the_chart_draws(documents: list[dict[str, object]]) -> None:
    """Found by the 10,000 hostile frames: a step of 10**400 overflowed the axis and crashed the paint."""
    history = MetricHistory()
    for document in documents:
        point = MetricPoint.from_json(document)
        if point is not None:
            history.add(point)
    for name in ("loss", "eval_loss"):
        points = [(float(point.step), value) for point in history.points if (value := getattr(point, name)) is not None]
        if points:
            assert draw([Series(name, points, mark_last=True)], 60, 12)
