"""A log view that keeps up with a log growing by thousands of lines a second, and holds still to be read."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from textual.actions import SkipAction

from tf_tui.ui.paint.log_width import MeasuredLog


class FollowedLog(MeasuredLog):
    """Textual's `Log`, for a log read while it grows fast (checked: Textual 8.2.8):

    - Once full (`max_lines`), what is appended is shown. `Log.write_lines` refreshes the new lines at the
      places they would have had before the oldest lines were dropped, below the view, so a full log that
      follows its end stops moving on screen while its lines change underneath: the view froze as soon as
      the first read of a long log filled it.
    - Away from the end, the view holds still: what comes meanwhile is held (its newest `max_lines` lines)
      and shown once the view is back at the end (`end`, or the next lines coming while it is there).
      `Log` appended it at once, and at thousands of lines a second the oldest lines, those on screen,
      were dropped from under the reader within a second or two.
    - Page up, page down, home and end move at once. An animated end (a second long) lands where the end
      was when the key was pressed: behind a log that grew meanwhile, which then no longer follows.
    - Lines are measured as they come, held or not (`MeasuredLog`): `end` writes up to `max_lines` held
      lines at once, and measuring them all then slowed the paint that shows them.
    """

    def __init__(self, *, max_lines: int) -> None:
        super().__init__(max_lines=max_lines, auto_scroll=True)
        self.held: deque[str] = deque(maxlen=max_lines)  # come while the view was away from the end

    def append(self, lines: Sequence[str]) -> None:
        """Add `lines` at the end, the oldest beyond `max_lines` dropped; held while the view is away from
        the end."""
        self.measure(lines)
        if not self.is_vertical_scroll_end:
            self.held.extend(lines)
            return
        if self.held:
            lines = [*self.held, *lines]
            self.held.clear()
        kept = len(self.lines)
        added = sum(len(line.splitlines()) for line in lines)  # as `write_lines` splits them
        self.write_lines(lines)
        if kept + added > len(self.lines):  # lines were dropped: every line on screen is another now
            self.refresh()

    def action_page_up(self) -> None:
        self._scroll_at_once(self.scroll_y - self.scrollable_content_region.height)

    def action_page_down(self) -> None:
        self._scroll_at_once(self.scroll_y + self.scrollable_content_region.height)

    def action_scroll_home(self) -> None:
        self._scroll_at_once(0)

    def action_scroll_end(self) -> None:
        self._scroll_at_once(self.max_scroll_y)
        self.append([])  # what came while the view was away, and it follows again

    def _scroll_at_once(self, y: float) -> None:
        # `immediate`: Textual would scroll after the next refresh of the screen, which a view holding still
        # may not have for a second (scroll_to clamps y to the scrollable range).
        if not self.allow_vertical_scroll:
            raise SkipAction  # as Textual's own scroll actions do: the key goes on to the screen
        self.scroll_to(y=y, animate=False, immediate=True)
