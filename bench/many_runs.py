"""Ten thousand runs (issue 25): tf-tui on a backend listing 10,000 runs, nearly all ended, as the deployed
backend's `/train/active` names every run since its process started. Measured from outside, on a
pseudo-terminal, as `scenarios.py` measures the others:

- first paint: from the start to the first screen with `FIRST_ROWS` run rows on it;
- the status reads the backend had answered by then, `TRICKLE_WINDOW_S` later, and `READS_COUNTED_S` after
  the start: the runs in view, then a trickle at a bounded pace (not a cascade of reads through the listing,
  each read moving a row out of view and another in);
- the dashboard's RSS, the highest sampled;
- keypress to paint for j, k, page down and a filter character: from the key's write to the first read of
  the terminal after which the screen shows what the key does (the selection moved, the page scrolled, the
  list filtered), so the header's clock or a row read meanwhile never counts as the key's paint; and the
  dashboard's CPU time over those keys.

`make bench` runs it with the other scenarios; on its own, with fewer runs if wanted:

    python -m bench.many_runs [--runs 10000] [--presses 20] [--package DIR]

`--package` runs another copy of `tf_tui/` (an earlier commit's, from `git archive`), to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.processes import (
    REPO,
    START_TIMEOUT_S,
    TF_TUI_CLIENT,
    Backend,
    Client,
    load_server,
    scratch_home,
    tf_tui_from,
)
from bench.terminal import Terminal, isolated_environment

LISTED = 10_000
GOING = 10  # the newest runs, streaming nothing (the server's rate is 0): a backend at rest
FIRST_ROWS = 5
TRICKLE_WINDOW_S = 5.0
READS_COUNTED_S = 30.0  # after the start: the reads by then say whether they cascaded through the listing
FIRST_PAINT_TIMEOUT_S = 2 * START_TIMEOUT_S  # a list that builds a widget per run takes minutes here
KEY_TIMEOUT_S = 5.0  # a key whose paint is not seen by then counts at this
KEY_SETTLE_S = 0.1  # after a key's paint, before the next key: the rest of that frame lands first
FILTER_OPENS_S = 1.0  # after `/`, before the first character: the filter field is up and focused
SHORT_ID = re.compile(r"(?<![0-9a-f-])([0-9a-f]{8}) ")
PAGE_DOWN = b"\x1b[6~"
BACKSPACE = b"\x7f"
ESCAPE = b"\x1b"
FILTER_KEYS = b"9"  # in about one id in four: the list narrows, and widens again on backspace


@dataclass
class ManyRuns:
    """What the scenario measured, once."""

    first_paint_s: float
    first_paint_cpu_s: float  # the dashboard's CPU time by then: what a loaded machine's wall clock hides
    rows_in_view: int  # run rows on the first screen that had any
    reads_at_first_paint: int
    reads_after_window: int  # TRICKLE_WINDOW_S after the first paint
    rss_mb: float  # the highest sampled
    keys_ms: dict[str, list[float]] = field(default_factory=dict)  # per key, each press's latency
    keys_missed: int = 0  # presses whose paint was never seen
    keys_cpu_s: float = 0.0  # the dashboard's CPU time over the presses
    reads_counted: int = 0  # READS_COUNTED_S after the start


def run_rows(terminal: Terminal) -> list[tuple[int, str]]:
    """(line, short id) of every run row on the screen, top first."""
    found = []
    for y, line in enumerate(terminal.lines()):
        match = SHORT_ID.search(line)
        if match is not None:
            found.append((y, match.group(1)))
    return found


def selected_row(terminal: Terminal) -> str | None:
    """The short id of the selected row: the one row whose background differs from the others'."""
    rows = run_rows(terminal)
    if len(rows) < 2:
        return None
    backgrounds = {short: tuple(terminal.backgrounds(y)[:8]) for y, short in rows}
    common, _ = Counter(backgrounds.values()).most_common(1)[0]
    odd = [short for short, background in backgrounds.items() if background != common]
    return odd[0] if len(odd) == 1 else None


def page_shown(terminal: Terminal) -> tuple[str | None, str | None]:
    """The top row and the selected one: page down from the top row moves the cursor to the last row in
    view and scrolls nothing, so the top row alone does not change."""
    rows = run_rows(terminal)
    return (rows[0][1] if rows else None), selected_row(terminal)


