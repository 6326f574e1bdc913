"""The detail pane's fields are drawn exactly as Rich's `Table.grid` drew them, at a fraction of its cost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from tf_tui.ui.field_grid import FieldGrid

CONSOLE = Console(color_system="truecolor", force_terminal=True, width=200)
WORDS = st.sampled_from(["a", "loss", "max_steps=1500", "x" * 70, "é", "模型", "", "  ", "lr=0.003", "-"])
LABELS = st.text(alphabet="abcdefg_", min_size=1, max_size=30)  # the pane cuts a label at 30
VALUES = st.lists(WORDS, max_size=8).map(" ".join)


def table_grid(rows: list[tuple[str, str]]) -> Table:
    """How the pane drew its fields before."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    return table


def cells(renderable: object, width: int) -> list[list[tuple[str, Style]]]:
    lines = CONSOLE.render_lines(renderable, CONSOLE.options.update_width(width), pad=True)
    return [[(character, segment.style or Style()) for segment in line for character in segment.text] for line in lines]


@given(rows=st.lists(st.tuples(LABELS, VALUES), min_size=1, max_size=6), width=st.integers(33, 120))
def test_every_cell_is_as_the_table_grid_drew_it(rows: list[tuple[str, str]], width: int) -> None:
    assert cells(FieldGrid(rows), width) == cells(table_grid(rows), width)


def test_a_long_value_wraps_under_itself_and_a_word_too_long_is_cut():
    rows = [("params", "max_steps=1500 learning_rate=0.003"), ("id", "y" * 40)]
    lines = ["".join(character for character, _ in line).rstrip() for line in cells(FieldGrid(rows), 30)]
    assert lines == ["params  max_steps=1500", "        learning_rate=0.003", "id      " + "y" * 21 + "…"]


def test_no_rows_draw_nothing():
    assert cells(FieldGrid([]), 40) == []
