"""The run's log view (`o`) following a run that writes thousands of lines a second, measured from outside.

The dashboard watches the everyday stream (5 runs at 5 updates/s) while every run's log grows at `rate`
numbered lines a second (`bench/growing_log.py`). After a few seconds of log (longer than the tail the view
reads from), `o` opens the selected run's log. Measured, on the real pseudo-terminal:

- while it follows: the dashboard's CPU, and how far the newest line on screen is behind its writing;
- keys: from each key's send to the first read of the terminal that shows its effect. Page up, page down
  and end from a place scrolled away from the end (there the lines on screen stay put however fast the log
  grows), `/` and each character of a search typed while the log pours in;
- nothing lost: the log stops, and the view is walked page by page from its newest line to its oldest:
  the lines seen must be the last MAX_LINES lines the server wrote, every one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.growing_log import NUMBER
from bench.processes import REPO, START_TIMEOUT_S, TF_TUI_CLIENT, Backend, load_server, scratch_home
from bench.report import percentile
from bench.scenarios import SETTLE_S, _every_status_read, _rows_on_screen
from bench.terminal import Terminal, isolated_environment

RUNS, UPDATES_PER_S = 5, 5  # the everyday stream beneath
MAX_LINES = 10_000  # the view keeps this many: tf_tui/ui/screens/run_log.py
HISTORY_S = 3.0  # of log written before it is opened: longer than the view's tail of 1 MiB at 5,000 lines/s
CAUGHT_UP_S = 2.0  # the view follows once its newest line is at most this old
KEY_TIMEOUT_S = 5.0
SAMPLE_S = 0.05
PAGE_TIMEOUT_S = 1.0  # a page up that changes nothing in this long: the oldest line kept is on screen
BETWEEN_KEYS_S = 0.2
ROUNDS = 3  # of page up, page down and end
SEARCH = "7 loss"  # typed a character at a time: the first matches almost every line, the whole a tenth
PAGE_UP, PAGE_DOWN, END = "\x1b[5~", "\x1b[6~", "\x1b[F"


@dataclass
class LogScreen:
    """The numbered log lines on the terminal's screen (screen line -> line number) and its other lines."""

    rows: dict[int, int] = field(default_factory=dict)
    others: dict[int, str] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)  # every line number ever on screen

    def update(self, changed: dict[int, str], _at: float) -> None:
        for y, text in changed.items():
            match = NUMBER.search(text)
            if match is None:
                self.rows.pop(y, None)
                self.others[y] = text
            else:
                self.others.pop(y, None)
                self.rows[y] = number = int(match.group(1))
                self.seen.add(number)

    @property
    def top(self) -> int:
        return min(self.rows.values(), default=-1)

    @property
    def bottom(self) -> int:
        return max(self.rows.values(), default=-1)

    def shows(self, text: str) -> bool:
        """`text` is on a screen line that is not a log line nor the title (the search box)."""
        return any(text in line and "Log of run" not in line for line in self.others.values())


@dataclass(frozen=True)
class LogView:
    opened_s: float  # from `o` to the log's newest lines on screen
    cpu_percent: float  # while following
    search_cpu_percent: float  # while following with a search's matches marked
    behind_ms: list[float]  # while following, every SAMPLE_S: how long ago the newest line on screen was written
    keys_ms: dict[str, list[float]]  # key -> each press's key-to-paint; a press never seen counts as the timeout
    lost: int  # of the last MAX_LINES lines the server wrote, how many the walk did not see
    extra: int  # lines seen on the walk that are not among them (older, or numbers never written)
    log_reads_per_s: float


async def log_view(rate: float, window_s: float, *, link_rate: float | None = None) -> LogView:
    """`link_rate`: the terminal read at that many bytes a second at most (`bench/slow_link.py`)."""
    screen = LogScreen()
    async with load_server(RUNS, UPDATES_PER_S, steps=10_000, log_rate=rate) as backend:
        with scratch_home() as home:
            argv = TF_TUI_CLIENT.argv(backend.urls, home)
            environment = isolated_environment(home)
            terminal = Terminal(argv, environment, cwd=REPO, on_lines=screen.update, read_rate=link_rate)
            async with terminal:
                await terminal.wait(lambda: _rows_on_screen(terminal, RUNS), START_TIMEOUT_S, "the first rows")
                await _every_status_read(backend, RUNS)
                await asyncio.sleep(SETTLE_S)
                await backend.go()
                await asyncio.sleep(HISTORY_S)
                log = await _log_state(backend)
                opened_at = terminal.type(b"o")
                shown = await terminal.wait(
                    lambda: screen.bottom >= _written(log, time.monotonic() - CAUGHT_UP_S),
                    START_TIMEOUT_S,
                    "the log's newest lines",
                )
                opened_s = shown - opened_at
                cpu, behind, reads = await _follow(terminal, backend, screen, log, window_s)
                keys: dict[str, list[float]] = {}
                for _ in range(ROUNDS):
                    await _scroll_keys(terminal, screen, keys)
                await _search_keys(terminal, screen, keys)
                search_cpu, *_ = await _follow(terminal, backend, screen, log, window_s / 2)
                written = await _stop_log(backend)
                lost, extra = await _walk(
                    terminal, screen, written, PAGE_TIMEOUT_S if link_rate is None else KEY_TIMEOUT_S
                )
    return LogView(
        opened_s=opened_s,
        cpu_percent=cpu,
        search_cpu_percent=search_cpu,
        behind_ms=behind,
        keys_ms=keys,
        lost=lost,
        extra=extra,
        log_reads_per_s=reads,
    )


@dataclass(frozen=True)
class _Log:
    began: float
    rate: float


async def _log_state(backend: Backend) -> _Log:
    state = (await backend.http.get(f"{backend.url}/_bench/log")).json()
    return _Log(state["began"], state["rate"])


