"""Ten thousand runs: the list opens, the cursor and the filter work, and only the rows in view are drawn:
no widget per run, and a key repaints no more rows than the list shows."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Input

from tests.ui.screen import count_row_paints, row_on_screen, screen_text, shown_in, until, until_shown
from tf_tui.base.protocol import RunUpdate, parse_status
from tf_tui.core.store import RunState, Source
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import NOW, demo_app
from tf_tui.ui.long_lived import FREEZE_AFTER_RUNS
from tf_tui.ui.paint.reaches import Feature
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.run_row import RunRow
from tf_tui.ui.widgets.runs_list import RunsList

RUNS = 10_000
SIZE = (100, 30)


def run_id(number: int) -> str:
    return f"{number:08d}-many"


def add_runs(app: TfTuiApp, count: int) -> None:
    """`count` ended runs, the higher the number the newer (all older than the demo's but the newest few),
    each of one of three models."""
    store = app.session.store
    for number in range(count):
        train_id = run_id(number)
        created = datetime.fromtimestamp(NOW - 10 * count + 10 * number, UTC).isoformat()
        store.describe(train_id, base_model=("tiny", "small", "base")[number % 3], created_at=created)
        store.apply(RunUpdate(train_id, "completed", number % 101), Source.POLL, NOW)


async def with_400_more_runs(app: TfTuiApp, pilot: Pilot[None]) -> RunsList:
    """The demo's runs on screen, then 400 more listed: the runs list."""
    runs = app.query_one(RunsList)
    await until(pilot, lambda: runs.selected_id is not None, "the demo's runs")
    add_runs(app, 400)
    app._schedule_flush()
    await until(pilot, lambda: len(runs.shown) == 404, "the runs listed")
    return runs


def widgets(app: TfTuiApp) -> int:
    return len(list(app.screen.walk_children()))


def rows_in_view(app: TfTuiApp) -> int:
    runs = app.query_one(RunsList)
    return runs.scrollable_content_region.height - 1  # under the column names


async def test_ten_thousand_runs_open_scroll_and_filter_drawing_only_the_rows_in_view(tmp_path, monkeypatch):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        await until(pilot, lambda: runs.selected_id is not None, "the demo's runs")

        add_runs(app, RUNS)
        app._schedule_flush()
        newest = run_id(RUNS - 1)
        await until_shown(pilot, newest[:8])
        assert not runs.children and widgets(app) < 100  # no widget per run: the screen's few, whatever the runs

        painted = count_row_paints(monkeypatch)
        await until(pilot, lambda: runs.has_focus, "the list has the keys")
        await pilot.wait_for_scheduled_animations()
        painted.clear()
        await pilot.press("end")  # the oldest run, at the bottom
        await until(pilot, lambda: runs.selected_id == run_id(0), "the last run selected")
        await until(pilot, lambda: row_on_screen(app, run_id(0)) != "", "and in view")
        assert sum(painted.values()) <= 3 * rows_in_view(app), painted

        await pilot.press("home", "j", "j")
        await until(pilot, lambda: runs.selected_id == run_id(RUNS - 3), "two down from the newest")
        painted.clear()
        await pilot.press("pagedown")
        page = rows_in_view(app) - 1
        await until(pilot, lambda: runs.selected_id == run_id(RUNS - 3 - page), "a page further")
        assert row_on_screen(app, run_id(RUNS - 3 - page))
        assert sum(painted.values()) <= 3 * rows_in_view(app), painted
        await pilot.press("k", "pageup")
        await until(pilot, lambda: runs.selected_id == run_id(RUNS - 2), "a row up and a page back")

        painted.clear()
        in_view = rows_in_view(app)
        await pilot.press("slash", *"00000123")  # a character at a time: all but the demo's, ..., 10, 1
        await until(pilot, lambda: len(runs.shown) == 1, "one run left")
        assert row_on_screen(app, run_id(123))
        assert sum(painted.values()) <= 3 * len("00000123") * in_view, painted
        await pilot.press("escape")
        await until(pilot, lambda: len(runs.shown) == RUNS + 4, "every run again")

        await pilot.press("greater_than_sign", "greater_than_sign")  # by progress: the 100 % first
        await until(pilot, lambda: screen_text(app).splitlines()[runs.region.y].startswith("↓progress"), "sorted")
        # The filter moved the selection to the one run it let through: it stays there, in view.
        await until(pilot, lambda: row_on_screen(app, run_id(123)) != "", "the selected run kept in view")
        assert runs.selected_id == run_id(123)
        await pilot.press("g", "home")  # by status: the run training, the one queued, then every completed one
        await until_shown(pilot, "─ training (1)")
        await pilot.press("j", "j")
        await until_shown(pilot, f"─ completed ({RUNS + 1})")


@pytest.mark.parametrize("count", [4, 400])
async def test_the_list_says_which_runs_are_in_view_when_that_changes(tmp_path, count):
    """What the app wires to the sessions, so that the statuses of the runs in view are read first."""
    app = demo_app(tmp_path)
    said: list[list[tuple[str | None, str]]] = []
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        told = runs.on_view  # the app's: it still is told

        def on_view(keys: list[tuple[str | None, str]]) -> None:
            said.append(keys)
            told(keys)

        runs.on_view = on_view
        add_runs(app, count)
        app._schedule_flush()
        await until(pilot, lambda: len(runs.shown) == count + 4, "the runs listed")
        await until(pilot, lambda: bool(said) and len(said[-1]) == min(count + 4, rows_in_view(app)), "said")
        assert said[-1][0] == (None, run_id(count - 1))  # the newest
        await pilot.press("end")
        await until(pilot, lambda: said[-1][-1] == runs.shown[-1], "the last ones")
        await pilot.press("slash", *"00000001")
        await until(pilot, lambda: [key[1] for key in said[-1]] == [run_id(1)], "the filtered one")


async def test_the_selected_row_stays_in_view_while_reads_move_the_rows_above_it(tmp_path):
    """Rows above the selected one that drop below it (here: the dates a listing gives them are older than
    those they had) leave the selected row where it was on the screen, so the cursor a key just moved is
    still in view when the next changes land (the bench saw keys whose paint never showed)."""
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        await until(pilot, lambda: runs.selected_id is not None, "the demo's runs")
        store = app.session.store
        recent = [f"{number:08d}-recent" for number in range(400)]
        for number, train_id in enumerate(recent):  # newer than the demo's runs, the higher the number the newer
            created = datetime.fromtimestamp(NOW + 30 * 86_400 + number, UTC).isoformat()
            store.apply(RunUpdate(train_id, "completed", 100, created_at=created), Source.POLL, NOW)
        app._schedule_flush()
        await until(pilot, lambda: len(runs.shown) == len(recent) + 4, "the runs listed")
        await until(pilot, lambda: runs.has_focus, "the list has the keys")
        await pilot.press("pagedown", "pagedown", "pagedown", "j")
        selected = runs.selected_id
        assert selected is not None and runs.scroll_y > 0
        await until(pilot, lambda: selected[:8] in row_on_screen(app, selected), "the selected row painted")
        line = runs.row_region(selected)
        top, place = int(runs.scroll_y), runs.shown.index((None, selected))
        assert place - top < top  # more rows move than it has above it on the screen: left, it would leave

        long_ago = datetime.fromtimestamp(NOW - 10 * 86_400, UTC).isoformat()
        for _, train_id in runs.shown[:top]:  # dated long ago: they go below every other run
            store.describe(train_id, created_at=long_ago)
        app._schedule_flush()
        await until(pilot, lambda: runs.shown.index((None, selected)) == place - top, "the rows above it moved")
        await until(pilot, lambda: selected[:8] in row_on_screen(app, selected), "the selected row in view")
        assert runs.row_region(selected) == line  # where it was


async def test_runs_not_read_yet_sort_below_the_dated_ones_and_stay_where_they_are_once_read(tmp_path):
    """A listing names runs without dates, oldest first, and their reads give them one, the rows in view
    first: the runs not read yet show below the dated ones, newest first by the listing, and a read leaves
    its row where it was, so the rows in view stop changing once read. Sorted as the newest, each run read
    dropped below the rest and brought another into view, read next: reads cascaded through the listing."""
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        await until(pilot, lambda: runs.selected_id is not None, "the demo's runs")
        demo = [train_id for _, train_id in runs.shown]
        store = app.session.store
        listed = [run_id(number) for number in range(400)]  # as the listing names them: oldest first
        for train_id in listed:
            store.await_read(train_id)
        app._schedule_flush()
        await until(pilot, lambda: len(runs.shown) == len(listed) + len(demo), "the runs listed")
        in_view = [train_id for _, train_id in runs.shown[: rows_in_view(app)]]
        assert in_view == [*demo, *listed[::-1][: len(in_view) - len(demo)]]

        for number, train_id in enumerate(listed):  # started a month before the demo's, in the listed order
            if train_id in in_view:
                started = datetime.fromtimestamp(NOW - 30 * 86_400 + number, UTC).isoformat()
                read = parse_status(train_id, {"status": "completed", "progress": 100, "started_at": started})
                assert isinstance(read, RunUpdate)
                store.apply(read, Source.POLL, NOW)
        app._schedule_flush()
        await until(pilot, lambda: not app._flush_pending, "the reads shown")
        assert [train_id for _, train_id in runs.shown[: rows_in_view(app)]] == in_view
        newest_read = in_view[len(demo)]
        await until(pilot, lambda: "completed" in row_on_screen(app, newest_read), "its read painted in its place")


@pytest.mark.parametrize("reach", [True, False], ids=["reach there", "reach missing"])
async def test_a_filter_character_lays_the_screen_out_only_when_the_list_changes_height(tmp_path, monkeypatch, reach):
    """A list longer than its room before and after a filter character keeps its height: it asks no layout
    of the whole screen (a frame's work at each character over thousands of runs), yet its scrollbar
    follows the lines' count. A filter that leaves a few rows still shrinks the list. Without the private
    method this takes (a Textual that renamed it), each character lays the screen out, and all else holds."""
    app = demo_app(tmp_path)
    if not reach:
        app.paint_features -= {Feature.QUIET_SCROLL_LENGTH}
    layouts: list[bool] = []
    refresh = RunsList.refresh

    def refreshed(runs: RunsList, *regions: Region, **kwargs: Any) -> RunsList:
        layouts.append(bool(kwargs.get("layout")))
        return refresh(runs, *regions, **kwargs)

    async with app.run_test(size=SIZE) as pilot:
        runs = await with_400_more_runs(app, pilot)
        await pilot.press("slash")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "filter", "the filter typed in")
        room = runs.region.height
        monkeypatch.setattr(RunsList, "refresh", refreshed)
        await pilot.press("9")
        await until(pilot, lambda: len(runs.shown) < 404, "the runs with a 9")
        narrowed = len(runs.shown)
        assert narrowed > room and all("9" in train_id for _, train_id in runs.shown)
        await until(pilot, lambda: runs.vertical_scrollbar.window_virtual_size == narrowed + 1, "the scrollbar")
        await pilot.press("backspace")
        await until(pilot, lambda: len(runs.shown) == 404, "every run again")
        await until(pilot, lambda: runs.vertical_scrollbar.window_virtual_size == 405, "the scrollbar again")
        assert layouts and any(layouts) is not reach
        assert runs.region.height == room

        await pilot.press(*"00000123")
        await until(pilot, lambda: len(runs.shown) == 1, "one run left")
        await until(pilot, lambda: runs.region.height == 2, "the list down to the column names and the run")
        assert any(layouts)


