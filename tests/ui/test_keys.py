"""The keys: one list (the app's BINDINGS) behind the footer, the help screen, the palette and the README."""

from __future__ import annotations

import re
from pathlib import Path

from textual.command import Command, CommandList, CommandPalette
from textual.keys import format_key
from textual.widgets import Input, Log

from tests.conftest import SHORT_PARAMS
from tests.ui.screen import screen_text, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard
from tf_tui.core.eventlog import Kind
from tf_tui.core.format import short_id
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import demo_app
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.screens.help import HelpScreen, declared_bindings, key_rows
from tf_tui.ui.widgets.runs_list import RunsList
from tools.key_table import with_key_table

README = Path(__file__).parents[2] / "README.md"
TALL = (SIZE[0], 48)  # the whole help at once: in a shorter terminal it scrolls


def test_the_readme_key_table_is_the_one_the_default_keys_make():
    text = README.read_text(encoding="utf-8")
    assert with_key_table(text) == text, "the README key table is out of date: run python tools/key_table.py"


async def test_the_help_screen_shows_every_bound_key(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        shown = await until_shown(pilot, "select the run below")
        lines = shown.splitlines()
        for keys, meaning in key_rows(declared_bindings(TfTuiApp)):
            # The keys and the start of their meaning, side by side on one line of the table.
            row = re.compile(rf"(^|\s){re.escape(keys)}\s{{2,}}{re.escape(meaning[:30])}")
            assert any(row.search(line) for line in lines), f"{keys!r} {meaning!r} not on the help screen:\n{shown}"
        for keys in ("j  ↓", "k  ↑", "q  ctrl+q", "ctrl+p", "?", "/", "b"):
            assert keys in shown
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "the help closes")


async def test_in_a_short_terminal_the_help_scrolls_to_its_last_key(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await until_shown(pilot, "select the run below")
        _, last_meaning = key_rows(declared_bindings(TfTuiApp))[-1]
        assert last_meaning not in screen_text(app)  # more keys than lines
        await pilot.press("end")
        await until_shown(pilot, last_meaning)


def test_every_key_the_app_binds_is_on_the_help_screen():
    """A binding without a meaning of its own (`x` when stop is dimmed says why) must share its key with
    one that has one: no key does something the help does not list."""
    bindings = declared_bindings(TfTuiApp)
    listed = " ".join(keys for keys, _ in key_rows(bindings)).split()
    for binding in bindings:
        if binding.system:
            continue
        names = (
            [binding.key_display] if binding.key_display else [format_key(k.strip()) for k in binding.key.split(",")]
        )
        for name in names:
            assert name in listed, f"{binding.key} ({binding.action}) is bound but not on the help screen"


async def test_the_palette_lists_keys_once(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        # The palette gathers its commands in the background: wait until both are listed, not for a count.
        # Its list, not the screen: with every command listed, some are below the palette's visible rows.
        await until(pilot, lambda: {"Stop", "Keys"} <= set(palette_commands(app)), "the commands are listed")
        assert palette_commands(app).count("Keys") == 1, palette_commands(app)


def palette_commands(app: TfTuiApp) -> list[str]:
    commands = app.screen.query_one(CommandList)
    options = (commands.get_option_at_index(index) for index in range(commands.option_count))
    return [option.hit.text or "" for option in options if isinstance(option, Command)]


async def test_stop_on_an_ended_run_says_why(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        train_id = (await app.session.start("tiny", ["builtin-arithmetic"], params=SHORT_PARAMS)).train_id
        await until(pilot, lambda: app.session.store.runs[train_id].ended, "the run ends")
        await until_shown(pilot, short_id(train_id))  # its row: a run with none cannot be selected
        app.query_one("#runs").select(train_id)
        status = app.session.store.runs[train_id].status
        assert app.check_action("stop", ()) is None  # dimmed in the footer
        await pilot.press("x")
        await until_shown(pilot, f"run {train_id[:8]} already ended ({status})")
        app.clear_notifications()
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"Stop", "enter")
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette), "the palette closes")
        await until_shown(pilot, f"run {train_id[:8]} already ended ({status})")


async def test_escape_clears_a_filter_kept_with_enter(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        await until(pilot, lambda: runs.selected_id is not None, "a selected run")
        every = len(app.session.store.runs)
        await pilot.press("slash", *"base", "enter")
        await until(pilot, lambda: runs.has_focus, "enter keeps the filter and goes back to the runs")
        assert 0 < len(runs.shown) < every
        await pilot.press("escape")
        await until(pilot, lambda: len(runs.shown) == every, "every run is shown again")
        assert app.query_one("#filter", Input).value == "" and not app.query_one("#filter").display


async def test_u_in_the_event_log_shows_it_from_its_newest_line(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for number in range(150):
            app.events.add(f"line {number}")
            app.events.add(f"update {number}", kind=Kind.UPDATE)
        app.events.add("the newest line")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, EventLogScreen), "the event log")
        view = app.screen.query_one(Log)
        await until(pilot, lambda: "the newest line" in screen_text(app), "it opens at its newest line")
        for showing in ("shown", "hidden"):
            await pilot.press("u")
            await until(pilot, lambda showing=showing: f"run updates {showing}" in screen_text(app), "u took effect")
            await until(pilot, lambda: "the newest line" in screen_text(app), f"updates {showing}: the newest line")
            assert view.scroll_y == view.max_scroll_y
