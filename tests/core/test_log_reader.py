"""A log's bytes, cut anywhere between replies, to whole printable lines."""

from __future__ import annotations

from tf_tui.core.log_reader import MAX_LINE_CHARS, LogLines


def feed_in_pieces(data: bytes, size: int) -> list[str]:
    lines = LogLines()
    out: list[str] = []
    for start in range(0, len(data), size):
        out += lines.feed(data[start : start + size])
    return out + lines.feed(b"", final=True)


def test_characters_and_escape_sequences_split_between_replies_come_out_whole_and_inert() -> None:
    data = "étape 1 ✓\r\n\x1b[31mred\x1b[0m and \x1b]8;;http://x\x07link\x1b]8;;\x07\nlast".encode()
    for size in range(1, 8):
        assert feed_in_pieces(data, size) == ["étape 1 ✓", "red and link", "last"], size


def test_control_characters_go_tabs_stay_and_a_carriage_return_reads_as_a_space() -> None:
    assert feed_in_pieces("a\tb\x00c\x07\rhidden\x9b?25l\n".encode(), 4) == ["a\tbc hidden"]


def test_bytes_that_are_not_utf8_are_replaced() -> None:
    assert feed_in_pieces(b"ok \xff\xfe\n", 2) == ["ok \ufffd\ufffd"]


def test_a_line_is_given_out_only_when_whole_but_a_very_long_one_is_not_held_back() -> None:
    lines = LogLines()
    assert lines.feed(b"partial") == []
    assert lines.feed(b" line\n") == ["partial line"]
    assert lines.feed(b"x" * (MAX_LINE_CHARS + 1)) == ["x" * (MAX_LINE_CHARS + 1)]


def test_a_log_read_from_its_middle_drops_its_first_part_line() -> None:
    lines = LogLines(drop_first=True)
    assert lines.feed(b"\xa9 of a line\nwhole\n") == ["whole"]
