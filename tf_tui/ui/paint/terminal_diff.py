"""Only the cells that changed go to the terminal.

Textual repaints a widget's whole line when anything in the widget changes: a row whose step went from
370 to 371 is written again in full, some 600 bytes of text and colour escapes for a 3-cell change, and
a recomposed footer is written again as it was. Over SSH, for days, those bytes are the cost the user
pays. `ScreenCopy` keeps what the terminal shows, cell by cell, and turns each of Textual's updates into
writes of the cells that differ from it, in runs; unchanged cells are not sent at all.

The copy is only as good as its knowledge of the terminal: it is forgotten when the terminal's size
changes and when the app comes back from a suspend, after which Textual repaints everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from rich.cells import get_character_cell_size
from rich.color import ColorSystem
from rich.console import COLOR_SYSTEMS, Console, RenderableType
from rich.control import Control
from rich.segment import Segment
from rich.style import Style

# Private: textual._compositor's CompositorUpdate, ChopsUpdate and LayoutUpdate, the updates that
# textual.app.App._display writes to the terminal (checked: Textual 8.2.0 and 8.2.8; see reaches).
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.geometry import Size
from textual.strip import Strip

# Unchanged cells between two changed runs are sent again rather than moving the cursor over them when
# the gap is this short: a new write costs a move (~8 bytes) and mostly an escape back to the look its
# first cell has, a gap of ASCII cells a byte each plus an escape where the look changes (`pen_change`).
# Measured with bench/render_profile.py at 100 runs: 4, 8 and 20 all wrote more than 12.
JOIN_GAP = 12
RESET = "\x1b[0m"
NO_STYLE = Style.null()  # what the terminal draws with after a reset

# How a cell looks on the terminal: its style without Textual's meta (the widget offsets it gives every
# segment, for the mouse), which is never written. A bar that grows by a cell starts its next segment one
# cell further: comparing whole styles, every cell of that segment differed, and ~40 cells went out again.
Look = tuple[Style, str | None] | None  # the style without meta and links, and the link's address
Cell = tuple[str, Look]
WIDE_TAIL = ""  # the second cell of a double-width character


def look(style: Style | None) -> Look:
    return None if style is None else (style.clear_meta_and_links(), style.link)


def cells(strip: Strip) -> list[Cell]:
    """A strip as one (text, style) per terminal cell."""
    row: list[Cell] = []
    for text, style, control in strip:
        if control:
            continue
        shown = look(style)
        if text.isascii():
            row.extend((character, shown) for character in text)
            continue
        for character in text:
            width = get_character_cell_size(character)
            if width == 0 and row:  # a combining mark belongs to the cell before it
                row[-1] = (row[-1][0] + character, row[-1][1])
            elif width:
                row.append((character, shown))
                if width == 2:
                    row.append((WIDE_TAIL, shown))
    return row


def render_run(strip: Strip, color_system: ColorSystem, pen: Style) -> tuple[str, Style]:
    """A run of cells as terminal sequences, drawn from `pen` (what the terminal draws with when the run
    starts), and the pen after it. One escape per change of look, saying only what changed (the colour,
    when only the colour does), where Rich's rendering writes each segment's full style and a reset: a
    row update is mostly its escapes, a true-colour foreground and background is 32 bytes for a digit of 1."""
    if any(style is not None and style.link for _, style, _ in strip):
        # Rich's own rendering: each styled segment in full, ending in a reset; an unstyled one as it is.
        written = "".join(Strip.render_style(style, text, color_system) if style else text for text, style, _ in strip)
        return (RESET if pen != NO_STYLE else "") + written, NO_STYLE
    sequences: list[str] = []
    for text, style, control in strip:
        if control or not text:
            continue
        wanted = NO_STYLE if style is None else style.clear_meta_and_links()
        if wanted != pen:
            sequences.append(pen_change(pen, wanted, color_system))
            pen = wanted
        sequences.append(text)
    return "".join(sequences), pen


def pen_change(pen: Style, wanted: Style, color_system: ColorSystem) -> str:
    """The escape from drawing with `pen` to drawing with `wanted`: only the colours when the attributes
    (bold, dim, ...) are the same, else a reset and the whole style."""
    if attributes(pen) != attributes(wanted):
        codes = Strip.render_ansi(wanted, color_system)
        return f"\x1b[0;{codes}m" if codes else RESET
    changes: list[str] = []
    if pen.color != wanted.color:
        changes += wanted.color.downgrade(color_system).get_ansi_codes() if wanted.color else ["39"]
    if pen.bgcolor != wanted.bgcolor:
        changes += wanted.bgcolor.downgrade(color_system).get_ansi_codes(False) if wanted.bgcolor else ["49"]
    return f"\x1b[{';'.join(changes)}m" if changes else ""


ATTRIBUTES: tuple[str, ...] = ("bold", "dim", "italic", "underline", "blink", "blink2", "reverse", "conceal")
ATTRIBUTES += ("strike", "underline2", "frame", "encircle", "overline")


@lru_cache(maxsize=1024)
def attributes(style: Style) -> tuple[bool, ...]:
    """The attributes a style turns on (one set to False is off, as one not set)."""
    return tuple(bool(getattr(style, name)) for name in ATTRIBUTES)


def changed_runs(old: list[Cell | None], new: list[Cell], offset: int) -> Iterator[tuple[int, int]]:
    """The [start, end) column ranges, relative to `new`, where `new` (at column `offset`) differs from `old`."""
    start = last = -1
    for index, cell in enumerate(new):
        column = offset + index
        if column < len(old) and old[column] == cell:
            continue
        if start >= 0 and index - last - 1 > JOIN_GAP:
            yield _whole_characters(new, start, last + 1)
            start = -1
        if start < 0:
            start = index
        last = index
    if start >= 0:
        yield _whole_characters(new, start, last + 1)


def _whole_characters(row: list[Cell], start: int, end: int) -> tuple[int, int]:
    """Never half a double-width character at either end."""
    if row[start][0] == WIDE_TAIL and start > 0:
        start -= 1
    if end < len(row) and row[end][0] == WIDE_TAIL:
        end += 1
    return start, end


class ScreenCopy:
    """What the terminal shows, by line and column; None where it is not known."""

    def __init__(self) -> None:
        self._lines: dict[int, list[Cell | None]] = {}
        self._size: Size | None = None

    def forget(self) -> None:
        self._lines.clear()

    def narrow(self, update: RenderableType | None, size: Size) -> RenderableType | None:
        """Textual's update as writes of changed cells only. Other kinds of screen update go out as they are,
        and the copy is forgotten; anything else Textual writes (no screen update) goes out as it is."""
        if not isinstance(update, CompositorUpdate):
            return update
        if size != self._size:  # after a resize the terminal may have moved or dropped anything
            self.forget()
            self._size = size
        if isinstance(update, ChopsUpdate):
            return ChangedCells(self, list(_chops_pieces(update)))
        if isinstance(update, LayoutUpdate):
            # Mirrors textual._compositor.LayoutUpdate.render_segments: each line of strips from the region's
            # left edge, one line down each time (checked: Textual 8.2.0 and 8.2.8).
            x, y = update.region.x, update.region.y
            return ChangedCells(self, [(y + index, x, Strip.join(line)) for index, line in enumerate(update.strips)])
        self.forget()
        return update

    def write(self, y: int, x: int, strip: Strip) -> Iterator[tuple[int, Strip]]:
        """Record that `strip` is now at (x, y); yield the (column, strip) pieces that change the terminal."""
        new = cells(strip)
        line = self._lines.setdefault(y, [])
        for start, end in changed_runs(line, new, x):
            yield x + start, Strip(Segment.simplify(strip.crop(start, end)))
        if len(line) < x + len(new):
            line.extend([None] * (x + len(new) - len(line)))
        line[x : x + len(new)] = new


def _chops_pieces(update: ChopsUpdate) -> Iterator[tuple[int, int, Strip]]:
    """What `ChopsUpdate.render_segments` would write, as (y, x, strip): the same crop of the same chops."""
    # Mirrors textual._compositor.ChopsUpdate.render_segments (checked: Textual 8.2.0 and 8.2.8).
    for y, x1, x2 in update.spans:
        for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            yield y, x, strip if (x2 > x >= x1 and end <= x2) else strip.crop(0, min(end, x2) - x)


class ChangedCells(CompositorUpdate):
    """An update that writes only what differs from the screen copy, worked out when it is written."""

    def __init__(self, screen: ScreenCopy, pieces: list[tuple[int, int, Strip]]) -> None:
        self._screen = screen
        self._pieces = pieces

    def render_segments(self, console: Console) -> str:
        # Overrides textual._compositor.CompositorUpdate.render_segments, through which Textual writes an update
        # (checked: Textual 8.2.0 and 8.2.8). The colour system as textual.strip.Strip.render reads it (from
        # the private rich.console.Console._color_system), here through Rich's public names.
        color_system = COLOR_SYSTEMS.get(console.color_system or "", ColorSystem.TRUECOLOR)
        sequences: list[str] = []
        # A cursor move keeps the colours and attributes: a run drawn as the one before ended needs no
        # escape at all (a chart's lines, a page of rows). The update ends with a reset, so that nothing
        # written after it (by Textual, or to the shell once tf-tui exits) takes its colours.
        pen = NO_STYLE
        for y, x, strip in self._pieces:
            for column, changed in self._screen.write(y, x, strip):
                sequences.append(Control.move_to(column, y).segment.text)
                written, pen = render_run(changed, color_system, pen)
                sequences.append(written)
        if pen != NO_STYLE:
            sequences.append(RESET)
        return "".join(sequences)
