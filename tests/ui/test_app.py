"""The first screen, driven with Textual's pilot against the real reference server."""

from __future__ import annotations

import time

from textual.widgets import Static

from tests.conftest import DEADLINE_S
from tf_tui.ui.app import TfTuiApp


async def shown_text(app: TfTuiApp, pilot, expected: str) -> str:
    deadline = time.monotonic() + DEADLINE_S
    text = ""
    while expected not in text:
        assert time.monotonic() < deadline, f"{expected!r} never shown; last: {text!r}"
        await pilot.pause(0.05)
        text = str(app.query_one("#backend", Static).render())
    return text


async def test_the_app_reaches_the_server(server):
    app = TfTuiApp(server.url)
    async with app.run_test() as pilot:
        text = await shown_text(app, pilot, "healthy")
        assert "3 model sizes" in text
        await pilot.press("q")
    assert app.return_code == 0


async def test_an_unreachable_backend_is_said_in_words(start_server):
    gone = start_server()
    url = gone.url
    gone.kill()
    app = TfTuiApp(url)
    async with app.run_test() as pilot:
        assert "does not answer" in await shown_text(app, pilot, "does not answer")
