"""What a dashboard left open asks its backend while nothing changes: at most 4 requests a minute.

Counted per turn of the dashboard's listing, with the listing's and the machine line's timers made short,
then said per minute at their real pace. On the deployed backend (the scripted one) `GET /env/check` gives
fixed figures and each read writes an audit line and may run nvidia-smi: it is read once, and again on `r`;
`/dashboard` (nvidia-smi too) only when the listing may learn something from it. The reference server's
machine figures are live: read while the line is shown, at the pace of the listing.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.scripted_backend import running_backend
from tests.ui.screen import until
from tests.ui.test_dashboard import SIZE, dashboard, header
from tests.ui.test_environment_line import requests_served
from tf_tui.core import machine_reads
from tf_tui.ui import app as app_module
from tf_tui.ui.widgets import environment_line
from tf_tui.ui.widgets.environment_line import EnvironmentLine

BUDGET_PER_MINUTE = 4
LISTINGS_A_MINUTE = 60 / app_module.LISTING_INTERVAL_S  # at the real pace
MACHINE_READS_A_MINUTE = 60 / machine_reads.LIVE_EVERY_S  # at the real pace, where the figures are live
CYCLES = 5  # turns of the listing counted
ENDED = {"status": "completed", "progress": 95, "started_at": "2026-11-29T01:00:00"}


def quiet(requests: list[str], listing: str, allowed: set[str]) -> bool:
    """The start's one-time reads are over: the last two turns of the listing asked nothing but `allowed`."""
    turns = [index for index, request in enumerate(requests) if request == listing]
    return len(turns) >= 2 and set(requests[turns[-2] :]) <= allowed


@pytest.fixture
def quick_timers(monkeypatch):
    """A listing every 0.3 s and the machine line's timer every 50 ms: many turns in a short test."""
    monkeypatch.setattr(app_module, "LISTING_INTERVAL_S", 0.3)
    monkeypatch.setattr(environment_line, "TICK_S", 0.05)


async def test_on_the_deployed_backend_a_listing_is_one_request_and_the_machine_is_read_once(tmp_path, quick_timers):
    async with running_backend() as backend:
        for index in range(3):  # runs that ended before the dashboard opened: nothing will change
            train_id = f"{index:08x}-0000-4000-8000-000000000000"
            backend.status_bodies[train_id] = dict(ENDED)
            backend.created[train_id] = {"base_model": "m", "created_at": "2026-11-29T01:00:00"}
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            line = app.query_one(EnvironmentLine)
            await until(pilot, lambda: "live" in header(app) and line.reads == 1, "live, the machine read")
            await until(pilot, lambda: len(set(backend.status_reads)) == 3, "every run read")
            await until(pilot, lambda: quiet(backend.requests, "/train/active", {"/train/active"}), "settled")
            settled, ticks = len(backend.requests), line.ticks
            await until(
                pilot,
                lambda: backend.requests[settled:].count("/train/active") >= CYCLES,
                f"{CYCLES} turns of the listing",
            )
            made = Counter(backend.requests[settled:])
            assert set(made) == {"/train/active"}, made  # no machine, no /dashboard, no status read
            assert line.reads == 1
            assert line.ticks == ticks  # with no read due, its timer rests: an idle dashboard wakes for nothing
            assert made["/train/active"] / made.total() * LISTINGS_A_MINUTE <= BUDGET_PER_MINUTE

            asked = len(backend.requests)
            await pilot.press("r")  # on demand: the machine and the recent runs are read again
            await until(
                pilot,
                lambda: {"/env/check", "/dashboard"} <= set(backend.requests[asked:]) and line.reads == 2,
                "the machine and /dashboard read again",
            )
            again = len(backend.requests)
            await until(
                pilot,
                lambda: backend.requests[again:].count("/train/active") >= CYCLES,
                f"{CYCLES} more turns of the listing",
            )
            assert set(backend.requests[again:]) == {"/train/active"}


async def test_live_machine_figures_are_read_at_the_listing_s_pace(start_server, tmp_path, quick_timers, monkeypatch):
    monkeypatch.setattr(machine_reads, "LIVE_EVERY_S", app_module.LISTING_INTERVAL_S)
    server = start_server()  # its own: its access log counts this test's requests only, and it has no runs
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        line = app.query_one(EnvironmentLine)
        await until(pilot, lambda: "live" in header(app) and line.reads >= 1, "live, the machine read")
        steady = {"GET /train/active", "GET /env/check"}
        await until(pilot, lambda: quiet(requests_served(server), "GET /train/active", steady), "settled")
        settled = len(requests_served(server))
        await until(
            pilot,
            lambda: requests_served(server)[settled:].count("GET /train/active") >= CYCLES,
            f"{CYCLES} turns of the listing",
        )
        made = Counter(requests_served(server)[settled:])
        cycles = made.pop("GET /train/active")
        machine = made.pop("GET /env/check", 0)
        assert not made, made  # nothing else
        assert 1 <= machine <= cycles + 1  # a read per turn at most, the one on its way at the start counted
        assert LISTINGS_A_MINUTE + MACHINE_READS_A_MINUTE <= BUDGET_PER_MINUTE
