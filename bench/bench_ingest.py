"""How fast frames go from the wire to the screen, and how much the dashboard coalesces repaints.

Run: `make bench` (or `.venv/bin/python bench/bench_ingest.py`). Prints medians over repeats; the
machine is shared, so compare ratios, not absolute times, between runs.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from tf_tui.protocol import parse_frame
from tf_tui.store import RunStore, Source
from tf_tui.ui.demo import demo_app

FRAMES = 20_000
REPEATS = 7
DASHBOARD_REPEATS = 5
RUNS = 8


def frames(count: int) -> list[str]:
    return [
        json.dumps(
            {
                "type": "training_update",
                "train_id": f"run-{index % RUNS}",
                "timestamp": "2026-11-29T02:00:00",
                "data": {
                    "progress": index * 100 // count,
                    "status": "training",
                    "details": {"step": index, "total_steps": count, "loss": 4.0 / (1 + index), "eta_s": 1.0},
                },
            }
        )
        for index in range(count)
    ]


def bench_core(wire: list[str]) -> float:
    """Median microseconds per frame for parse + merge, the per-frame work of every view."""
    timings = []
    for _ in range(REPEATS):
        store = RunStore()
        began = time.perf_counter()
        for raw in wire:
            store.apply(parse_frame(raw), Source.WS, 0.0)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - began) / len(wire) * 1e6)
    return statistics.median(timings)


async def bench_dashboard(wire: list[str]) -> tuple[float, int, float]:
    """Frames fed to a live dashboard in bursts, as a fast backend sends them; counts the repaints."""
    with tempfile.TemporaryDirectory() as scratch:
        app = demo_app(Path(scratch))
        flushes = 0
        async with app.run_test(size=(120, 40)) as pilot:
            original = app._flush

            def counted() -> None:
                nonlocal flushes
                flushes += 1
                original()

            app._flush = counted  # type: ignore[method-assign]
            session = app.session
            began = time.perf_counter()
            for start in range(0, len(wire), 50):  # bursts of 50 frames, then the loop breathes
                for raw in wire[start : start + 50]:
                    session._on_event(parse_frame(raw))
                await asyncio.sleep(0)
            elapsed = time.perf_counter() - began
            await pilot.pause(0.3)  # the last repaint
        return elapsed / len(wire) * 1e6, flushes, len(wire) / max(1, flushes)


def main() -> None:
    wire = frames(FRAMES)
    core = bench_core(wire)
    dashboard = [asyncio.run(bench_dashboard(wire[:5000])) for _ in range(DASHBOARD_REPEATS)]
    per_frame = statistics.median(result[0] for result in dashboard)
    flushes = round(statistics.median(result[1] for result in dashboard))
    ratio = statistics.median(result[2] for result in dashboard)
    print(f"parse + merge: median {core:.1f} us per frame over {REPEATS} x {FRAMES} frames")
    print(f"dashboard: median {per_frame:.1f} us per frame end to end over {DASHBOARD_REPEATS} x 5000 frames")
    print(f"dashboard: median {flushes} repaints for 5000 frames, {ratio:.0f} frames per repaint")


if __name__ == "__main__":
    main()
