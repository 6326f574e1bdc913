"""The runs list's lines: every row in its order, the rows the filter lets through, and a heading over each
group of them.

A row's place is found by bisection on its sort key, which is unique (it ends with the order the row became
known in): nothing indexes every row, so a row whose key changed (a run's first read gives it its date) is
taken out and put back in its new place, in a few steps however many rows there are. Ten thousand runs read
one by one at launch were otherwise ten thousand rows sorted, filtered and indexed again for each read.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from rich.text import Text

# A row's key: the run's backend (None when one backend is followed) and its id.
RowKey = tuple[str | None, str]
# What a row sorts by: its group (a rank and a name) first, then the order's values, then its age.
SortKey = tuple[Any, ...]
GROUP_PART = 2  # the sort key's first values: the group
# More rows moved than this since the last arrangement: sorting every row again (one pass over rows mostly in
# order) costs less than placing each.
MOVED_ONE_BY_ONE = 64


@dataclass(frozen=True)
class Heading:
    """A group's line: its name and how many of the runs shown are in it."""

    name: str
    count: int

    def text(self, width: int) -> Text:
        """`─ training (3) ────────`, `width` cells wide."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("─ ", style="dim")
        text.append(f"{self.name} ({self.count})", style="bold")
        text.append(" " + "─" * max(0, width - text.cell_len - 1), style="dim")
        return text


Line = RowKey | Heading


class RunLines:
    """The rows in their order (`keys` holds each row's sort key) and the lines shown: the rows `shows` let
    through at the last `arrange`, under a heading per group when grouped."""

    def __init__(self) -> None:
        self.keys: dict[RowKey, SortKey] = {}
        self.shown: list[RowKey] = []
        self._sorted: list[RowKey] = []
        self._moved: dict[RowKey, SortKey | None] = {}  # each row's key where it is now placed (None: not yet)
        self._grouped = False
        self._group_sizes: dict[SortKey, int] = {}  # rows shown by group
        self._headings: list[Heading] = []
        self._heading_lines: list[int] = []  # the line of each heading, in order
        self._group_starts: list[int] = []  # where each group begins among the rows shown

    def __len__(self) -> int:
        """How many lines: the rows shown and the headings."""
        return len(self.shown) + len(self._headings)

    def set_key(self, key: RowKey, sort_key: SortKey) -> bool:
        """A new row, or a row's new sort key: it takes its place at the next `arrange`. Whether it changed."""
        old = self.keys.get(key)
        if old == sort_key:
            return False
        self._moved.setdefault(key, old)
        self.keys[key] = sort_key
        return True

    def remove(self, key: RowKey) -> None:
        """The row is gone: from the rows, the rows shown and its group's count (the headings at the next
        `arrange`)."""
        if key not in self.keys:
            return
        placed = self._placed(key)
        if placed is not None:
            self._take_out(self._sorted, key)
            if self._take_out(self.shown, key) and self._grouped:
                self._count(placed, -1)
        self._moved.pop(key, None)
        del self.keys[key]

    def arrange(self, shows: Callable[[RowKey], bool], *, everything: bool, grouped: bool) -> None:
        """The rows that moved to their places, the rows shown and the headings with them. `everything`: every
        row is tested with `shows` again (the filter, the backend shown, the order or the grouping changed)."""
        if everything or self._grouped != grouped or len(self._moved) > MOVED_ONE_BY_ONE:
            if self._moved:  # a filter alone moves no row
                self._sorted.extend(key for key, old in self._moved.items() if old is None)
                self._moved.clear()
                self._sorted.sort(key=self.keys.__getitem__)  # mostly in order already: a pass
            self.shown = [key for key in self._sorted if shows(key)]
            self._group_sizes = {}
            for key in self.shown if grouped else ():
                group = self.keys[key][:GROUP_PART]
                self._group_sizes[group] = self._group_sizes.get(group, 0) + 1
        else:
            for key in list(self._moved):
                self._move(key, shows(key), grouped=grouped)
        self._grouped = grouped
        self._lay_out_headings()

    def index(self, key: RowKey) -> int | None:
        """The row's place among the rows shown; None when it is not shown."""
        if key not in self.keys or self._placed(key) is None:
            return None
        return self._find(self.shown, key)

    def line_of(self, key: RowKey) -> int | None:
        """The row's line; None when it is not shown."""
        index = self.index(key)
        if index is None or not self._grouped:
            return index
        return index + bisect_right(self._group_starts, index)  # under its group's heading and those before

    def line(self, number: int) -> Line | None:
        """What line `number` shows: a row, a heading, or nothing past the last line."""
        if not 0 <= number < len(self):
            return None
        if not self._grouped:
            return self.shown[number]
        group = bisect_right(self._heading_lines, number) - 1
        if self._heading_lines[group] == number:
            return self._headings[group]
        return self.shown[number - group - 1]

    def lines(self, start: int, stop: int) -> list[Line]:
        """The lines from `start` up to `stop`."""
        return [line for line in map(self.line, range(max(0, start), min(stop, len(self)))) if line is not None]

    def _move(self, key: RowKey, shown: bool, *, grouped: bool) -> None:
        old = self._moved[key]
        if old is not None:
            self._take_out(self._sorted, key)
            if self._take_out(self.shown, key) and grouped:
                self._count(old, -1)
        del self._moved[key]  # from now on placed by its own key
        insort(self._sorted, key, key=self._place)
        if shown:
            insort(self.shown, key, key=self._place)
            if grouped:
                self._count(self.keys[key], 1)

    def _count(self, sort_key: SortKey, change: int) -> None:
        group = sort_key[:GROUP_PART]
        self._group_sizes[group] = self._group_sizes.get(group, 0) + change

    def _lay_out_headings(self) -> None:
        groups = sorted((group, size) for group, size in self._group_sizes.items() if size > 0)
        self._headings = [Heading(str(group[-1]), size) for group, size in groups]
        self._group_starts = list(accumulate((size for _, size in groups[:-1]), initial=0)) if groups else []
        self._heading_lines = [start + number for number, start in enumerate(self._group_starts)]

    def _placed(self, key: RowKey) -> SortKey | None:
        """The sort key the row is placed by in the lists: its last one until `arrange` moves it."""
        return self._moved[key] if key in self._moved else self.keys[key]

    def _place(self, key: RowKey) -> SortKey:
        """What a row in the lists is placed by."""
        return self._moved.get(key) or self.keys[key]

    def _find(self, rows: list[RowKey], key: RowKey) -> int | None:
        index = bisect_left(rows, self._place(key), key=self._place)
        return index if index < len(rows) and rows[index] == key else None

    def _take_out(self, rows: list[RowKey], key: RowKey) -> bool:
        index = self._find(rows, key)
        if index is not None:
            del rows[index]
        return index is not None
