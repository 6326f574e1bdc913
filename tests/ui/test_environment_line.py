"""The machine's line under the header (`GET /env/check`): the reference server's real figures, the
deployed backend's shape, a failure in words, the selected run's backend in a fleet, a refresh only
while the line is on screen, and never a call to the deployed backend's `/dependencies/*` routes."""

from __future__ import annotations

import os
import re

import pytest
from fastapi.responses import PlainTextResponse

from tests.scripted_backend import running_backend
from tests.ui.screen import shown_in, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard, header, open_start_dialog
from tf_tui.core import machine_reads
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import NOW, demo_fleet
from tf_tui.ui.widgets import environment_line
from tf_tui.ui.widgets.environment_line import EnvironmentLine
from tf_tui.ui.widgets.runs_list import RunsList

HIDDEN_TICKS = 5  # turns of the refresh timer that must go by without a read while the line is hidden


@pytest.fixture
def quick_refresh(monkeypatch):
    """A turn of the timer every 50 ms and live figures read every other one, so that many go by in a test."""
    monkeypatch.setattr(environment_line, "TICK_S", 0.05)
    monkeypatch.setattr(machine_reads, "LIVE_EVERY_S", 0.1)


def requests_served(server) -> list[str]:
    """`GET /env/check`, one for each request the server answered, from its access log."""
    return re.findall(r'"([A-Z]+ \S+) HTTP/1\.1"', server.log_path.read_text(errors="replace"))


def cores() -> str:
    count = os.cpu_count()
    return f"{count} core{'' if count == 1 else 's'}"


async def assert_no_reads_while_hidden(pilot, line: EnvironmentLine, server) -> None:
    """Once hidden and done with the read it may have had on its way, the line asks nothing more while
    several turns of its timer go by: none read by the app, none served by the server."""
    ticks = line.ticks
    await until(pilot, lambda: line.ticks > ticks and not line.reading, "a turn of the timer with no read going")
    reads, served, ticks = line.reads, requests_served(server).count("GET /env/check"), line.ticks
    await until(pilot, lambda: line.ticks >= ticks + HIDDEN_TICKS, f"{HIDDEN_TICKS} more turns of the timer")
    assert line.reads == reads
    assert requests_served(server).count("GET /env/check") == served


async def test_the_line_shows_the_machine_and_reads_it_only_while_shown(start_server, tmp_path, quick_refresh):
    server = start_server()  # its own: its access log counts this test's requests only
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        line = app.query_one(EnvironmentLine)
        await until(pilot, lambda: cores() in shown_in(app, line), "the machine's cores on the line")
        # Live figures besides: the cores' use, the RAM in use of all.
        assert re.search(r"box: .+ · \d+ cores? \d+% · RAM [\d.]+/[\d.]+ GB · ready", shown_in(app, line))
        reads = line.reads
        await until(pilot, lambda: line.reads >= reads + 2, "it reads again while shown")

        await open_start_dialog(app, pilot)  # another screen on top
        await assert_no_reads_while_hidden(pilot, line, server)
        await pilot.press("escape")
        reads = line.reads
        await until(pilot, lambda: line.reads > reads, "it reads again once in front")

        await pilot.resize_terminal(60, 24)  # too narrow for the line
        await until(pilot, lambda: not line.display, "a narrow terminal hides it")
        await assert_no_reads_while_hidden(pilot, line, server)
        await pilot.resize_terminal(*SIZE)
        reads = line.reads
        await until(pilot, lambda: line.reads > reads, "it reads again once there is room")
    served = requests_served(server)
    assert served.count("GET /env/check") >= line.reads
    assert not [request for request in served if " /dependencies" in request], served


async def test_the_deployed_shape_shows_what_it_has_and_a_failure_reads_in_words(tmp_path, quick_refresh):
    async with running_backend() as backend:
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            line = app.query_one(EnvironmentLine)
            await until_shown(pilot, "box: no GPU · 8 cores · 15.6 GB RAM · ready")
            assert "%" not in shown_in(app, line)  # no live figures there, and none made up
            await until(pilot, lambda: "live" in header(app), "the socket is live")
            backend.environment = PlainTextResponse("Internal Server Error", status_code=500)
            await pilot.press("r")  # fixed figures are read again only when asked
            await until_shown(pilot, "box: unknown (GET /env/check: HTTP 500, Internal Server Error)")
            assert "live" in header(app)  # the rest goes on as before
            backend.environment = {"gpu_name": "NVIDIA T4", "vram_gb": 16, "cpu_cores": 8, "ram_gb": 15.6}
            await pilot.press("r")
            await until_shown(pilot, "box: NVIDIA T4 16 GB · 8 cores · 15.6 GB RAM")


async def test_a_fleet_shows_the_selected_runs_backend(tmp_path):
    app = TfTuiApp(demo_fleet(tmp_path), connect=False, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        for backend in ("gpu2", "gpu1"):
            runs.select(next(iter(app.fleet.sessions[backend].store.runs)), backend)
            await until_shown(pilot, f" {backend} box: NVIDIA")
