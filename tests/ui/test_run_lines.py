"""The runs list's lines kept a row at a time are the lines made from scratch: same rows shown, same
headings, each row found on its line."""

from __future__ import annotations

import random

import pytest

from tf_tui.ui.widgets.run_lines import MOVED_ONE_BY_ONE, Heading, RowKey, RunLines, SortKey

GROUPS = ((0, "training"), (1, "queued"), (2, "completed"))


def sort_key(rank: int, age: float, sequence: int) -> SortKey:
    return (*GROUPS[rank], -age, -sequence)


def lines_from_scratch(keys: dict[RowKey, SortKey], shows, *, grouped: bool) -> list[object]:
    """What the lines should be: every row shown in order, under a heading per group."""
    lines: list[object] = []
    rows = sorted((key for key in keys if shows(key)), key=keys.__getitem__)
    for key in rows:
        if grouped and (not lines or keys[key][:2] != keys[_last_row(lines)][:2]):
            name = keys[key][1]
            lines.append(Heading(name, sum(1 for row in rows if keys[row][:2] == keys[key][:2])))
        lines.append(key)
    return lines


def _last_row(lines: list[object]) -> RowKey:
    return next(line for line in reversed(lines) if not isinstance(line, Heading))  # type: ignore[return-value]


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("moves", [1, 5, MOVED_ONE_BY_ONE + 1])
def test_rows_moved_a_few_at_a_time_make_the_lines_made_from_scratch(grouped, moves):
    chance = random.Random(f"{grouped}{moves}")
    lines = RunLines()
    keys: dict[RowKey, SortKey] = {}
    hidden: set[RowKey] = set()

    def shows(key: RowKey) -> bool:
        return key not in hidden

    for number in range(300):
        key = (None, f"run-{number}")
        keys[key] = sort_key(chance.randrange(3), chance.random(), number)
        lines.set_key(key, keys[key])
    lines.arrange(shows, everything=True, grouped=grouped)
    for _ in range(20):
        for key in chance.sample(sorted(keys), moves):  # a first read: another date, perhaps another status
            keys[key] = sort_key(chance.randrange(3), chance.random(), int(key[1].split("-")[1]))
            assert lines.set_key(key, keys[key])
            if chance.random() < 0.3:
                hidden ^= {key}
        gone = (None, f"run-{chance.randrange(300)}")
        if gone in keys:
            del keys[gone]
            lines.remove(gone)
        lines.arrange(shows, everything=False, grouped=grouped)

        expected = lines_from_scratch(keys, shows, grouped=grouped)
        assert [lines.line(number) for number in range(len(lines))] == expected
        assert lines.line(len(lines)) is None and lines.line(-1) is None
        assert lines.lines(-5, len(lines) + 5) == expected
        for number, line in enumerate(expected):
            if not isinstance(line, Heading):
                assert lines.line_of(line) == number
        assert all(lines.index(key) is None for key in keys if not shows(key))


def test_a_row_whose_key_did_not_change_is_not_moved():
    lines = RunLines()
    assert lines.set_key((None, "a"), sort_key(0, 1.0, 0))
    assert not lines.set_key((None, "a"), sort_key(0, 1.0, 0))
    assert lines.index((None, "a")) is None  # not placed before the lines are arranged
    lines.arrange(lambda key: True, everything=False, grouped=False)
    assert lines.index((None, "a")) == 0 and lines.line(0) == (None, "a")
