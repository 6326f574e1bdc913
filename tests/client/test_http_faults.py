"""Every HTTP call against every fault: the words shown name the problem, and nothing stops or is lost.

The faults (error statuses, HTML pages, empty bodies, reset connections, answers that never come) come
from tests/faulty_http.py: the reference server never produces them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, SelectionList

from tests.conftest import FAST_BACKOFF, client_settings
from tests.faulty_http import FAULTS, Fault, FaultyHttp, faulty_http
from tests.ui.screen import shown_in, toasts_on_screen, until
from tests.ui.test_dashboard import start_dialog_mounted
from tf_tui import cli
from tf_tui.base.exit_codes import ExitCode
from tf_tui.client import api as api_module
from tf_tui.client.api import ApiError, TalentFactoryApi
from tf_tui.core import config as config_module
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.screens.start import StartScreen
from tf_tui.ui.widgets.runs_list import RunsList

# The seam for "an answer that never comes": the client's timeout, short in these tests only.
SHORT_TIMEOUT = httpx.Timeout(0.3)
DASHBOARD_TIMEOUT = httpx.Timeout(1.5)  # every call of a dashboard shares it, and the machine may be slow
SIZE = (110, 32)
# One fault of each kind for the dashboard's slower round trips (each fault's words are checked on every call
# above); the start dialog, where something typed could be lost, gets every fault.
KINDS = tuple(fault for fault in FAULTS if fault.name in ("401", "422", "502", "empty", "reset", "hang"))

# (call, the path its fault goes on, how the message names the call)
CALLS: dict[str, tuple[Callable[[TalentFactoryApi], Awaitable[object]], str, str]] = {
    "health": (lambda api: api.health(), "/health", "GET /health"),
    "models": (lambda api: api.models(), "/models/list", "GET /models/list"),
    "datasets": (lambda api: api.datasets(), "/datasets/available", "GET /datasets/available"),
    "start": (lambda api: api.start("tiny", ["d"], {}, "balanced"), "/train/start", "POST /train/start"),
    "status": (lambda api: api.status("run-1"), "/train/status/", "GET /train/status/run-1"),
    "stop": (lambda api: api.stop("run-1"), "/train/stop/", "POST /train/stop/run-1"),
    "active": (lambda api: api.active(), "/train/active", "GET /train/active"),
    "dashboard": (lambda api: api.dashboard(), "/dashboard", "GET /dashboard"),
}


@pytest.fixture(scope="module")
def backend() -> Iterator[FaultyHttp]:
    with faulty_http() as server:
        yield server


@pytest.fixture(autouse=True)
def no_faults_left(backend: FaultyHttp) -> Iterator[None]:
    yield
    backend.faults.clear()


def assert_names(message: str, fault: Fault) -> None:
    for words in fault.words:
        assert words in message, f"{words!r} not in {message!r}"
    assert "<" not in message, f"raw markup of a page in {message!r}"


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
@pytest.mark.parametrize("call", CALLS)
async def test_every_call_says_what_failed(backend, monkeypatch, call, fault):
    if fault.action == "hang":
        monkeypatch.setattr(api_module, "TIMEOUT", SHORT_TIMEOUT)
    invoke, path, what = CALLS[call]
    backend.fail(path, fault)
    api = TalentFactoryApi(backend.url, trust_env=False)
    try:
        with pytest.raises(ApiError) as raised:
            await invoke(api)
    finally:
        await api.aclose()
    message = str(raised.value)
    assert message.startswith(f"{what}: "), message
    assert_names(message, fault)


@pytest.fixture
def run_cli(backend, tmp_path, monkeypatch, capsys) -> Callable[..., tuple[int, str]]:
    """`tf-tui` in this process (so the timeout seam applies), its stderr captured."""
    monkeypatch.setenv("TF_TUI_STATE_FILE", str(tmp_path / "state.json"))
    monkeypatch.setenv("TF_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    # The test run's logging stays as it is (the command imports it from the config module as it runs).
    monkeypatch.setattr(config_module, "setup_logging", lambda settings: None)
    monkeypatch.setattr(api_module, "TIMEOUT", SHORT_TIMEOUT)

    def run(*arguments: str) -> tuple[int, str]:
        code = cli.main(["--url", backend.url, *arguments])
        return code, capsys.readouterr().err

    return run


HEADLESS = {
    "status": ("status",),
    "start": ("start", "--model", "tiny", "--dataset", "builtin-arithmetic"),
    "stop": ("stop", "run-1", "--yes"),
}
# A refused stop is explained by what the server says about the run, not by the status code alone.
STOP_WORDS = {"404": ("does not know run run-1",), "409": ("had already ended",)}


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
@pytest.mark.parametrize("command", HEADLESS)
def test_headless_commands_say_what_failed_on_stderr(backend, run_cli, command, fault):
    backend.fail("/train/stop/" if command == "stop" else "/", fault)
    code, stderr = run_cli(*HEADLESS[command])
    # FastAPI's 404 on every route, /health and /train/active included: a server without the contract.
    everywhere_absent = fault.name == "404" and command != "stop"
    assert code == (ExitCode.NOT_TALENT_FACTORY if everywhere_absent else ExitCode.FAILED)
    assert everywhere_absent == ("is not a Talent Factory backend" in stderr), stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    if command == "stop" and fault.name in STOP_WORDS:
        assert all(words in stderr for words in STOP_WORDS[fault.name]), stderr
    else:
        assert command == "stop" or stderr.startswith(f"tf-tui {command}: "), stderr
        assert_names(stderr, fault)


def dialog_error(app: TfTuiApp) -> str:
    return shown_in(app, app.screen.query_one("#start-error"))


def listing_errors(app: TfTuiApp, since: float) -> list[str]:
    entries = app.session.events.entries
    return [entry.text for entry in entries if entry.at >= since and "could not list" in entry.text]


@asynccontextmanager
async def dashboard(
    backend: FaultyHttp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TfTuiApp, Pilot[None]]]:
    """A dashboard of `backend` whose every call gives up after `DASHBOARD_TIMEOUT`, with its toasts shown."""
    monkeypatch.setattr(api_module, "TIMEOUT", DASHBOARD_TIMEOUT)
    app = TfTuiApp(Session(client_settings(backend.url, tmp_path), backoff=FAST_BACKOFF))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        yield app, pilot
        # Still answering keys.
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, EventLogScreen), "the event log opens")


async def test_the_start_dialog_says_why_its_choices_did_not_load(backend, tmp_path, monkeypatch):
    async with dashboard(backend, tmp_path, monkeypatch) as (app, pilot):
        for fault in KINDS:
            backend.fail("/models/list", fault)
            await pilot.press("s")
            await until(pilot, lambda: start_dialog_mounted(app), "the start dialog")
            await until(pilot, lambda: "Could not load" in dialog_error(app), fault.name)
            assert_names(dialog_error(app), fault)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, StartScreen), "the dialog closes")


async def test_each_refused_start_is_explained_and_nothing_typed_is_lost(backend, tmp_path, monkeypatch):
    async with dashboard(backend, tmp_path, monkeypatch) as (app, pilot):
        await pilot.press("s")
        await until(pilot, lambda: start_dialog_mounted(app), "the start dialog")
        dialog = app.screen
        await until(pilot, lambda: dialog.query_one(SelectionList).option_count == 1, "the choices load")
        await pilot.press("tab", "tab", *"2500", "tab", *"0.01")
        typed = {field: dialog.query_one(f"#{field}", Input).value for field in ("steps", "learning-rate")}
        assert typed == {"steps": "2500", "learning-rate": "0.01"}
        for fault in FAULTS:
            backend.fail("/train/start", fault)
            await pilot.press("enter")
            error = dialog.query_one("#start-error")

            def refused(error: Widget = error) -> bool:
                # The request arrived, so "Starting…" replaced the last refusal; now the new one is shown.
                return (
                    "POST /train/start" in backend.requests
                    and "did not start it" in shown_in(app, error)
                    and not dialog.query_one("#start", Button).disabled
                )

            await until(pilot, refused, f"the refusal for {fault.name}")
            assert_names(shown_in(app, error), fault)
            assert app.screen is dialog
            assert {field: dialog.query_one(f"#{field}", Input).value for field in typed} == typed
            assert list(dialog.query_one(SelectionList).selected) == ["builtin-arithmetic"]
            backend.requests.clear()
        await pilot.press("escape")


async def test_a_failed_stop_is_said_in_a_toast_and_a_failed_listing_in_the_event_log(backend, tmp_path, monkeypatch):
    async with dashboard(backend, tmp_path, monkeypatch) as (app, pilot):
        await app.session.watch(["run-1"])
        await until(pilot, lambda: app.session.store.ensure("run-1").status == "training", "the run is read")
        app.query_one(RunsList).select("run-1")
        for fault in KINDS:
            backend.fail("/train/stop/", fault)
            backend.fail("/train/active", fault)
            app.clear_notifications()
            await until(pilot, lambda: not toasts_on_screen(app), "the last fault's toasts gone")
            since = time.time()
            # The stop and the listing at once: a fault that never answers costs one timeout, not two.
            await pilot.press("x", "y")
            app.refresh_listing()
            await until(pilot, lambda: toasts_on_screen(app), f"the stop toast for {fault.name}")
            toast = toasts_on_screen(app)
            if fault.name in STOP_WORDS:
                assert all(words in toast for words in STOP_WORDS[fault.name]), toast
            else:
                assert_names(toast, fault)
            await until(pilot, lambda since=since: listing_errors(app, since), f"the listing error for {fault.name}")
            assert_names(listing_errors(app, since)[-1], fault)


async def test_a_run_id_from_the_server_is_sent_as_one_path_segment(backend):
    """Found by the hostile server: an id with an escape in it made httpx raise InvalidURL, an internal error."""
    api = TalentFactoryApi(backend.url, trust_env=False)
    try:
        await api.status("\x1b[31m../x?y")
        await api.stop("a/b")
    finally:
        await api.aclose()
    assert backend.requests[-2:] == ["GET /train/status/%1B%5B31m..%2Fx%3Fy", "POST /train/stop/a%2Fb"]
