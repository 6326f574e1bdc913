"""The screen copy writes only changed cells, and what it writes leaves the terminal showing what Textual
painted: checked by replaying its output through a terminal emulator (pyte)."""

from __future__ import annotations

import pyte
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region, Size
from textual.strip import Strip

from tf_tui.ui.paint.terminal_diff import ScreenCopy

WIDTH, HEIGHT = 30, 3
SIZE = Size(WIDTH, HEIGHT)
CONSOLE = Console(color_system="truecolor", force_terminal=True, width=WIDTH)
DIM, BOLD = Style(dim=True), Style(bold=True)


def strip(*parts: tuple[str, Style]) -> Strip:
    return Strip([Segment(text, style) for text, style in parts])


def whole_screen(lines: list[Strip]) -> LayoutUpdate:
    return LayoutUpdate([[line] for line in lines], Region(0, 0, WIDTH, len(lines)))


def one_line(y: int, line: Strip) -> ChopsUpdate:
    """What Textual sends when one full-width widget on line y is repainted."""
    chops = [{0: line if row == y else None} for row in range(HEIGHT)]
    return ChopsUpdate(chops, [(y, 0, WIDTH)], [[WIDTH] for _ in range(HEIGHT)])


class Terminal:
    def __init__(self) -> None:
        self.screen = pyte.Screen(WIDTH, HEIGHT)
        self.stream = pyte.Stream(self.screen)
        self.copy = ScreenCopy()

    def show(self, update: LayoutUpdate | ChopsUpdate, size: Size = SIZE) -> str:
        """Send the update through the copy; what was written."""
        written = self.copy.narrow(update, size).render_segments(CONSOLE)
        self.stream.feed(written)
        return written

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]


ROW = strip(("3f2a9c1e ", BOLD), ("training ", Style()), ("370/1000", DIM))


def test_a_changed_value_writes_only_its_cells_and_the_screen_reads_right():
    terminal = Terminal()
    terminal.show(whole_screen([ROW, strip(("footer", Style()))]))
    assert terminal.lines()[:2] == ["3f2a9c1e training 370/1000", "footer"]

    written = terminal.show(one_line(0, strip(("3f2a9c1e ", BOLD), ("training ", Style()), ("371/1000", DIM))))
    assert terminal.lines()[:2] == ["3f2a9c1e training 371/1000", "footer"]
    assert "training" not in written and "1000" not in written  # only the changed digit went out
    assert len(written) < 40


def test_a_repaint_of_the_same_cells_writes_nothing():
    terminal = Terminal()
    terminal.show(whole_screen([ROW]))
    assert terminal.show(one_line(0, ROW)) == ""
    assert terminal.show(whole_screen([ROW])) == ""


def test_a_changed_style_is_a_changed_cell():
    terminal = Terminal()
    terminal.show(whole_screen([ROW]))
    written = terminal.show(one_line(0, strip(("3f2a9c1e ", Style()), ("training ", Style()), ("370/1000", DIM))))
    assert "3f2a9c1e" in written and "training" not in written


def test_double_width_characters_are_never_cut_in_half():
    terminal = Terminal()
    terminal.show(whole_screen([strip(("模型 training", Style()))]))
    terminal.show(one_line(0, strip(("模式 training", Style()))))
    assert terminal.lines()[0] == "模式 training"
    terminal.show(one_line(0, strip(("a模式training", Style()))))
    assert terminal.lines()[0] == "a模式training"


def test_after_a_resize_everything_is_written_again():
    terminal = Terminal()
    terminal.show(whole_screen([ROW]))
    written = terminal.show(whole_screen([ROW]), size=Size(WIDTH, HEIGHT + 1))
    assert "3f2a9c1e" in written and "370/1000" in written


def test_after_forgetting_everything_is_written_again():
    terminal = Terminal()
    terminal.show(whole_screen([ROW]))
    terminal.copy.forget()
    assert "training" in terminal.show(one_line(0, ROW))


