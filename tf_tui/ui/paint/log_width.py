"""A `Log` whose lines are measured as they come, in the app's own thread, instead of in a thread of Textual's
on every write."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.geometry import Size
from textual.widgets import Log

from tf_tui.ui.paint.app import PaintedApp
from tf_tui.ui.paint.reaches import Feature


def line_width(line: str) -> int:
    """The cells `line` takes in a `Log` (its widest piece, as `Log.write_lines` splits it)."""
    expanded = line.expandtabs()
    if expanded.isascii() and expanded.isprintable():  # most log lines: one cell a character, one piece
        return len(expanded)
    # As textual.widgets._log.Log._update_size measures a line (checked: Textual 8.2.8).
    return max((cell_len(Log._process_line(piece)) for piece in line.splitlines()), default=0)


class MeasuredLog(Log):
    """`Log`, whose owner has it `measure` its lines as they come, before they are written (at once or later),
    while `reaches` finds, at start, what this overrides (`Feature.LOG_WIDTHS`); else Textual measures them.

    `Log.write_lines` starts a thread that measures every new line again. Lines held back and written at once
    (thousands, when a followed log's view comes back to its end) are measured there while the app paints
    them, and the two take turns at the interpreter lock, 5 ms at a time: the paint waited for it.
    """

    def __init__(self, *, max_lines: int, auto_scroll: bool) -> None:
        super().__init__(max_lines=max_lines, auto_scroll=auto_scroll)
        self.widest = 0  # of the lines measured

    def measure(self, lines: Iterable[str]) -> None:
        """Take in the width of `lines`, to be written now or later."""
        if self._measures:
            self.widest = max(self.widest, max(map(line_width, lines), default=0))

    @property
    def _measures(self) -> bool:
        app = self.app
        return isinstance(app, PaintedApp) and Feature.LOG_WIDTHS in app.paint_features

    def clear(self) -> MeasuredLog:
        super().clear()
        self.widest = 0
        return self

    # The Worker it returns when Textual's runs is never read (`write_lines` drops it): none here.
    def _update_size(self, updates: int, lines: list[str]) -> None:  # type: ignore[override]
        # Overrides textual.widgets._log.Log._update_size (checked: Textual 8.2.8), the thread
        # worker `write_lines` calls with the new lines, which measures them and, back in the app's thread,
        # widens `Log._width` and the virtual size (Log._update_maximum_width).
        if not self._measures:
            super()._update_size(updates, lines)
            return
        self._width = max(self._width, self.widest)
        self.virtual_size = Size(self._width, self.line_count)