def shown_rows(terminal: Terminal) -> tuple[str, ...]:
    return tuple(short for _, short in run_rows(terminal))


async def _press(
    terminal: Terminal, keys: bytes, look: Callable[[Terminal], object], result: ManyRuns, name: str
) -> None:
    """Press `keys` and time it until what `look` reads of the screen changes."""
    before = look(terminal)
    sent_at = terminal.type(keys)
    try:
        painted_at = await terminal.wait(lambda: look(terminal) != before, KEY_TIMEOUT_S, f"the paint of {name}")
    except TimeoutError:
        result.keys_missed += 1
        painted_at = sent_at + KEY_TIMEOUT_S
    result.keys_ms.setdefault(name, []).append(max(0.0, painted_at - sent_at) * 1000)
    await asyncio.sleep(KEY_SETTLE_S)


async def _keys(terminal: Terminal, result: ManyRuns, presses: int) -> None:
    for _ in range(presses):
        await _press(terminal, b"j", selected_row, result, "j")
    for _ in range(presses):
        await _press(terminal, b"k", selected_row, result, "k")
    for _ in range(max(1, presses // 2)):
        await _press(terminal, PAGE_DOWN, page_shown, result, "page down")
    terminal.type(b"/")
    await asyncio.sleep(FILTER_OPENS_S)
    for _ in range(max(1, presses // 2)):
        await _press(terminal, FILTER_KEYS, shown_rows, result, "filter character")
        await _press(terminal, BACKSPACE, shown_rows, result, "filter backspace")
    terminal.type(ESCAPE)


async def _reads(backend: Backend) -> int:
    return sum(len(instance["status_reads"]) for instance in await backend.stats())


async def _reads_at(backend: Backend, at: float) -> int:
    """The status reads answered by `at` (`time.monotonic()`)."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    return await _reads(backend)


async def many_runs(presses: int, listed: int = LISTED, client: Client = TF_TUI_CLIENT) -> ManyRuns:
    """tf-tui on `listed` runs: first paint, status reads, RSS, and `presses` presses of each key."""
    async with load_server(GOING, 0, ended=listed - GOING) as backend:
        with scratch_home() as home:
            argv = client.argv(backend.urls, home)
            async with Terminal(argv, isolated_environment(home), cwd=REPO) as terminal:
                painted_at = await terminal.wait(
                    lambda: len(run_rows(terminal)) >= FIRST_ROWS, FIRST_PAINT_TIMEOUT_S, f"{FIRST_ROWS} run rows"
                )
                cpu_at_paint = terminal.cpu_seconds()
                reads_counted = asyncio.create_task(_reads_at(backend, terminal.started_at + READS_COUNTED_S))
                reads_at_paint = await _reads(backend)
                rows_in_view = len(run_rows(terminal))
                rss = [terminal.rss()]
                window_ends = painted_at + TRICKLE_WINDOW_S
                while time.monotonic() < window_ends:
                    await asyncio.sleep(min(0.25, max(0.0, window_ends - time.monotonic())))
                    rss.append(terminal.rss())
                reads_after = await _reads(backend)
                result = ManyRuns(
                    first_paint_s=painted_at - terminal.started_at,
                    first_paint_cpu_s=cpu_at_paint,
                    rows_in_view=rows_in_view,
                    reads_at_first_paint=reads_at_paint,
                    reads_after_window=reads_after,
                    rss_mb=0.0,
                )
                cpu_before_keys = terminal.cpu_seconds()
                await _keys(terminal, result, presses)
                result.keys_cpu_s = terminal.cpu_seconds() - cpu_before_keys
                rss.append(terminal.rss())
                result.rss_mb = max(rss) / 2**20
                result.reads_counted = await reads_counted
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="tf-tui on a backend listing many runs, measured once")
    parser.add_argument("--runs", type=int, default=LISTED, help="runs the backend lists")
    parser.add_argument("--presses", type=int, default=20, help="presses of j and of k; half as many of the others")
    parser.add_argument("--package", type=Path, help="the directory holding another copy of tf_tui/ to run")
    arguments = parser.parse_args()
    client = TF_TUI_CLIENT if arguments.package is None else tf_tui_from(arguments.package, "tf-tui given")
    result = asyncio.run(many_runs(arguments.presses, arguments.runs, client))
    print(json.dumps(dataclasses.asdict(result), indent=1))


if __name__ == "__main__":
    main()
