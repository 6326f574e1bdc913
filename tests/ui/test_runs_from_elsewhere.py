"""An open dashboard shows runs started elsewhere at once, not at its next 30 s listing: announced by the
reference server, or recorded in the state file by another tf-tui process. Against the real reference server."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tests.conftest import DEADLINE_S, ENDLESS_PARAMS, FAST_BACKOFF, ListingCounter, client_settings
from tests.proxy import socket_gate
from tests.ui.screen import row_on_screen, until
from tf_tui.core.session import Session
from tf_tui.ui import app as app_module
from tf_tui.ui.app import TfTuiApp

SIZE = (110, 32)


@pytest.fixture(autouse=True)
def no_periodic_listing(monkeypatch):
    """Only the listing at start-up: a run the dashboard shows later was not found by a listing."""
    monkeypatch.setattr(app_module, "LISTING_INTERVAL_S", 3600.0)


def counted_dashboard(url: str, directory: Path) -> tuple[TfTuiApp, ListingCounter]:
    session = Session(client_settings(url, directory), backoff=FAST_BACKOFF)
    session.api = counter = ListingCounter(session.api)
    return TfTuiApp(session), counter


async def start_elsewhere(url: str, directory: Path) -> str:
    """`tf-tui start` in a process of its own, sharing the dashboard's state file; the run's id."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tf_tui",
        "--url",
        url,
        "start",
        "--model",
        "tiny",
        "--dataset",
        "builtin-arithmetic",
        "--param",
        f"max_steps={ENDLESS_PARAMS['max_steps']}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            "TF_TUI_STATE_FILE": str(directory / "state.json"),
            "TF_TUI_LOG_FILE": str(directory / "start.log"),
            "TF_TUI_CONFIG": str(directory / "no-config.toml"),
            "PATH": "/usr/bin:/bin",
        },
    )
    out, err = await asyncio.wait_for(process.communicate(), DEADLINE_S)
    assert process.returncode == 0, err.decode()
    return out.decode().strip()


async def test_the_dashboard_shows_a_run_another_client_started_as_the_server_announces_it(server, http, tmp_path):
    app, counter = counted_dashboard(server.url, tmp_path)
    train_id = ""
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.session.stream.live and counter.listings == 2, "live, and listed once")
            reply = await http.post(
                "/train/start",
                json={"base_model": "tiny", "dataset_ids": ["builtin-arithmetic"], "params": ENDLESS_PARAMS},
            )
            train_id = reply.json()["train_id"]
            await until(pilot, lambda: "tiny" in row_on_screen(app, train_id), "the announced run's row")
            assert train_id in app.session.watched and counter.listings == 2
    finally:
        if train_id:
            await http.post(f"/train/stop/{train_id}")


async def test_the_dashboard_shows_a_run_a_headless_start_recorded_in_the_state_file(server, http, tmp_path):
    # The dashboard's socket is refused: no announcement can reach it, only the state file tells of the run.
    async with socket_gate(server.port) as gate:
        gate.refuse_websockets = True
        app, counter = counted_dashboard(gate.url, tmp_path)
        train_id = ""
        try:
            async with app.run_test(size=SIZE) as pilot:
                await until(pilot, lambda: counter.listings == 2, "listed once")
                train_id = await start_elsewhere(gate.url, tmp_path)
                await until(pilot, lambda: train_id in app.session.watched, "the recorded run is watched")
                await until(pilot, lambda: "tiny" in row_on_screen(app, train_id), "the recorded run's row")
                assert counter.listings == 2
        finally:
            if train_id:
                await http.post(f"/train/stop/{train_id}")
