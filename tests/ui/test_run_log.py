"""The run's own log on screen (`o`), against the real reference server; a backend without the log route
through the scripted backend."""

from __future__ import annotations

import re

from textual.widgets import Log

from tests.conftest import FAST_BACKOFF, api_client, client_settings, start_run, wait_for_status
from tests.headless.test_logs_command import HOSTILE_LINE
from tests.scripted_backend import running_backend
from tests.ui.screen import footer_key, screen_text, toasts_on_screen, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard, watch_until_training
from tf_tui.core.fleet import Fleet
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.run_log import RunLogScreen
from tf_tui.ui.widgets.runs_list import RunsList


async def open_log(app: TfTuiApp, pilot, train_id: str) -> Log:
    app.query_one(RunsList).select(train_id)
    await pilot.press("o")
    await until(pilot, lambda: isinstance(app.screen, RunLogScreen), "the log screen")
    return app.screen.query_one(Log)


def steps_on_screen(app: TfTuiApp) -> set[str]:
    return set(re.findall(r"Training step (\d+)/", screen_text(app)))


async def ended_run_with_log(server, text: str | None = None, append: str = "") -> str:
    async with api_client(server.url) as http:
        train_id = await start_run(http)
        await wait_for_status(http, train_id, {"completed"})
    log = server.data_dir / "logs" / f"{train_id}.log"
    if text is not None:
        log.write_text(text, encoding="utf-8")
    with log.open("a", encoding="utf-8") as appended:
        appended.write(append)
    return train_id


async def test_a_running_runs_log_grows_on_screen(server, endless_run, tmp_path):
    train_id = await endless_run()
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await watch_until_training(app, pilot, train_id)
        await open_log(app, pilot, train_id)
        await until(pilot, lambda: steps_on_screen(app), "a training step on screen")
        first = steps_on_screen(app)
        await until(pilot, lambda: steps_on_screen(app) - first, "steps the screen did not show before")
        assert "following, read every 1 s" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, RunLogScreen), "the log closes")


async def test_escapes_and_markup_in_a_log_are_shown_inert(server, tmp_path):
    train_id = await ended_run_with_log(server, append=HOSTILE_LINE)
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.session.watch([train_id])
        await until_shown(pilot, train_id[:8])
        log = await open_log(app, pilot, train_id)
        shown = await until_shown(pilot, "[bold red]markup[/]  hidden")
        assert re.search(r"hidden +tab", shown)  # the tab, as spaces to the next column of 8
        assert "complete (the run ended)" in shown
        assert "pwned" not in shown
        assert not any(character in "".join(log.lines) for character in "\x1b\x9b\x07\x00\r")


def match_marked(app: TfTuiApp, word: str) -> bool:
    """Some cell on screen that shows `word` is drawn reversed: a marked match."""
    strips = app.screen._compositor.render_strips()
    return any(
        segment.text == word and segment.style and segment.style.reverse for strip in strips for segment in strip
    )


async def test_search_marks_the_matches_and_n_and_shift_n_move_between_them(server, tmp_path):
    text = "".join(f"line {number:04} {'needle' if number in (10, 300) else 'hay'}\n" for number in range(500))
    train_id = await ended_run_with_log(server, text)
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.session.watch([train_id])
        await until_shown(pilot, train_id[:8])
        await open_log(app, pilot, train_id)
        await until_shown(pilot, "line 0499 hay")  # the newest last, in view
        await pilot.press("slash", *"NEEDLE")
        shown = await until_shown(pilot, "line 0300 needle")  # the newest match first, case aside
        assert "match 2 of 2" in shown
        assert match_marked(app, "needle")
        await pilot.press("enter")  # to the log: n and N move
        await pilot.press("N")
        shown = await until_shown(pilot, "line 0010 needle")
        assert "line 0300" not in shown and "match 1 of 2" in shown
        await pilot.press("n")
        await until_shown(pilot, "line 0300 needle")
        await pilot.press("n")  # round the end
        await until_shown(pilot, "line 0010 needle")
        await pilot.press("slash", *"zz")  # a new search: what was typed before is replaced
        await until_shown(pilot, "no line matches 'zz'")
        await pilot.press("escape", "escape")
        await until(pilot, lambda: not isinstance(app.screen, RunLogScreen), "escape leaves the search, then the log")


async def test_against_a_backend_without_the_route_o_is_dimmed_and_says_why(tmp_path):
    reason = "this backend does not offer a run's log (HTTP 404, Not Found)"
    async with running_backend() as backend:
        train_id = "3f2a9c1e-0000-4000-8000-000000000000"
        backend.status_bodies[train_id] = {"status": "training", "progress": 10}
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await app.session.watch([train_id])
            await until_shown(pilot, train_id[:8])
            assert app.check_action("run_log", ()) is True  # nothing says yet that it cannot
            await open_log(app, pilot, train_id)
            await until_shown(pilot, reason)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, RunLogScreen), "the log closes")
            assert app.check_action("run_log", ()) is None  # dimmed in the footer
            await until(pilot, lambda: footer_key(app, "run_log") == {"-disabled"}, "o is shown dimmed")
            await pilot.press("o")
            await until(pilot, lambda: reason in toasts_on_screen(app), "o says why")
            assert not isinstance(app.screen, RunLogScreen)


async def test_in_a_fleet_the_log_comes_from_the_selected_runs_own_backend(server, tmp_path):
    train_id = await ended_run_with_log(server)
    async with running_backend() as deployed:
        elsewhere = "3f2a9c1e-0000-4000-8000-000000000000"
        deployed.status_bodies[elsewhere] = {"status": "training", "progress": 10}
        fleet = Fleet(
            {
                "reference": Session(client_settings(server.url, tmp_path), backoff=FAST_BACKOFF),
                "deployed": Session(client_settings(deployed.url, tmp_path), backoff=FAST_BACKOFF),
            }
        )
        app = TfTuiApp(fleet)
        async with app.run_test(size=SIZE) as pilot:
            await fleet.session("reference").watch([train_id])
            await fleet.session("deployed").watch([elsewhere])
            await until_shown(pilot, train_id[:8])
            await until_shown(pilot, elsewhere[:8])
            runs = app.query_one(RunsList)
            runs.select(elsewhere, "deployed")
            await pilot.press("o")
            await until_shown(pilot, "this backend does not offer a run's log")
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, RunLogScreen), "the log closes")
            assert app.check_action("run_log", ()) is None
            runs.select(train_id, "reference")
            assert app.check_action("run_log", ()) is True  # what one backend lacks, the other has
            await pilot.press("o")
            shown = await until_shown(pilot, "completed: final loss")
            assert f"Log of run {train_id[:8]} (tiny) on reference" in shown