async def _stop_log(backend: Backend) -> int:
    return int((await backend.http.get(f"{backend.url}/_bench/log", params={"stop": "1"})).json()["lines"])


def _written(log: _Log, at: float) -> int:
    """The newest line written by `at`."""
    return int((at - log.began) * log.rate) - 1


async def _log_reads(backend: Backend) -> int:
    return int((await backend.stats())[0]["log_reads"])


async def _follow(
    terminal: Terminal, backend: Backend, screen: LogScreen, log: _Log, window_s: float
) -> tuple[float, list[float], float]:
    """CPU %, how old the newest line on screen was every SAMPLE_S (ms), log reads a second."""
    terminal.type(END.encode())
    await terminal.wait(
        lambda: screen.bottom >= _written(log, time.monotonic() - CAUGHT_UP_S), KEY_TIMEOUT_S, "following again"
    )
    began, cpu, reads = time.monotonic(), terminal.cpu_seconds(), await _log_reads(backend)
    behind = []
    while (now := time.monotonic()) < began + window_s:
        behind.append(1000 * (now - (log.began + (screen.bottom + 1) / log.rate)))
        await asyncio.sleep(SAMPLE_S)
    ended = time.monotonic()
    cpu, reads = terminal.cpu_seconds() - cpu, await _log_reads(backend) - reads
    return 100 * cpu / (ended - began), behind, reads / (ended - began)


async def _press(terminal: Terminal, screen: LogScreen, key: str, effect: Callable[[], bool]) -> float:
    """Milliseconds from sending `key` to the first read after which `effect` holds (KEY_TIMEOUT_S if never)."""
    sent = terminal.type(key.encode())
    with contextlib.suppress(TimeoutError):
        seen = await terminal.wait(lambda: terminal.last_read_at > sent and effect(), KEY_TIMEOUT_S, repr(key))
        return 1000 * (seen - sent)
    return 1000 * KEY_TIMEOUT_S


async def _scroll_keys(terminal: Terminal, screen: LogScreen, keys: dict[str, list[float]]) -> None:
    """Away from the end (the first page up, not timed: its effect is mixed with the log's growth), then a page
    up, a page down and back to the end, each timed."""
    top = screen.top
    with contextlib.suppress(TimeoutError):
        terminal.type(PAGE_UP.encode())
        await terminal.wait(lambda: screen.top < top, KEY_TIMEOUT_S, "away from the end")
    moves: list[tuple[str, str, Callable[[int, int], bool]]] = [  # the effect, given the top and bottom before
        ("page up", PAGE_UP, lambda top, _: screen.top < top),
        ("page down", PAGE_DOWN, lambda top, _: screen.top > top),
        ("end", END, lambda _, bottom: screen.bottom > bottom),
    ]
    for name, key, effect in moves:
        await asyncio.sleep(BETWEEN_KEYS_S)
        moved = functools.partial(effect, screen.top, screen.bottom)
        keys.setdefault(name, []).append(await _press(terminal, screen, key, moved))
    await asyncio.sleep(BETWEEN_KEYS_S)


async def _search_keys(terminal: Terminal, screen: LogScreen, keys: dict[str, list[float]]) -> None:
    """`/`, then the search typed a character at a time, then enter (back to the log, its matches marked)."""
    keys["/"] = [await _press(terminal, screen, "/", lambda: screen.shows("search the log"))]
    for typed in range(1, len(SEARCH) + 1):
        await asyncio.sleep(BETWEEN_KEYS_S)
        term = SEARCH[:typed]
        ms = await _press(terminal, screen, term[-1], lambda term=term: screen.shows(term))  # type: ignore[misc]
        keys.setdefault("search typing", []).append(ms)
    terminal.type(b"\r")
    await asyncio.sleep(BETWEEN_KEYS_S)


async def _walk(terminal: Terminal, screen: LogScreen, written: int, page_timeout_s: float) -> tuple[int, int]:
    """From the newest line up to the oldest a page at a time; of the last MAX_LINES lines written, how many
    were not seen, and how many lines seen are not among them."""
    await _press(terminal, screen, END, lambda: screen.bottom == written - 1)
    screen.seen = set(screen.rows.values())
    while True:
        top = screen.top
        terminal.type(PAGE_UP.encode())
        try:
            await terminal.wait(lambda top=top: screen.top < top, page_timeout_s, "a page further up")  # type: ignore[misc]
        except TimeoutError:
            break  # the oldest line kept is on screen
    wanted = set(range(max(0, written - MAX_LINES), written))
    return len(wanted - screen.seen), len(screen.seen - wanted)


def summary(result: LogView) -> str:
    keys = ", ".join(
        f"{key} {percentile(values, 0.5):.0f}/{max(values):.0f} ms" for key, values in result.keys_ms.items()
    )
    return (
        f"opened in {result.opened_s:.2f} s; following: CPU {result.cpu_percent:.1f} % "
        f"(with a search {result.search_cpu_percent:.1f} %), newest line behind p50 "
        f"{percentile(result.behind_ms, 0.5):.0f} ms p99 {percentile(result.behind_ms, 0.99):.0f} ms, "
        f"{result.log_reads_per_s:.1f} reads/s; keys (p50/max): "
        f"{keys}; lost {result.lost}, extra {result.extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5000, help="lines a second of the log")
    parser.add_argument("--window", type=float, default=6, help="seconds of following measured")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--link", type=float, help="bytes a second the terminal is read at, at most")
    arguments = parser.parse_args()
    for _ in range(arguments.repeats):
        result = asyncio.run(log_view(arguments.rate, arguments.window, link_rate=arguments.link))
        print(summary(result), flush=True)


if __name__ == "__main__":
    main()
