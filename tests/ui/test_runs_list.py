"""The runs list: newest on top whatever the order runs became known in, a sensible first selection,
and only the height its rows need."""

from __future__ import annotations

import asyncio

from tests.conftest import ENDLESS_PARAMS, api_client, start_run, wait_for_status
from tests.ui.screen import count_row_paints, row_on_screen, screen_text, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.format import short_id
from tf_tui.core.store import Source
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import NOW, demo_app, demo_session
from tf_tui.ui.widgets.runs_list import RunsList


def line_of(app: TfTuiApp, text: str) -> int:
    return next(index for index, line in enumerate(screen_text(app).splitlines()) if text in line)


async def test_a_relaunch_lists_the_restored_run_on_top_and_selects_it(start_server, tmp_path):
    backend = start_server()
    async with api_client(backend.url) as http:
        older = [await start_run(http) for _ in range(2)]
        for train_id in older:
            await wait_for_status(http, train_id, {"completed", "failed"})
        active = await start_run(http, **ENDLESS_PARAMS)
        try:
            first = dashboard(backend.url, tmp_path)
            async with first.run_test(size=SIZE) as pilot:
                await first.session.watch([active])
                await until(pilot, lambda: first.session.state.active(backend.url) == [active], "it is remembered")

            relaunched = dashboard(backend.url, tmp_path)
            async with relaunched.run_test(size=SIZE) as pilot:
                await until(
                    pilot,
                    lambda: all(short_id(run) in screen_text(relaunched) for run in [*older, active]),
                    "every run listed",
                )
                await until_shown(pilot, active)  # the full id: the detail pane's title, the selected run
                assert line_of(relaunched, short_id(active)) < line_of(relaunched, short_id(older[1]))
                assert line_of(relaunched, short_id(older[1])) < line_of(relaunched, short_id(older[0]))
        finally:
            await http.post(f"/train/stop/{active}")


async def test_the_runs_take_the_lines_they_need_and_the_detail_pane_the_rest(tmp_path):
    app = demo_app(tmp_path)  # four runs
    async with app.run_test(size=(80, 24)) as pilot:
        selected = app.query_one("#runs").selected_id
        await until_shown(pilot, selected)
        # Header, machine line, the column names, four rows, the pane's top border, its title.
        assert line_of(app, selected) == 8

        for number in range(40):  # more runs than fit: the list stops at its limit and scrolls
            train_id = f"{number:08d}-extra"
            app.session.store.apply(RunUpdate(train_id, "completed", 100), Source.POLL, NOW)
        app._schedule_flush()
        await until_shown(pilot, "00000039")
        assert 7 < line_of(app, selected) <= 24 * 6 // 10 + 3


async def test_with_nothing_going_the_newest_run_is_selected(tmp_path):
    session = demo_session(tmp_path)
    for train_id in session.watched:
        session.store.apply(RunUpdate(train_id, "stopped", None), Source.WS, NOW)
    newest = "ffe01a2b-0000-4000-8000-000000000000"  # known last, created last
    session.store.describe(newest, base_model="tiny", created_at="2026-11-29T02:30:00+00:00")
    session.store.apply(RunUpdate(newest, "completed", 100), Source.POLL, NOW)
    app = TfTuiApp(session, connect=False, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await until_shown(pilot, newest)
        assert line_of(app, short_id(newest)) == 3  # under the header, the machine line and the column names


async def test_a_row_out_of_sight_is_repainted_only_once_it_comes_into_view(tmp_path, monkeypatch):
    """Only the rows in the list's viewport are repainted as their runs change; a row scrolled out of
    sight is not even asked to, and shows its run's latest state once it is scrolled into view."""
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        extra = [f"{number:08d}-extra" for number in range(40)]
        in_view, out_of_sight = extra[-1], extra[0]
        app.session.store.apply(RunUpdate(out_of_sight, "training", 10), Source.POLL, NOW)
        app._schedule_flush()
        await until(pilot, lambda: "10%" in row_on_screen(app, out_of_sight), "the first row painted")
        for train_id in extra[1:]:  # newer runs, on top: more than fit, the first one is pushed out of sight
            app.session.store.apply(RunUpdate(train_id, "training", 10), Source.POLL, NOW)
        app._schedule_flush()
        await until_shown(pilot, short_id(in_view))
        assert short_id(out_of_sight) not in screen_text(app)

        repainted = count_row_paints(monkeypatch)  # asked to repaint, or rendered
        for train_id in (in_view, out_of_sight):
            app.session.store.apply(RunUpdate(train_id, "training", 55), Source.WS, NOW)
        app._schedule_flush()
        await until(pilot, lambda: "55%" in row_on_screen(app, in_view), "the row in view shows its update")
        assert out_of_sight not in repainted

        app.query_one("#runs", RunsList).select(out_of_sight)
        await until(pilot, lambda: "55%" in row_on_screen(app, out_of_sight), "the row, scrolled into view")


async def test_a_paint_while_the_screen_is_taken_down_is_skipped(tmp_path):
    """On the way out Textual removes the screen's widgets one by one while the app's timers still fire
    (under `run_test` the shutdown even runs beside the app's message loop): a paint of the selected run
    then must not look for the detail pane's parts, which may be gone already."""
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        selected = app.query_one(RunsList).selected_id
        await until_shown(pilot, selected)
        shutdown = asyncio.create_task(app._shutdown())
        paints = 0
        while not shutdown.done():
            paints += 1
            update = RunUpdate(selected, "running", None, details={"step": paints})  # a change each time
            app.session.store.apply(update, Source.WS, NOW)
            app._paint_changes()
            await asyncio.sleep(0)  # one turn of the event loop: the shutdown takes its next step
        await shutdown
        assert paints > 1  # the paints did run while the widgets were being removed
