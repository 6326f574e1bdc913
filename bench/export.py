"""`tf-tui export --metrics` of many runs with long histories, measured from outside: its wall time, the
rows it wrote and its memory over the run (sampled), against the load server's stored histories.

    python -m bench.export --runs 1000 --points 2000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from dataclasses import dataclass

import psutil

from bench.processes import headless_tf_tui, load_server, scratch_home

RSS_EVERY_S = 0.1
READ_SIZE = 1 << 16


@dataclass(frozen=True)
class Exported:
    seconds: float
    rows: int
    rss_mb: list[float]  # sampled while it ran
    cpu_s: float  # its CPU time (user and system) at the last sample: what it cost whatever else ran

    @property
    def growth_mb(self) -> float:
        """RSS at the end less RSS a quarter of the way in: a streamed export stops growing early."""
        samples = self.rss_mb
        return samples[-1] - samples[len(samples) // 4] if len(samples) >= 4 else float("nan")


async def export_metrics(runs: int, points: int) -> Exported:
    """`tf-tui export --metrics` of `runs` runs of `points` points each, its CSV read and counted as it comes."""
    async with load_server(runs, 0, history_points=points) as backend:
        with scratch_home() as home:
            began = time.monotonic()
            process = await headless_tf_tui("export", backend.url, home, "--metrics")
            assert process.stdout is not None
            measured = psutil.Process(process.pid)
            rss: list[float] = []
            rows, sampled, cpu = 0, 0.0, 0.0
            while chunk := await process.stdout.read(READ_SIZE):
                rows += chunk.count(b"\n")
                if time.monotonic() - sampled >= RSS_EVERY_S:
                    sampled = time.monotonic()
                    with contextlib.suppress(psutil.Error):
                        rss.append(measured.memory_info().rss / 2**20)
                        times = measured.cpu_times()
                        cpu = times.user + times.system
            code = await process.wait()
            took = time.monotonic() - began
    if code != 0:
        raise RuntimeError(f"tf-tui export exited {code}")
    return Exported(took, rows - 1, rss, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=2000)
    arguments = parser.parse_args()
    result = asyncio.run(export_metrics(arguments.runs, arguments.points))
    print(
        f"{arguments.runs:,} runs x {arguments.points:,} points: {result.seconds:.1f} s ({result.cpu_s:.1f} s CPU), "
        f"{result.rows:,} rows, "
        f"RSS max {max(result.rss_mb):.0f} MB, growth {result.growth_mb:+.1f} MB"
    )


if __name__ == "__main__":
    main()
