"""The mouse: a click on a run's row selects it, a click on a key in the footer does what the key does,
and the wheel scrolls the runs list, the detail pane and the run's log."""

from __future__ import annotations

from textual.widgets import Input, Log
from textual.widgets._footer import FooterKey

from tests.ui.screen import row_on_screen, shown_in, until, until_shown, wheel
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.store import Source
from tf_tui.ui.demo import NOW, demo_app
from tf_tui.ui.screens.help import HelpScreen
from tf_tui.ui.screens.run_log import RunLogScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.runs_list import RunsList

SIZE = (80, 24)
COMPLETED = "8c41d2aa-0e9f-4b3c-8d7e-6f5a4b3c2d1e"  # the demo's third run


async def test_a_click_on_a_row_selects_its_run_and_a_click_on_the_column_names_does_nothing(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        await until(pilot, lambda: row_on_screen(app, COMPLETED) != "", "the rows")
        selected = runs.selected_id
        await pilot.click(RunsList, offset=(3, 0))  # the column names
        assert runs.selected_id == selected
        region = runs.row_region(COMPLETED)
        assert region is not None and selected != COMPLETED
        await pilot.click(offset=(region.x + 12, region.y))
        await until(pilot, lambda: runs.selected_id == COMPLETED, "the clicked run selected")
        await until(pilot, lambda: COMPLETED in shown_in(app, app.query_one(DetailPane)), "and in the detail pane")
        await pilot.press("j")  # the keys go on from the clicked row
        await until(pilot, lambda: (runs.selected_id or "").startswith("b7e90f13"), "the run below it")


async def test_a_click_on_a_footer_key_does_what_the_key_does(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: any(key.action == "filter" for key in app.screen.query(FooterKey)), "the footer")
        (slash,) = [key for key in app.screen.query(FooterKey) if key.action == "filter"]
        await pilot.click(slash)
        await until(pilot, lambda: app.query_one("#filter", Input).has_focus, "the filter opened")
        await pilot.press("escape")
        (keys,) = [key for key in app.screen.query(FooterKey) if key.action == "help"]
        await pilot.click(keys)
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")


async def test_the_wheel_scrolls_the_runs_list_without_moving_the_selection(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        for number in range(40):  # more runs than the list has lines for
            app.session.store.apply(RunUpdate(f"{number:08d}-extra", "completed", 100), Source.POLL, NOW)
        app._schedule_flush()
        newest = "00000039-extra"
        await until(pilot, lambda: row_on_screen(app, newest) != "", "the newest run on top")
        runs.select(newest)
        await wheel(pilot, runs, times=3)
        await until(pilot, lambda: row_on_screen(app, newest) == "", "scrolled past the top row")
        assert runs.scroll_y > 0 and runs.selected_id == newest
        await wheel(pilot, runs, down=False, times=3)
        await until(pilot, lambda: row_on_screen(app, newest) != "", "scrolled back")


async def test_the_wheel_scrolls_the_detail_pane(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        detail = app.query_one(DetailPane)
        await until(pilot, lambda: detail.max_scroll_y > 0, "more of the run than the pane shows")
        await wheel(pilot, detail, times=2)
        await until(pilot, lambda: detail.scroll_y > 0, "the pane scrolled")


async def test_the_wheel_scrolls_the_runs_log(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 12)) as pilot:  # fewer lines than the demo run's log has
        await until(pilot, lambda: app.query_one(RunsList).selected_id is not None, "a run selected")
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, RunLogScreen), "the run's log")
        log = app.screen.query_one(Log)
        await until(pilot, lambda: log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y, "followed to its end")
        await wheel(pilot, log, down=False, times=2)
        await until(pilot, lambda: log.scroll_y < log.max_scroll_y, "the log scrolled back")
        await until_shown(pilot, "Log of")
