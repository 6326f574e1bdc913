"""The ten-thousand-runs scenario reads the screen right: which lines are run rows, which row is selected."""

from __future__ import annotations

from typing import cast

from bench.many_runs import ManyRuns, page_shown, run_rows, selected_row
from bench.run import many_runs_figures
from bench.terminal import COLUMNS, Terminal

ROWS = ["", " 0000270f completed ━━━━ 100%", " 0000270e not read yet", " 0000270d completed", "detail 0000270f-0000"]


class Screen:
    """What the scenario reads of a terminal: its lines, and each line's backgrounds."""

    def __init__(self, lines: list[str], selected_line: int | None) -> None:
        self._lines = lines
        self._selected_line = selected_line

    def lines(self) -> list[str]:
        return self._lines

    def backgrounds(self, y: int) -> list[str]:
        return ["blue" if y == self._selected_line else "default"] * COLUMNS


def test_run_rows_are_the_lines_with_a_short_id_and_the_selected_one_has_its_own_background():
    screen = cast(Terminal, Screen(ROWS, selected_line=2))
    assert run_rows(screen) == [(1, "0000270f"), (2, "0000270e"), (3, "0000270d")]  # a full id is no row
    assert page_shown(screen) == ("0000270f", "0000270e")
    assert selected_row(screen) == "0000270e"


def test_no_row_is_selected_when_none_stands_out():
    assert selected_row(cast(Terminal, Screen(ROWS, selected_line=None))) is None


def measured(reads_at_first_paint: int, reads_after_window: int) -> ManyRuns:
    keys = {key: [10.0] for key in ("j", "k", "page down", "filter character")}
    return ManyRuns(1.0, 0.5, 23, reads_at_first_paint, reads_after_window, 150.0, keys)


def test_the_table_judges_the_status_reads_against_a_screenful_and_the_trickle_since():
    within, over = many_runs_figures([measured(40, 150)]), many_runs_figures([measured(40, 1_000)])
    assert [figure.row()[-1] for figure in within] == ["met"] * 4
    assert [figure.row()[-1] for figure in over] == ["met", "**missed**", "met", "met"]
