"""The start alone, as `make bench` measures it: a bare Textual app, tf-tui's first start on a backend (no
remembered rows), and its start again once it has quit with the backend's 5 runs on screen.

    .venv/bin/python -m bench.first_screen [REPEATS] [--before DIR]

With `--before`, the tf-tui package in DIR (a copy of an earlier commit's `tf_tui/`, e.g. from `git archive`)
is measured too, in the same repeats. Each repeat runs everything one after the other, so that a drift of
the machine's load touches all alike; prints every repeat, then the medians and their ratios to the bare
app's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from pathlib import Path

from bench.processes import TF_TUI_CLIENT, Client, tf_tui_from
from bench.scenarios import bare_first_frame, first_frame, remembered_first_screen


async def measure(repeats: int, clients: dict[str, Client]) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"bare Textual app": []}
    for repeat in range(repeats):
        figures["bare Textual app"].append(await bare_first_frame())
        for name, client in clients.items():
            cold = await first_frame(client)
            again = await remembered_first_screen(client)
            for label, value in (("first start, live rows", cold), ("again, first screen", again.shown_s)):
                figures.setdefault(f"{name}: {label}", []).append(value)
            figures.setdefault(f"{name}: again, live rows", []).append(again.live_s)
        print(f"#{repeat + 1}: " + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in figures.items()))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repeats", type=int, nargs="?", default=3)
    parser.add_argument("--before", type=Path, help="a directory holding an earlier commit's tf_tui package")
    args = parser.parse_args()
    clients = {"tf-tui": TF_TUI_CLIENT}
    if args.before is not None:
        clients = {"before": tf_tui_from(args.before.resolve(), "before"), **clients}
    figures = asyncio.run(measure(args.repeats, clients))
    bare = statistics.median(figures["bare Textual app"])
    for name, values in figures.items():
        median = statistics.median(values)
        spread = f"min {min(values):.2f}, max {max(values):.2f}"
        print(f"{name:>34}: median {median:.2f} s ({spread}), {median / bare:.2f}x bare")


if __name__ == "__main__":
    main()
