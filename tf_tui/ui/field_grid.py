"""Labels and values in two columns, a long value wrapped under itself: the detail pane's fields.

Rich's `Table.grid` drew them the same way, but measures every cell of every column before it draws,
and the fields are drawn again at each update of the selected run (its step, loss and eta change each
time): about 10 times the cost, the most expensive part of the pane after the chart.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

LABEL_STYLE = Style(dim=True)
GAP = "  "


@dataclass(frozen=True)
class FieldGrid:
    rows: list[tuple[str, str]]  # (label, value), each printable text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            return
        label_width = max(cell_len(label) for label, _ in self.rows)
        widest = max(cell_len(value) for _, value in self.rows)
        value_width = max(1, min(widest, options.max_width - label_width - len(GAP)))
        for label, value in self.rows:
            text = Text(value, overflow="ellipsis")  # as a table cell: a word too long for a line is cut
            lines = [text] if cell_len(value) <= value_width else text.wrap(console, value_width)
            for index, line in enumerate(lines):
                yield Segment((label if index == 0 else "").ljust(label_width) + GAP, LABEL_STYLE)
                yield from line.render(console)
                yield Segment(" " * (value_width - line.cell_len))
                yield Segment.line()
