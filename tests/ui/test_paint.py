"""The reaches into Textual's private API are checked at start: each is there in the installed Textual, and
one a Textual release renamed turns its feature off, with a warning in the log, while the dashboard runs
and draws on Textual's own output path."""

from __future__ import annotations

import logging
import sys
import textwrap
import types

import pytest
import textual._compositor
from rich.segment import Segment
from textual._compositor import LayoutUpdate
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver
from textual.geometry import Region
from textual.strip import Strip

from tests.terminal import FIRST_SCREEN, isolated_environment, quit_dashboard, spawn
from tests.ui.screen import until_shown
from tf_tui.ui.demo import demo_app
from tf_tui.ui.paint.app import PaintedApp
from tf_tui.ui.paint.reaches import Feature
from tf_tui.ui.paint.terminal_diff import ChangedCells

SIZE = (110, 32)
REACHES_LOG = "tf_tui.ui.paint.reaches"
UNREACHABLE_URL = "http://127.0.0.1:9"  # nothing listens: the dashboard shows its first screen and retries


def without_chops_update() -> types.ModuleType:
    """Textual's update module as a release that renamed ChopsUpdate would have it."""
    stand_in = types.ModuleType("textual._compositor")
    stand_in.__dict__.update(
        {name: value for name, value in vars(textual._compositor).items() if name != "ChopsUpdate"}
    )
    return stand_in


# A module renamed or moved, and a class renamed: the two ways a release takes a reach away.
MISSING = {"the module": (None, "textual._compositor"), "a class": (without_chops_update(), "ChopsUpdate")}


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == REACHES_LOG]


async def test_every_reach_is_there_in_the_installed_textual(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    app = demo_app(tmp_path)
    assert app.paint_features == frozenset(Feature)
    assert warnings_logged(caplog) == []


@pytest.mark.parametrize("missing", MISSING.values(), ids=MISSING.keys())
async def test_without_a_reach_the_dashboard_renders_and_the_log_says_what_is_missing(
    missing, tmp_path, monkeypatch, caplog
):
    stand_in, named = missing
    monkeypatch.setitem(sys.modules, "textual._compositor", stand_in)
    caplog.set_level(logging.WARNING)
    app = demo_app(tmp_path)
    assert app.paint_features == frozenset(Feature) - {Feature.CHANGED_CELLS}
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_shown(pilot, "3f2a9c1e")
        assert " tf-tui " in screen and "51d0c6f4" in screen
    [warning] = warnings_logged(caplog)
    assert named in warning and "textual._compositor.ChopsUpdate" in warning
    assert "only the cells that changed are written to the terminal" in warning
    assert "desktop notifications" not in warning


@pytest.mark.parametrize("reach_missing", [False, True], ids=["reach there", "reach missing"])
def test_textual_s_update_goes_out_as_changed_cells_or_as_textual_made_it(reach_missing, monkeypatch):
    """On a terminal (not headless), what the app hands Textual's own `_display` to write."""
    if reach_missing:
        monkeypatch.setitem(sys.modules, "textual._compositor", None)
    handed: list[object] = []

    def display(self, screen, renderable):  # Textual's, as the app overrides it
        handed.append(renderable)

    monkeypatch.setattr(App, "_display", display)
    monkeypatch.setattr(App, "is_headless", property(lambda app: False))
    app = PaintedApp()
    update = LayoutUpdate([[Strip([Segment("a row")])]], Region(0, 0, 5, 1))
    app._display(None, update)
    [written] = handed
    assert (written is update) == reach_missing
    assert isinstance(written, ChangedCells) != reach_missing


async def test_an_escape_sequence_goes_to_the_terminal_through_textual_s_driver(monkeypatch):
    written: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "write", lambda driver, data: written.append(data))
    app = PaintedApp()
    app.write_to_terminal("\x1b]9;before the app runs\x07")  # no terminal yet: nothing, and no error
    async with app.run_test():
        app.write_to_terminal("\x1b]9;done\x07")
    assert "\x1b]9;done\x07" in written
    assert not any("before the app runs" in data for data in written)


def test_on_a_terminal_a_textual_without_the_reach_draws_the_dashboard_and_the_log_says_so(tmp_path):
    """The installed way, on a pseudo-terminal: Textual writes whole lines, and the log says why."""
    renamed = textwrap.dedent(
        """
        import sys, types
        import textual._compositor as real
        stand_in = types.ModuleType(real.__name__)
        stand_in.__dict__.update({name: value for name, value in vars(real).items() if name != "ChopsUpdate"})
        sys.modules[real.__name__] = stand_in
        from tf_tui.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    log_file = tmp_path / "tf-tui.log"
    environment = isolated_environment(tmp_path, TF_TUI_LOG_FILE=str(log_file))
    dashboard = spawn([sys.executable, "-c", renamed, "--url", UNREACHABLE_URL], environment)
    dashboard.expect_exact(FIRST_SCREEN)
    dashboard.expect_exact(UNREACHABLE_URL)
    quit_dashboard(dashboard)
    assert dashboard.exitstatus == 0
    logged = log_file.read_text()
    assert "WARNING tf_tui.ui.paint.reaches: Textual" in logged
    assert "lacks textual._compositor.ChopsUpdate" in logged
