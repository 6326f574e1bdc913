"""The ten-thousand-runs scenario reads the screen right: which lines are run rows, which row is selected."""

from __future__ import annotations

from typing import cast

from bench.many_runs import run_rows, selected_row, top_row
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
    assert top_row(screen) == "0000270f"
    assert selected_row(screen) == "0000270e"


def test_no_row_is_selected_when_none_stands_out():
    assert selected_row(cast(Terminal, Screen(ROWS, selected_line=None))) is None
