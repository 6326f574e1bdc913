"""What people see, at 80x24 and 120x40 (the start dialog also at 60x20), and without colour (NO_COLOR),
from fixed data (the same as the README's screenshots)."""

from __future__ import annotations

import time

import pytest
from rich.text import Text
from textual.app import App
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import DataTable, Input, Log, Select, SelectionList

from tests.ui.screen import drawn, painted, screen_text, shown_in, until
from tf_tui.client.stream import Phase
from tf_tui.ui.demo import COMPARE_AGAIN_KEYS, COMPARE_KEYS, demo_again_app, demo_app
from tf_tui.ui.screens.compare import CompareScreen
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.datasets import DatasetsScreen
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.screens.help import HelpScreen
from tf_tui.ui.screens.publish import PublishScreen
from tf_tui.ui.screens.run_log import RunLogScreen
from tf_tui.ui.screens.start import StartScreen
from tf_tui.ui.screens.talents import TalentsScreen
from tf_tui.ui.screens.watch import WatchScreen
from tf_tui.ui.widgets.environment_line import EnvironmentLine
from tf_tui.ui.widgets.evaluation import EvaluationPart
from tf_tui.ui.widgets.path_input import PathInput

TINY, SMALL, LARGE = (60, 20), (80, 24), (120, 40)


def machine_read_then(run_before=None):
    """First the machine's line read (where the terminal is wide enough to show it), then `run_before`."""

    async def run(pilot):
        dashboard = pilot.app.screen_stack[0]
        line = dashboard.query_one(EnvironmentLine)
        await until(pilot, lambda: line.reads > 0 or not line.display, "the machine's line is read")
        # A dialog pushed before the dashboard's first paint keeps a blank backdrop.
        await until(pilot, lambda: top_line(painted(pilot.app)) != "", "the dashboard is painted")
        if run_before is not None:
            await run_before(pilot)
        if pilot.app.screen.is_modal:
            await until(pilot, lambda: backdrop_shown(pilot.app, dashboard), "the dashboard shows under the dialog")

    return run


def backdrop_shown(app: App[object], dashboard: Screen[object]) -> bool:
    """Whether every cell around the dialog shows the dashboard, as a screenshot takes them."""
    dialog = Region.from_union([child.region for child in app.screen.children])
    underneath = drawn(dashboard).splitlines()
    shown = painted(app).splitlines()
    return len(shown) == len(underneath) and all(
        shown_line[x] == underneath_line[x]
        for y, (shown_line, underneath_line) in enumerate(zip(shown, underneath, strict=True))
        for x in range(min(len(shown_line), len(underneath_line)))
        if not dialog.contains(x, y)
    )


def top_line(text: str) -> str:
    lines = text.splitlines()
    return lines[0].strip() if lines else ""


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_dashboard(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_detail_with_loss_chart(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(open_detail), terminal_size=size)


async def sort_by_loss_grouped_by_model(pilot):
    await pilot.press("less_than_sign", "less_than_sign", "g", "g")  # newest, model, loss; none, status, model
    await until(pilot, lambda: "─ small (2)" in screen_text(pilot.app), "the runs by loss, grouped by model")
    await until(pilot, lambda: "↓loss" in screen_text(pilot.app), "the order in the column names")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_sorted_and_grouped(snap_compare, tmp_path, size):
    assert snap_compare(
        demo_app(tmp_path), run_before=machine_read_then(sort_by_loss_grouped_by_model), terminal_size=size
    )


async def smooth_the_chart(pilot):
    await pilot.press("enter", "m", "m")
    await until(pilot, lambda: "smoothed 0.9" in screen_text(pilot.app), "the chart smoothed")


async def zoom_the_chart(pilot):
    await pilot.press("enter", "plus")
    await until(pilot, lambda: "last 1,950 steps" in screen_text(pilot.app), "the chart's window")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_smoothed_chart(snap_compare, tmp_path, size):
    app = demo_app(tmp_path, noisy=True)
    assert snap_compare(app, run_before=machine_read_then(smooth_the_chart), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_zoomed_chart(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(zoom_the_chart), terminal_size=size)


async def open_comparison(pilot):
    await pilot.press(*COMPARE_KEYS)
    await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen), "the comparison")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_comparison(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(open_comparison), terminal_size=size)


async def open_comparison_of_a_run_again(pilot):
    await pilot.press(*COMPARE_AGAIN_KEYS)
    await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen), "the comparison")
    await until(pilot, lambda: "Differences only" in screen_text(pilot.app), "its table")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_comparison_differences_only(snap_compare, tmp_path, size):
    app = demo_again_app(tmp_path)
    assert snap_compare(app, run_before=machine_read_then(open_comparison_of_a_run_again), terminal_size=size)


async def open_start_dialog(pilot):
    dialog = StartScreen(pilot.app.session)
    await pilot.app.push_screen(dialog)
    # Its choices are in once the dataset list takes the focus, the last thing the loading does.
    datasets = dialog.query_one(SelectionList)
    await until(pilot, lambda: datasets.has_focus, "the choices load")


@pytest.mark.parametrize("size", [TINY, SMALL, LARGE], ids=["60x20", "80x24", "120x40"])
def test_start_dialog(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(open_start_dialog), terminal_size=size)


async def choose_a_model_too_big(pilot):
    await open_start_dialog(pilot)
    pilot.app.screen.query_one("#model", Select).value = "llama-2-13b"
    await until(pilot, lambda: "too big: needs" in screen_text(pilot.app), "the model's fit is said")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_start_dialog_with_a_model_too_big(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(choose_a_model_too_big), terminal_size=size)


