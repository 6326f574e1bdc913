"""A bare Textual app changing its lines at the live scenarios' rates: what Textual itself costs a client.

One `Static` a line, one line's text changed per update (`layout=False`: no layout of the screen), driven
by a timer, so no network, no parsing, no store: what Textual itself costs to put those updates on a
terminal. Measured from outside as the live scenarios measure a client (`bench/scenarios.py`): the
process's CPU over a window on a pseudo-terminal.

    python -m bench.textual_floor [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys

from textual.app import App, ComposeResult
from textual.widgets import Static

from bench.processes import REPO, START_TIMEOUT_S, scratch_home
from bench.terminal import Terminal, isolated_environment

READY = "floor ready"
WARMUP_S = 1.0
CASES = ((5, 5.0, 6.0), (100, 100.0, 4.0))  # lines, updates a second in all, window: everyday's and busy's


class FloorApp(App[None]):
    """`lines` lines, one of them changed `rate` times a second in turn."""

    def __init__(self, lines: int, rate: float) -> None:
        super().__init__()
        self._lines = [Static(f"run {line:3d} step 0 loss 1.0000") for line in range(lines)]
        self._rate = rate
        self._updates = itertools.count(1)

    def compose(self) -> ComposeResult:
        yield Static(READY)
        yield from self._lines

    def on_mount(self) -> None:
        self.set_interval(1 / self._rate, self._update)

    def _update(self) -> None:
        update = next(self._updates)
        line = update % len(self._lines)
        self._lines[line].update(f"run {line:3d} step {update} loss {1 / update:.4f}", layout=False)


async def cpu_percent(lines: int, rate: float, window_s: float) -> float:
    """The floor app's CPU over `window_s`, in % of one core."""
    argv = [sys.executable, "-m", "bench.textual_floor", "--app", str(lines), str(rate)]
    with scratch_home() as home:
        async with Terminal(argv, isolated_environment(home), cwd=REPO) as terminal:
            await terminal.wait(lambda: READY in terminal.text(), START_TIMEOUT_S, "the floor app")
            await asyncio.sleep(WARMUP_S)
            began = terminal.cpu_seconds()
            await asyncio.sleep(window_s)
            return 100 * (terminal.cpu_seconds() - began) / window_s


async def measure(repeats: int) -> None:
    for lines, rate, window_s in CASES:
        runs = [await cpu_percent(lines, rate, window_s) for _ in range(repeats)]
        shown = ", ".join(f"{run:.1f}" for run in runs)
        print(f"{lines} lines, {rate:g} updates/s: CPU median {statistics.median(runs):.1f} % ({shown})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--app", nargs=2, metavar=("LINES", "RATE"), help="run the floor app itself")
    arguments = parser.parse_args()
    if arguments.app:
        FloorApp(int(arguments.app[0]), float(arguments.app[1])).run()
        return
    asyncio.run(measure(arguments.repeats))


if __name__ == "__main__":
    main()