async def test_a_filter_character_filters_the_list_as_the_field_takes_it_and_lays_out_no_screen(tmp_path):
    """The list follows the field's value in the same turn, so the frame that shows the character shows the
    list filtered (from the field's `Changed` message it came a frame later, 17 to 33 ms); and the field's
    text, which moves nothing on the screen, asks for no layout of it (Textual's Input laid the screen out
    at each character, its virtual width being its text's length)."""
    app = demo_app(tmp_path)
    layouts: list[object] = []
    async with app.run_test(size=SIZE) as pilot:
        runs = await with_400_more_runs(app, pilot)
        selected, character = run_id(9), "9"  # the selected run stays, and the pane with it
        runs.select(selected)
        await until(pilot, lambda: selected in shown_in(app, app.query_one(DetailPane)), "the run in the pane")
        await pilot.press("slash")
        field = app.query_one("#filter", Input)
        await until(pilot, lambda: field.has_focus and field.region.height > 0, "the filter typed in")
        await pilot.wait_for_scheduled_animations()
        app.screen.screen_layout_refresh_signal.subscribe(app.screen, layouts.append, immediate=True)

        field.insert_text_at_cursor(character)
        assert 0 < len(runs.shown) < 404 and all(character in train_id for _, train_id in runs.shown)
        await pilot.pause()  # the messages the character made handled, and a frame drawn
        assert character in shown_in(app, field)
        field.action_delete_left()
        assert len(runs.shown) == 404
        await pilot.pause()
        assert character not in shown_in(app, field)
        assert runs.selected_id == selected
        assert layouts == []


