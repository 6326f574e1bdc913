"""The keys: one list (the app's BINDINGS) behind the footer, the help screen, the palette and the README."""

from __future__ import annotations

import re
from pathlib import Path

from textual.command import CommandPalette

from tests.conftest import SHORT_PARAMS
from tests.ui.screen import screen_text, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard
from tf_tui.format import short_id
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import demo_app
from tf_tui.ui.screens.help import HelpScreen, declared_bindings, key_rows

README = Path(__file__).parents[2] / "README.md"


def readme_key_table() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| key | action |") :].split("\n\n", 1)[0].splitlines()[2:]
    rows = []
    for line in table:
        keys, meaning = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append(("  ".join(re.findall(r"`([^`]+)`", keys)), meaning))
    return rows


def test_the_readme_key_table_is_the_help_screen():
    assert readme_key_table() == key_rows(declared_bindings(TfTuiApp))


async def test_the_help_screen_shows_every_bound_key(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        shown = await until_shown(pilot, "select the run below")
        for binding in TfTuiApp.BINDINGS:
            if binding.tooltip and binding.action != "cycle_backend":
                assert binding.tooltip in shown
        assert "one backend's in turn" not in shown  # the fleet's key: only when several backends are followed
        for keys in ("j  ↓", "k  ↑", "q  ctrl+q", "ctrl+p", "?", "/"):
            assert keys in shown
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "the help closes")


async def test_the_palette_lists_keys_once(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        # The palette gathers its commands in the background: wait until both are painted, not for a count.
        await until(pilot, lambda: {"Stop", "Keys"} <= set(screen_text(app).split()), "the commands are listed")
        shown = screen_text(app)
        assert [line.strip() for line in shown.splitlines()].count("Keys") == 1, shown


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
