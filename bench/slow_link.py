"""The everyday case (5 runs, 5 updates/s) with each client's terminal read at 4 KB/s, as over a slow SSH link
(`pv -L 4k`): how far behind the stream each screen is. `make bench` runs it among the rest; alone:

    python -m bench.slow_link [--repeats 3] [--window 6]
"""

from __future__ import annotations

import argparse
import asyncio

from bench.processes import CLIENTS
from bench.report import percentile
from bench.scenarios import live

LINK_BPS = 4096  # as `pv -L 4k`
WARMUP_S = 3.0  # the first screen takes seconds to cross such a link


async def _measure(repeats: int, window_s: float) -> None:
    for repeat in range(repeats):
        for client in CLIENTS:
            result = await live(client, 5, 5, window_s, link_rate=LINK_BPS, warmup_s=WARMUP_S)
            latencies = result.latencies_ms
            print(
                f"#{repeat + 1} {client.name}: behind p50 {percentile(latencies, 0.5):.0f} ms, "
                f"p99 {percentile(latencies, 0.99):.0f} ms, max {max(latencies, default=float('nan')):.0f} ms, "
                f"{result.bytes_per_s:,.0f} B/s, CPU {result.cpu_percent:.1f} %, frames never shown {result.unseen}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--window", type=float, default=6, help="seconds measured")
    arguments = parser.parse_args()
    asyncio.run(_measure(arguments.repeats, arguments.window))


if __name__ == "__main__":
    main()
