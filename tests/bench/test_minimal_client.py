"""The careful minimal client (bench/minimal_client.py) on a real pseudo-terminal, fed by the load server: it
shows every run's percentage as the harness reads rows, writes only the lines that changed, and nothing at
all while nothing changes. Keeps `make bench`'s bar from rotting unseen."""

from __future__ import annotations

import asyncio
import re
import sys

from bench.loadserver import LoadServer, Plan
from bench.minimal_client import row
from bench.processes import REPO, scratch_home
from bench.terminal import ROW, Terminal, isolated_environment
from tests.conftest import DEADLINE_S

RUNS, STEPS = 3, 20
STYLE_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
QUIET_S = 0.5  # watched after the last frame, for any write the client should not make


def test_a_row_reads_as_the_harness_reads_rows():
    data = {"status": "training", "progress": 37, "details": {"step": 37, "total_steps": 100, "loss": 0.1053}}
    match = ROW.search(_plain(row("0000002a-0000-4000-8000-00000000002a", data)))
    assert match is not None and match.groups() == ("0000002a", "37")


def _plain(text: str) -> str:
    """The text a terminal shows of what Rich wrote: its style escapes left out."""
    return STYLE_ESCAPE.sub("", text)


async def test_every_run_reaches_its_last_step_on_screen_and_a_quiet_stream_writes_nothing():
    server = LoadServer(Plan(runs=RUNS, rate=200, total_steps=STEPS))
    await server.start()
    try:
        with scratch_home() as home:
            argv = [sys.executable, "-m", "bench.minimal_client", server.url]
            async with Terminal(argv, isolated_environment(home), cwd=REPO) as terminal:
                await terminal.wait(lambda: len(terminal.screen.visible()) == RUNS, DEADLINE_S, "a row per run")
                server.go()
                shorts = [key[:8] for key in server.runs]
                await terminal.wait(
                    lambda: all(terminal.screen.highest(short) == 100 for short in shorts), DEADLINE_S, "100 %"
                )
                written = terminal.screen.bytes_read
                await asyncio.sleep(QUIET_S)  # a span with nothing to paint: its writes are counted, not awaited
                assert terminal.screen.bytes_read == written
    finally:
        await server.stop()
