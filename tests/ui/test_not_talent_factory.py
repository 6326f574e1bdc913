"""The dashboard pointed at a plain web server (`python3 -m http.server`): the header names it as not Talent
Factory with what it answered, and the socket, the polls and the machine's line are retried once a minute,
not every few seconds."""

from __future__ import annotations

import time

from tests.plain_web_server import plain_web_server
from tests.ui.screen import shown_in, until
from tests.ui.test_dashboard import SIZE, dashboard, header
from tf_tui.client.recognition import NOT_TALENT_FACTORY_RETRY_S
from tf_tui.client.stream import Phase
from tf_tui.core.state import StateFile
from tf_tui.ui.screens.watch import WatchScreen
from tf_tui.ui.widgets import environment_line
from tf_tui.ui.widgets.environment_line import EnvironmentLine

RUN = "0123456789abcdef0123456789abcdef"
QUICK_TICKS = 5  # turns of the machine line's timer that go by without a read


async def test_the_header_names_a_plain_web_server_and_retries_slow_down(tmp_path, monkeypatch):
    monkeypatch.setattr(environment_line, "TICK_S", 0.05)  # many turns of its timer in a short test
    with plain_web_server(tmp_path) as web:
        StateFile(tmp_path / "state.json").add_many(web.url, [RUN])  # a remembered run: its status is polled
        app = dashboard(web.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "not a Talent Factory backend" in header(app), "the header names it")
            assert "● failed: not a Talent Factory backend: GET /health answered HTTP 404" in header(app)
            session = app.session
            assert session.poll_interval == NOT_TALENT_FACTORY_RETRY_S
            await until(
                pilot,
                lambda: (
                    session.stream.state.phase is Phase.RETRYING
                    and (session.stream.state.retry_at or 0) - time.time() > NOT_TALENT_FACTORY_RETRY_S / 2
                ),
                "the socket's next attempt a minute away",
            )
            attempts = session.stream.state.attempt
            line = app.query_one(EnvironmentLine)
            await until(pilot, lambda: "not a Talent Factory backend" in shown_in(app, line), "the machine's line")
            reads, ticks = line.reads, line.ticks
            await until(pilot, lambda: line.ticks >= ticks + QUICK_TICKS, f"{QUICK_TICKS} turns of its timer")
            assert line.reads == reads  # none of them read the backend again
            assert session.stream.state.attempt == attempts


async def test_watching_an_id_on_a_plain_web_server_says_why_and_adds_no_row(tmp_path):
    with plain_web_server(tmp_path) as web:
        app = dashboard(web.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("w")
            await until(pilot, lambda: isinstance(app.screen, WatchScreen), "the watch dialog")
            await pilot.press(*"abcd1234", "enter")
            error = app.screen.query_one("#watch-error")
            await until(pilot, lambda: "is not a Talent Factory backend" in shown_in(app, error), "the dialog says why")
            assert isinstance(app.screen, WatchScreen) and not app.session.store.runs
