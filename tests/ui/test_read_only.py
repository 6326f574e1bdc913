"""Read-only in the dashboard: start, stop, evaluate, publish, run again and upload are gone from the footer,
the help and the palette; their keys say "read-only" in words and send nothing; the header says read-only.
With several backends, a read-only backend's runs only. On the real reference server."""

from __future__ import annotations

import httpx
from textual.command import CommandPalette
from textual.widgets._footer import FooterKey

from tests.conftest import DEADLINE_S, ENDLESS_PARAMS, FAST_BACKOFF, SHORT_PARAMS, client_settings
from tests.ui.screen import row_on_screen, screen_text, shown_in, toasts_on_screen, until, until_shown
from tests.ui.test_keys import palette_commands
from tf_tui.client.stream import ConnectionState, Phase
from tf_tui.core.fleet import Fleet
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.datasets import DatasetsScreen
from tf_tui.ui.screens.help import HelpScreen
from tf_tui.ui.screens.start import StartScreen
from tf_tui.ui.widgets.header import StatusHeader, fleet_header_text, header_text
from tf_tui.ui.widgets.runs_list import RunsList

SIZE = (120, 36)
HOW = "(--read-only, or read_only = true in the config file)"
CHANGING = {"Start", "Stop", "Evaluate", "Publish", "Again"}
CHANGING_HELP = (
    "start a run:",
    "stop the selected run",
    "evaluate the selected",
    "publish the selected",
    "run the selected run again",
)


def started(url: str, params: dict[str, int]) -> str:
    with httpx.Client(base_url=url, trust_env=False, timeout=DEADLINE_S) as client:
        body = {"base_model": "tiny", "dataset_ids": ["builtin-arithmetic"], "params": params}
        return str(client.post("/train/start", json=body).json()["train_id"])


def server_status(url: str, train_id: str) -> str:
    with httpx.Client(base_url=url, trust_env=False, timeout=DEADLINE_S) as client:
        return str(client.get(f"/train/status/{train_id}").json()["status"])


def stop(url: str, train_id: str) -> None:
    with httpx.Client(base_url=url, trust_env=False, timeout=DEADLINE_S) as client:
        client.post(f"/train/stop/{train_id}")


def footer_keys(app: TfTuiApp) -> set[str]:
    return {key.description for key in app.screen.query(FooterKey)}


async def select(app: TfTuiApp, pilot, train_id: str, status: str) -> None:
    await until(pilot, lambda: status in row_on_screen(app, train_id), f"{train_id[:8]} {status}")
    app.query_one(RunsList).select(train_id)
    await until(pilot, lambda: app.query_one(RunsList).selected_id == train_id, "it is selected")


async def says(pilot, app: TfTuiApp, key: str, words: str) -> None:
    app.clear_notifications()
    await pilot.press(key)
    await until(pilot, lambda: words in toasts_on_screen(app), f"{key} says {words!r}")
    assert not app.screen.is_modal  # nothing opened


async def test_read_only_takes_every_changing_key_away_and_each_says_why(server, tmp_path):
    going = started(server.url, ENDLESS_PARAMS)
    completed = started(server.url, SHORT_PARAMS)
    app = TfTuiApp(Session(client_settings(server.url, tmp_path, read_only=True), backoff=FAST_BACKOFF))
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await until(pilot, lambda: " read-only " in shown_in(app, app.query_one(StatusHeader)), "the header")
            await select(app, pilot, completed, "completed")
            assert not footer_keys(app) & CHANGING and {"Keys", "Datasets", "Compare", "Quit"} <= footer_keys(app)
            for key, action in (("e", "evaluate"), ("p", "publish"), ("R", "run again"), ("s", "start")):
                await says(pilot, app, key, f"Read-only: {action} is off {HOW}")
            await select(app, pilot, going, "training")
            assert not footer_keys(app) & CHANGING
            await says(pilot, app, "x", f"Read-only: stop is off {HOW}")

            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
            shown = await until_shown(pilot, "select the run below")
            assert not [meaning for meaning in CHANGING_HELP if meaning in shown], shown
            await pilot.press("escape")

            await until(pilot, lambda: not app.screen.is_modal, "the help closes")
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
            await until(pilot, lambda: "Keys" in palette_commands(app), "its commands")
            assert not set(palette_commands(app)) & CHANGING, palette_commands(app)
            await pilot.press("escape")

            await until(pilot, lambda: not app.screen.is_modal, "the palette closes")
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, DatasetsScreen), "the datasets")
            await until_shown(pilot, "builtin-arithmetic")
            await until_shown(pilot, "upload is off")
            assert not app.screen.query_one("#upload-row").display
            assert f": upload is off {HOW}." in screen_text(app).replace("\n", " ")
        assert server_status(server.url, going) == "training"  # x sent nothing
        assert app.session.store.runs.keys() >= {going, completed}
        assert not any(entry.text.startswith("started ") for entry in app.session.events.entries)
    finally:
        stop(server.url, going)


async def test_a_read_only_backends_runs_cannot_be_changed_and_the_others_can(server, start_server, tmp_path):
    other = start_server()
    fleet = Fleet(
        {
            "watched": Session(client_settings(server.url, tmp_path, read_only=True), backoff=FAST_BACKOFF),
            "mine": Session(client_settings(other.url, tmp_path), backoff=FAST_BACKOFF),
        }
    )
    watched, mine = started(server.url, ENDLESS_PARAMS), started(other.url, ENDLESS_PARAMS)
    app = TfTuiApp(fleet)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await until(pilot, lambda: "read-only: watched" in shown_in(app, app.query_one(StatusHeader)), "header")
            runs = app.query_one(RunsList)
            await until(pilot, lambda: "training" in row_on_screen(app, watched), "the watched run")
            runs.select(watched, "watched")
            await until(pilot, lambda: "Stop" not in footer_keys(app), "stop leaves the footer")
            await says(pilot, app, "x", f"Read-only backend watched: stop is off {HOW}")
            await says(pilot, app, "R", f"Read-only backend watched: run again is off {HOW}")

            await until(pilot, lambda: "training" in row_on_screen(app, mine), "the other run")
            runs.select(mine, "mine")
            await until(pilot, lambda: "Stop" in footer_keys(app), "stop is back")
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the stop asks")
            await pilot.press("n")
            await until(pilot, lambda: not app.screen.is_modal, "not stopped")

            # Only one backend can start a run: s opens the start dialog for it, without asking which.
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, StartScreen), "the start dialog")
            assert app.screen._session is fleet.sessions["mine"]
            await pilot.press("escape")
        assert server_status(server.url, watched) == "training"
    finally:
        stop(server.url, watched)
        stop(other.url, mine)


def test_the_header_says_read_only_and_with_several_backends_which():
    live = ConnectionState(Phase.LIVE)
    assert " read-only " in header_text("http://box:1", live, 0, None, 0.0, poll_interval=5, read_only=True).plain
    assert "read-only" not in header_text("http://box:1", live, 0, None, 0.0, poll_interval=5).plain
    states = {"gpu1": live, "gpu2": live}
    some, _ = fleet_header_text(states, 0.0, 200, read_only=["gpu2"])
    every, _ = fleet_header_text(states, 0.0, 200, read_only=["gpu1", "gpu2"])
    assert " read-only: gpu2 " in some.plain and " read-only " in every.plain and "read-only:" not in every.plain
