"""What the dashboard imports before its first screen: neither the HTTP nor the WebSocket library, nor the
screens that only a key opens, nor the TOML parser when there is no config file; and no garbage collection
until that screen is up. Structural, not timed: a fresh interpreter paints the first screen, then connects,
and says which modules it had and whether the collector ran at each point."""

from __future__ import annotations

import json
import subprocess
import sys

# Each imported by what needs it: the first request, the first connection, the key that opens the screen.
NOT_FOR_THE_FIRST_SCREEN = (
    "httpx",
    "websockets",
    "tf_tui.ui.screens.start",
    "tf_tui.ui.screens.compare",
    "tf_tui.ui.screens.datasets",
    "tf_tui.ui.screens.talents",
    "tf_tui.ui.screens.run_log",
    "tf_tui.ui.screens.help",
    "tf_tui.ui.screens.event_log",
    "tf_tui.ui.screens.publish",
    "tf_tui.ui.screens.watch",
    "tf_tui.ui.screens.backend",
    "tf_tui.ui.screens.confirm",
    "tomllib",  # only when there is a config file to read
)

PROBE = """
import asyncio, gc, json, sys
from pathlib import Path

from tf_tui.base import start_collection

start_collection.hold()  # as the CLI does for the dashboard, before its imports
from tf_tui.core.config import Settings
from tf_tui.ui.launch import run_dashboard  # the CLI's own way in
from tf_tui.ui.app import make_app

watched = {watched!r}
directory = Path({directory!r})
settings = Settings(url={url!r}, state_file=directory / "state.json", log_file=directory / "tf-tui.log")
seen = {{}}

async def main():
    app = make_app(settings, connect=False)
    paint = app._paint_changes

    def first_paint():  # the first is on_mount's: the first screen's rows and header
        seen.setdefault("first screen", [name for name in watched if name in sys.modules])
        seen.setdefault("collecting at the first screen", gc.isenabled())
        paint()

    app._paint_changes = first_paint
    async with app.run_test() as pilot:
        await pilot.pause()
        await app.fleet.open(follow_all=True)
        await app.fleet.refresh_listings()
        seen["connected"] = [name for name in watched if name in sys.modules]
        seen["collecting once connected"] = gc.isenabled()
        seen["frozen once connected"] = gc.get_freeze_count()

asyncio.run(main())
print(json.dumps(seen))
"""


def test_the_first_screen_waits_for_neither_the_network_libraries_nor_the_other_screens(tmp_path):
    # Port 9 (discard) on this machine: nothing answers, the connection is refused at once.
    probe = PROBE.format(watched=NOT_FOR_THE_FIRST_SCREEN, directory=str(tmp_path), url="http://127.0.0.1:9")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["first screen"] == []
    # The collector is off until the first screen is painted, then on, the start's objects left out of it.
    assert seen["collecting at the first screen"] is False
    assert seen["collecting once connected"] is True
    assert seen["frozen once connected"] > 0
    # The session imports them as it connects: the names above are the ones it uses.
    assert {"httpx", "websockets"} <= set(seen["connected"])
