"""The log view under a log that grows faster than it can be read a screen at a time: what the screen shows
(Textual's compositor, as drawn) while it follows, while it is read away from the end, and after `end`."""

from __future__ import annotations

import re

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.ui.screen import screen_text, until
from tf_tui.ui.paint.app import PaintedApp
from tf_tui.ui.widgets.followed_log import FollowedLog

MAX_LINES = 200
SIZE = (60, 20)


class OneLog(App[None]):
    def compose(self) -> ComposeResult:
        yield FollowedLog(max_lines=MAX_LINES)


class OneLogInTheDashboardsApp(PaintedApp):
    def compose(self) -> ComposeResult:
        yield FollowedLog(max_lines=MAX_LINES)


def numbered(first: int, count: int) -> list[str]:
    return [f"line {number:06}" for number in range(first, first + count)]


def numbers_on_screen(app: App[None]) -> list[int]:
    return [int(number) for number in re.findall(r"line (\d{6})", screen_text(app))]


async def full_and_a_page_up(app: App[None], pilot: Pilot[None]) -> FollowedLog:
    """The app's log full, its newest line shown, then a page up: away from the end."""
    log = app.query_one(FollowedLog)
    log.focus()
    log.append(numbered(0, MAX_LINES))
    await until(pilot, lambda: numbers_on_screen(app)[-1:] == [MAX_LINES - 1], "the newest line last")
    await pilot.press("pageup")
    await until(pilot, lambda: numbers_on_screen(app)[-1:] < [MAX_LINES - 1], "a page up")
    return log


async def test_a_full_log_that_follows_shows_each_newest_line() -> None:
    app = OneLog()
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(FollowedLog)
        written = 0
        for count in (MAX_LINES + 50, 30, 500, 7):  # full from the first write on, then more than it holds
            log.append(numbered(written, count))
            written += count
            newest = written - 1
            await until(pilot, lambda newest=newest: numbers_on_screen(app)[-1:] == [newest], f"line {newest} last")
        shown = numbers_on_screen(app)
        assert shown == list(range(shown[0], written))  # in order, none missing
        assert log.lines == numbered(written - MAX_LINES, MAX_LINES)


async def test_away_from_the_end_the_view_holds_still_and_end_shows_the_newest_lines_none_lost() -> None:
    app = OneLog()
    async with app.run_test(size=SIZE) as pilot:
        log = await full_and_a_page_up(app, pilot)
        read = numbers_on_screen(app)
        written = MAX_LINES
        while written < 3 * MAX_LINES + 40:  # more than twice what it holds, a read at a time
            log.append(numbered(written, 60))
            written += 60
            await pilot.pause()
            assert numbers_on_screen(app) == read
        await pilot.press("end")
        await until(pilot, lambda: numbers_on_screen(app)[-1:] == [written - 1], "the newest line last")
        assert log.lines == numbered(written - MAX_LINES, MAX_LINES)  # the newest MAX_LINES, every one
        log.append(numbered(written, 3))
        await until(pilot, lambda: numbers_on_screen(app)[-1:] == [written + 2], "it follows again")


async def test_end_writes_the_held_lines_at_their_width_without_measuring_them_again_in_a_thread() -> None:
    app = OneLogInTheDashboardsApp()
    async with app.run_test(size=SIZE) as pilot:
        log = await full_and_a_page_up(app, pilot)
        log.append(["wide " + "界" * 40, "a\ttab", "x" * 70])  # held: 85 cells (two a character), 9, 70
        log.action_scroll_end()
        # At once, before the app's loop turns again: Textual's thread would tell the width only then.
        assert log.virtual_size.width == 85
        assert len(app.workers) == 0
        await until(pilot, lambda: "x" * 40 in screen_text(app), "the held lines")