async def test_a_key_paints_the_cursors_move_before_the_detail_pane_follows(tmp_path, monkeypatch):
    """The detail pane shows the run the cursor moved to once the screen has shown the move: in the key's
    own frame, the pane's new run (a part whose height changes lays the whole screen out) held the move up."""
    events: list[tuple[str, str]] = []
    render_line, show = RunsList.render_line, DetailPane.show

    def rendered(runs: RunsList, y: int) -> Strip:
        key = runs.key_at(y)
        if key is not None and key == runs.selected:
            events.append(("list", key[1]))
        return render_line(runs, y)

    def shown(pane: DetailPane, run: RunState | None) -> None:
        if run is not None:
            events.append(("pane", run.train_id))
        show(pane, run)

    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        await until(pilot, lambda: runs.selected_id is not None, "the demo's runs")
        await until(pilot, lambda: runs.has_focus, "the list has the keys")
        monkeypatch.setattr(RunsList, "render_line", rendered)
        monkeypatch.setattr(DetailPane, "show", shown)
        for _ in range(2):
            below = runs.shown[runs.shown.index(runs.selected) + 1][1]  # type: ignore[arg-type]
            await pilot.press("j")
            await until(pilot, lambda: below in shown_in(app, app.query_one(DetailPane)), "the pane shows it")  # noqa: B023
            assert ("list", below) in events and ("pane", below) in events
            assert events.index(("list", below)) < events.index(("pane", below)), events


