"""A run's own log (what its trainer wrote, on the server), followed live while the run goes, searchable.

The log is read every second while this screen is shown and the run goes, and no more once the backend
says it is complete. Its text is the trainer's, untrusted: the lines come cleaned of escape sequences and
control characters (`LogReader`), and `Log` shows text as it is, with no markup.
"""

from __future__ import annotations

import asyncio
import re

from rich.highlighter import Highlighter
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tf_tui.base.capabilities import Extension
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, NotFound, RouteMissing
from tf_tui.core.format import short_id
from tf_tui.core.log_reader import POLL_S, LogReader
from tf_tui.core.session import Session
from tf_tui.core.store import RunState
from tf_tui.ui.widgets.followed_log import FollowedLog
from tf_tui.ui.widgets.footer import LeakFreeFooter

MAX_LINES = 10_000  # kept on screen: the oldest go first
TAIL_BYTES = 1024 * 1024  # a longer log is shown from this far before its end; `tf-tui logs` prints it whole
MATCH_STYLE = "reverse"  # seen without colour too


class MatchHighlighter(Highlighter):
    """Marks every match of the search, case aside."""

    def __init__(self) -> None:
        self.pattern: re.Pattern[str] | None = None

    def highlight(self, text: Text) -> None:
        if self.pattern is not None:
            text.highlight_regex(self.pattern, MATCH_STYLE)


class RunLogScreen(ModalScreen[None]):
    """One run's log, the newest line last, followed while the run goes; `/` searches, n and N move
    between the matches."""

    DEFAULT_CSS = """
    /* Opaque: its widgets cover every cell, and a translucent screen makes Textual draw the dashboard
       beneath it again on every repaint. */
    RunLogScreen { background: $background; overflow: hidden; }
    RunLogScreen > Static { height: 1; background: $panel; padding: 0 1; }
    RunLogScreen > FollowedLog { height: 1fr; border: round $primary; }
    RunLogScreen > Input { height: 3; }
    """
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        Binding("slash", "search", "Search", id="search"),
        Binding("n", "match(1)", "Next match", show=False, id="next_match"),
        Binding("N", "match(-1)", "Previous match", show=False, id="previous_match"),
        Binding("escape,o,q", "close", "Close", id="close"),
    ]

    def __init__(self, session: Session, run: RunState, where: str = "") -> None:
        """`where`: the backend's name, when several are followed."""
        super().__init__()
        self._reader = LogReader(session.api, run.train_id, session.capabilities, tail_bytes=TAIL_BYTES)
        self._session = session
        model = f" ({printable(run.base_model, 20)})" if run.base_model else ""
        backend = f" on {printable(where, 20)}" if where else ""
        self._run_name = f"run {short_id(run.train_id)}{model}{backend}"
        self._state = "reading…"
        self._matches = ""
        self._shown = asyncio.Event()  # read only while the screen is shown
        self._highlighter = MatchHighlighter()
        self._log = FollowedLog(max_lines=MAX_LINES)
        self._search = Input(placeholder="search the log (enter: to the log, then n and N; escape: close)")
        self._match_line: int | None = None
        self._title = ""

    def compose(self) -> ComposeResult:
        yield Static(id="run-log-title")
        yield self._log
        yield self._search
        yield LeakFreeFooter()

    def on_mount(self) -> None:
        self._log.highlighter = self._highlighter
        self._search.display = False
        self._show_title()
        self._follow()

    def on_screen_resume(self, _: events.ScreenResume) -> None:
        self._shown.set()

    def on_screen_suspend(self, _: events.ScreenSuspend) -> None:
        self._shown.clear()

    @work(exclusive=True, group="run-log", exit_on_error=False)
    async def _follow(self) -> None:
        while True:
            await self._shown.wait()
            try:
                lines = await self._reader.read()
            except RouteMissing:
                self._say(self._session.capabilities.missing(Extension.LOGS) or "this backend has no log route")
                return
            except NotFound:
                self._say("the server does not know this run")
                return
            except ApiError as error:  # the network: said, and tried again
                self._say(f"{error}; trying again every {POLL_S:g} s")
                lines = []
            else:
                self._say(self._progress())
            self._log.append(lines)  # even none: what was held while the view was away goes on at its end
            if lines:
                self._update_matches()
            if self._reader.complete:
                return
            if not self._reader.more:
                await asyncio.sleep(POLL_S)

    def _progress(self) -> str:
        skipped = f"; its first {self._reader.skipped:,} bytes not shown" if self._reader.skipped else ""
        if self._reader.complete:
            return f"complete (the run ended){skipped}"
        return f"following, read every {POLL_S:g} s{skipped}"

    def _say(self, state: str) -> None:
        self._state = state
        self._show_title()

    def _show_title(self) -> None:
        title = f"Log of {self._run_name} · {self._state}"
        if self._matches:
            title += f" · {self._matches}"
        if title != self._title:  # the same after almost every read: each update costs a repaint of the screen
            self._title = title
            # One line whatever it says: no layout of the screen for it.
            self.query_one("#run-log-title", Static).update(
                Text(title, no_wrap=True, overflow="ellipsis"), layout=False
            )

    # --- search ---------------------------------------------------------------------------------

    def action_search(self) -> None:
        self._search.display = True
        self._search.focus()

    @on(Input.Changed)
    def _search_changed(self, event: Input.Changed) -> None:
        term = event.value.strip()
        self._highlighter.pattern = re.compile(re.escape(term), re.IGNORECASE) if term else None
        self._log.highlight = bool(term)
        self._log.notify_style_update()  # its cached lines are drawn again, with the matches marked
        self._log.refresh()
        self._match_line = None
        self._go_to_match(-1)  # the newest match first: a log is read from its end

    @on(Input.Submitted)
    def _search_kept(self) -> None:
        self._log.focus()

    def action_match(self, direction: int) -> None:
        self._go_to_match(direction)

    def _matching_lines(self) -> list[int]:
        pattern = self._highlighter.pattern
        return [] if pattern is None else [y for y, line in enumerate(self._log.lines) if pattern.search(line)]

    def _go_to_match(self, direction: int) -> None:
        """To the next match below (1) or above (-1) the current one, round the end; the last one at first."""
        matches = self._matching_lines()
        if matches:
            if self._match_line is None:
                target = matches[-1]
            elif direction > 0:
                target = next((y for y in matches if y > self._match_line), matches[0])
            else:
                target = next((y for y in reversed(matches) if y < self._match_line), matches[-1])
            self._match_line = target
            # At once: a scroll left for after the next refresh could follow a read that dropped lines, and
            # land on another line than the match; once away from the end, the view holds still.
            y = max(0, target - self._log.scrollable_content_region.height // 2)
            self._log.scroll_to(y=y, animate=False, immediate=True)
        self._update_matches(matches)

    def _update_matches(self, matches: list[int] | None = None) -> None:
        """`matches`: the matching lines when just found (a scan of 10,000 lines is worth doing once a key)."""
        pattern = self._highlighter.pattern
        if pattern is None:
            self._matches = ""
        else:
            matches = self._matching_lines() if matches is None else matches
            term = printable(self._search.value.strip(), 30)
            if not matches:
                self._matches = f"no line matches {term!r}"
            elif self._match_line in matches:
                self._matches = f"match {matches.index(self._match_line) + 1} of {len(matches)}"
            else:
                self._matches = f"{len(matches)} lines match {term!r}"
        self._show_title()

    def action_close(self) -> None:
        if self._search.has_focus:  # escape leaves the search first, its marks kept
            self._search.display = False
            self._log.focus()
            return
        self.dismiss(None)