def test_stop_confirmation(snap_compare, tmp_path):
    app = demo_app(tmp_path)

    async def ask(pilot):
        await app.push_screen(ConfirmScreen(Text("Stop run 3f2a9c1e (training 35%)?")))

    assert snap_compare(app, run_before=machine_read_then(ask), terminal_size=SMALL)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_disconnected(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path, Phase.RETRYING), run_before=machine_read_then(), terminal_size=size)


async def open_stop_confirmation(pilot):
    await pilot.app.push_screen(ConfirmScreen(Text("Stop run 3f2a9c1e (training 35%)?")))


async def open_watch_dialog(pilot):
    await pilot.press("w")
    await until(pilot, lambda: isinstance(pilot.app.screen, WatchScreen), "the watch dialog")
    entry = pilot.app.screen.query_one(Input)
    entry.cursor_blink = False  # a blinking cursor is drawn or not depending on when the picture is taken
    await until(pilot, lambda: entry.has_focus, "its field has the focus")


async def open_datasets(pilot):
    await pilot.press("d")
    await until(pilot, lambda: isinstance(pilot.app.screen, DatasetsScreen), "the datasets screen")
    screen = pilot.app.screen
    field = screen.query_one(PathInput)
    field.cursor_blink = False  # a blinking cursor is drawn or not depending on when the picture is taken
    await until(pilot, lambda: screen.query_one(DataTable).row_count == 3 and field.has_focus, "the list loads")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_datasets_screen(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(open_datasets), terminal_size=size)


async def open_help(pilot):
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "the help screen")


async def open_event_log(pilot):
    await pilot.press("l")
    await until(pilot, lambda: isinstance(pilot.app.screen, EventLogScreen), "the event log")


async def open_detail(pilot):
    await pilot.press("enter")


async def select_failed_run(pilot):
    await pilot.press("j", "j", "j")


async def open_run_log(pilot):
    await pilot.press("o")
    await until(pilot, lambda: isinstance(pilot.app.screen, RunLogScreen), "the run's log")
    log = pilot.app.screen.query_one(Log)
    # Its width is measured in a thread after the lines are written: the scrollbars follow it.
    await until(pilot, lambda: log.line_count > 0 and log.virtual_size.width > 0, "its lines")


async def search_run_log(pilot):
    await open_run_log(pilot)
    await pilot.press("slash", *"loss 0.3")
    search = pilot.app.screen.query_one(Input)
    search.cursor_blink = False
    await until(pilot, lambda: "match 3 of 3" in screen_text(pilot.app), "the matches")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_run_log(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(open_run_log), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_run_log_search(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(search_run_log), terminal_size=size)


NO_COLOR_SCREENS = {
    "dashboard": (Phase.LIVE, None, SMALL),
    "failed-run": (Phase.LIVE, select_failed_run, SMALL),
    "detail": (Phase.LIVE, open_detail, SMALL),
    "smoothed-detail": (Phase.LIVE, smooth_the_chart, SMALL),
    "disconnected": (Phase.RETRYING, None, SMALL),
    "start-dialog": (Phase.LIVE, open_start_dialog, TINY),
    "stop-confirmation": (Phase.LIVE, open_stop_confirmation, SMALL),
    "watch-dialog": (Phase.LIVE, open_watch_dialog, SMALL),
    "help": (Phase.LIVE, open_help, SMALL),
    "event-log": (Phase.LIVE, open_event_log, SMALL),
    "run-log-search": (Phase.LIVE, search_run_log, SMALL),
    "comparison": (Phase.LIVE, open_comparison, SMALL),
}


@pytest.mark.parametrize("screen", list(NO_COLOR_SCREENS))
def test_every_screen_without_colour(snap_compare, tmp_path, monkeypatch, screen):
    phase, run_before, size = NO_COLOR_SCREENS[screen]
    monkeypatch.setenv("NO_COLOR", "1")  # read (and removed from the environment) by the app as it is made
    app = demo_app(tmp_path, phase)
    assert app.no_color
    assert snap_compare(app, run_before=machine_read_then(run_before), terminal_size=size)


async def evaluate_completed_run(pilot):
    await pilot.press("j", "j", "e")  # the demo's completed run, evaluated from fixed metrics
    part = pilot.app.query_one(EvaluationPart)
    await until(pilot, lambda: "arithmetic_exact_match" in shown_in(pilot.app, part), "the metrics are shown")


async def open_publish_dialog(pilot):
    await pilot.press("j", "j", "p")
    await until(pilot, lambda: isinstance(pilot.app.screen, PublishScreen), "the publish dialog")
    name = pilot.app.screen.query_one("#publish-name", Input)
    name.cursor_blink = False
    await until(pilot, lambda: name.has_focus, "its name has the focus")


async def open_catalogue_and_try(pilot):
    await pilot.press("t")
    await until(pilot, lambda: isinstance(pilot.app.screen, TalentsScreen), "the catalogue")
    prompt = pilot.app.screen.query_one("#talent-prompt", Input)
    prompt.cursor_blink = False
    await until(pilot, lambda: "Two-digit adder" in screen_text(pilot.app) and prompt.has_focus, "it lists")
    await pilot.press(*"23+45=", "enter")
    await until(pilot, lambda: "answered (confidence 0.91)" in screen_text(pilot.app), "the talent answers")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    "run_before", [evaluate_completed_run, open_publish_dialog, open_catalogue_and_try], ids=lambda f: f.__name__
)
def test_talent_screens(snap_compare, tmp_path, size, run_before):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(run_before), terminal_size=size)