async def test_the_runs_held_are_frozen_out_of_full_collections_while_the_dashboard_runs(tmp_path):
    """Thousands of runs are objects kept for the dashboard's life: once a listing's worth came, the objects
    then alive are frozen, and Python's full collections (80 to 110 ms over ten thousand runs, each holding
    up a key pressed meanwhile) walk only what came after. A few runs freeze nothing; the dashboard's end
    thaws what it froze."""
    frozen_before = gc.get_freeze_count()  # the test worker's own (tests/conftest.py)
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        await until(pilot, lambda: runs.selected_id is not None, "the demo's runs")
        assert gc.get_freeze_count() == frozen_before
        add_runs(app, FREEZE_AFTER_RUNS)
        app._schedule_flush()
        await until(pilot, lambda: len(runs.shown) == FREEZE_AFTER_RUNS + 4, "the runs listed")
        assert gc.get_freeze_count() > frozen_before
        run = app.session.store.runs[run_id(0)]
        assert all(each is not run for each in gc.get_objects())  # frozen: not walked
    assert gc.get_freeze_count() == 0


async def test_the_rows_texts_to_filter_are_made_when_the_filter_opens_not_at_its_first_character(
    tmp_path, monkeypatch
):
    """Making every row's text to look in was most of the first character's pass over ten thousand rows, on
    the key's path: it is done as the field opens, and the first character only looks."""
    made: list[RunRow] = []
    haystack = RunsList._haystack

    def counted(row: RunRow) -> str:
        made.append(row)
        return haystack(row)

    monkeypatch.setattr(RunsList, "_haystack", staticmethod(counted))
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = await with_400_more_runs(app, pilot)
        await pilot.press("slash")
        field = app.query_one("#filter", Input)
        await until(pilot, lambda: field.has_focus, "the filter typed in")
        made_as_it_opened = len(made)
        assert made_as_it_opened >= 404
        await pilot.press("9")
        await until(pilot, lambda: 0 < len(runs.shown) < 404, "the runs with a 9")
        assert all("9" in train_id for _, train_id in runs.shown)
        assert len(made) - made_as_it_opened <= 4  # only a run that changed meanwhile (the demo's going one)