def test_cells_that_differ_only_in_textual_s_meta_are_not_written_again():
    """Textual gives each segment's style its offset in the widget (for the mouse), never written: a bar
    whose filled part grows starts its empty part a cell further, and only the cells that look different
    go out."""
    terminal = Terminal()
    bar = Style(color="grey50")
    terminal.show(whole_screen([strip(("━━", BOLD), ("────────", bar + Style(meta={"offset": (2, 0)})))]))
    written = terminal.show(one_line(0, strip(("━━━", BOLD), ("───────", bar + Style(meta={"offset": (3, 0)})))))
    assert terminal.lines()[0] == "━━━───────"
    assert "─" not in written


def looks(screen: pyte.Screen, y: int) -> list[tuple[str, str, str, bool, bool, bool]]:
    """Each cell of a line as the terminal draws it: character, colours, bold, italic, reverse."""
    cells = (screen.buffer[y][x] for x in range(WIDTH))
    return [(cell.data, cell.fg, cell.bg, cell.bold, cell.italics, cell.reverse) for cell in cells]


RED_ON_BLUE, GREEN = Style(color="#ff0000", bgcolor="#0000ff"), Style(color="#00ff00")
STYLED_LINES = [
    strip(("ab", BOLD + RED_ON_BLUE), ("cd ", RED_ON_BLUE), ("ef", GREEN), (" gh", Style(italic=True, reverse=True))),
    strip(("xb", BOLD + RED_ON_BLUE), ("cd ", GREEN), ("ef", RED_ON_BLUE), (" gy", Style(italic=True))),
    strip(("xb", RED_ON_BLUE), ("cd ", GREEN), ("eZ", GREEN + BOLD), (" gy", Style())),
    strip(("12", Style()), ("cd ", BOLD), ("eZ", Style(bgcolor="#0000ff")), (" gy", RED_ON_BLUE)),
    strip(("34", GREEN), ("cd ", Style(bgcolor="#0000ff")), ("eW", GREEN), (" gy", Style())),  # colours unset
]


def test_the_short_escapes_leave_every_cell_with_its_colours_and_attributes():
    """Each change is written with escapes that say only what differs from the cell before: replayed, the
    terminal shows every cell as a full repaint of the line would, colours and attributes included."""
    terminal = Terminal()
    terminal.show(whole_screen([STYLED_LINES[0]]))
    for line in STYLED_LINES[1:]:
        terminal.show(one_line(0, line))
        reference = pyte.Screen(WIDTH, HEIGHT)
        pyte.Stream(reference).feed(line.render(CONSOLE))
        assert looks(terminal.screen, 0) == looks(reference, 0)


def test_the_lines_of_one_update_share_their_escapes_and_it_ends_with_a_reset():
    """A cursor move keeps the colours: the second of two lines drawn alike needs no escape of its own, a
    third drawn otherwise says only what changed, and nothing after the update takes its colours."""
    terminal = Terminal()
    terminal.show(whole_screen([strip(("-" * WIDTH, Style()))] * HEIGHT))
    lines = [strip(("a" * 4, GREEN)), strip(("b" * 4, GREEN)), strip(("c" * 2, RED_ON_BLUE), ("d" * 2, GREEN))]
    update = ChopsUpdate(
        [{0: line} for line in lines], [(y, 0, 4) for y in range(HEIGHT)], [[WIDTH] for _ in range(HEIGHT)]
    )
    written = terminal.show(update)
    assert "\x1b[2;1Hbbbb\x1b[3;1H" in written  # the second line: its cursor move and its text, no escape
    assert written.endswith("\x1b[0m")
    for y, line in enumerate(lines):
        reference = pyte.Screen(WIDTH, HEIGHT)
        pyte.Stream(reference).feed(line.render(CONSOLE))
        assert looks(terminal.screen, y)[:4] == looks(reference, 0)[:4]
    terminal.stream.feed("e")  # written after the update: the terminal's own colours
    assert looks(terminal.screen, HEIGHT - 1)[4][1:3] == ("default", "default")
