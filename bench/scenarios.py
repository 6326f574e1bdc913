"""One measurement each: a client on a pseudo-terminal fed by the load server, measured from outside.

Latency is from a frame's send (the load server's clock) to the first read of the terminal after which
the run's row shows that percentage or a later one: a frame that a repaint skipped counts until the
newer value it was folded into is readable. Only runs whose row is on screen count.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass

import psutil

from bench.bare_app import READY
from bench.loadserver import train_id
from bench.processes import (
    REPO,
    START_TIMEOUT_S,
    TF_TUI,
    TF_TUI_CLIENT,
    Backend,
    Client,
    headless_tf_tui,
    load_server,
    scratch_home,
)
from bench.terminal import Screen, Terminal, isolated_environment

SETTLE_S = 0.5  # after every status was read, before measuring: the start's own work is not the steady state
WARMUP_S = 1.0  # after the stream starts, by default
# With no request for this long, a client's start is over: what it does after the first screen (its status
# reads paced after the listing, each run's status read again once subscribed, histories) takes seconds,
# varies from one start to the next, and is no cost of the updates a window measures.
START_SETTLED_S = 1.0
DRAIN_S = 0.5  # after the window, for the frames sent at its end to reach the screen
FIRST_ROWS = 5
RSS_EVERY_S = 0.25
HARNESS = psutil.Process()


@dataclass(frozen=True)
class Live:
    """A client watching a stream, over a window: what the table reads of it."""

    latencies_ms: list[float]
    cpu_percent: float  # user + system, % of one core
    bytes_per_s: float
    bytes_per_update: float  # bytes to the terminal per frame for a run on screen
    status_reads_per_min: float
    unseen: int  # frames of runs on screen whose value was still not readable after the drain
    server_cpu_percent: float  # whether the load server kept up
    harness_cpu_percent: float  # whether the harness (reading the terminal) kept up


def _first_shown(shown: list[tuple[float, int]], percent: int) -> float | None:
    """When the row first read `percent` or more (the percentages seen only grow)."""
    index = bisect.bisect_left([value for _, value in shown], percent)
    return shown[index][0] if index < len(shown) else None


def latencies(
    screen: Screen, sends: dict[str, list[float]], visible: set[str], window: tuple[float, float]
) -> tuple[list[float], int]:
    """Send-to-screen latency (ms) of every frame sent in the window to a run on screen; and how many frames
    never showed (counted with the time up to `end`)."""
    began, ended = window
    found, unseen = [], 0
    for key, times in sends.items():
        if key[:8] not in visible:
            continue
        shown = screen.shown.get(key[:8], [])
        for step, sent in enumerate(times, start=1):
            if not began <= sent <= ended:
                continue
            at = _first_shown(shown, step)
            if at is None:
                unseen += 1
                at = time.monotonic()
            found.append((at - sent) * 1000)
    return found, unseen


async def _every_status_read(backend: Backend, runs: int) -> None:
    """Until the client has read every run's status once: its start (listing, subscribing) is over."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while sum(len(instance["status_reads"]) for instance in await backend.stats()) < runs:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the client did not read the status of all {runs} runs in {START_TIMEOUT_S:.0f}s")
        await asyncio.sleep(0.2)


async def _requests_settled(backend: Backend, quiet_s: float) -> None:
    """Until the client has made no request for `quiet_s`: the tail of its start (reads paced after the
    first screen, a status read again once a run is subscribed) is over too."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        last = max((at for instance in await backend.stats() for at, _ in instance["requests"]), default=0.0)
        if time.monotonic() - last >= quiet_s:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the client's requests did not stop for {quiet_s:.0f}s in {START_TIMEOUT_S:.0f}s")
        await asyncio.sleep(0.2)


def _rows_on_screen(terminal: Terminal, runs: int) -> bool:
    return len(terminal.screen.visible()) >= min(runs, FIRST_ROWS)


async def live(
    client: Client,
    runs: int,
    rate: float,
    window_s: float,
    *,
    backends: int = 1,
    warmup_s: float = WARMUP_S,
    link_rate: float | None = None,
    history_points: int = 0,
) -> Live:
    """The client watches `runs` runs on each of `backends` backends while `rate` frames a second go out over
    each backend's runs (none when 0: idle); its terminal read at `link_rate` bytes a second at most, as
    over a slow link, when given; each run has a stored history of `history_points` points. The stream
    starts once the client has made no request for `START_SETTLED_S`: the window measures the rate, not the
    tail of the start."""
    async with load_server(runs, rate, instances=backends, history_points=history_points) as backend:
        with scratch_home() as home:
            if client.prepare is not None:
                client.prepare(backend.urls, home)
            argv = client.argv(backend.urls, home)
            environment = isolated_environment(home)
            async with Terminal(argv, environment, cwd=REPO, read_rate=link_rate) as terminal:
                await terminal.wait(lambda: _rows_on_screen(terminal, runs), START_TIMEOUT_S, "the first rows")
                await _every_status_read(backend, runs * backends)
                await asyncio.sleep(SETTLE_S)
                await _requests_settled(backend, START_SETTLED_S)
                if rate:
                    await backend.go()
                    await asyncio.sleep(warmup_s)
                began, cpu, server_cpu, harness_cpu, read = (
                    time.monotonic(),
                    terminal.cpu_seconds(),
                    backend.cpu_seconds(),
                    _cpu_seconds(HARNESS),
                    terminal.screen.bytes_read,
                )
                visible = terminal.screen.visible()
                await asyncio.sleep(window_s)
                ended = time.monotonic()
                elapsed = ended - began
                cpu = terminal.cpu_seconds() - cpu
                server_cpu = backend.cpu_seconds() - server_cpu
                harness_cpu = _cpu_seconds(HARNESS) - harness_cpu
                read = terminal.screen.bytes_read - read
                visible &= terminal.screen.visible()
                if client.shows is not None and client.shows not in terminal.text():
                    raise RuntimeError(f"{client.name}: the screen does not show {client.shows!r}")
                await asyncio.sleep(DRAIN_S if rate else 0)
                sends = await backend.sends()
                stats = await backend.stats()
                found, unseen = latencies(terminal.screen, sends, visible, (began, ended))
    updates = sum(1 for key, times in sends.items() if key[:8] in visible for sent in times if began <= sent <= ended)
    reads = sum(1 for instance in stats for at in instance["status_reads"] if began <= at <= ended)
    return Live(
        latencies_ms=found,
        cpu_percent=100 * cpu / elapsed,
        bytes_per_s=read / elapsed,
        bytes_per_update=read / updates if updates else float("nan"),
        status_reads_per_min=60 * reads / elapsed,
        unseen=unseen,
        server_cpu_percent=100 * server_cpu / elapsed,
        harness_cpu_percent=100 * harness_cpu / elapsed,
    )


@dataclass(frozen=True)
class Requests:
    """The HTTP requests a client made over a window, as a rate, and by path (a run's status as one)."""

    per_minute: float
    by_path: dict[str, int]


QUIET_STEPS = 10_000  # a run never reaches its last step in the window, so none falls silent and is polled
STATUS_PREFIX = "/train/status/"


async def requests_while_live(client: Client, runs: int, rate: float, window_s: float) -> Requests:
    """The requests a client makes while its stream is live and nothing else changes (no run comes or goes,
    none falls silent): what a dashboard left open costs a backend, counted at the load server."""
    async with load_server(runs, rate, steps=QUIET_STEPS) as backend:
        with scratch_home() as home:
            argv = client.argv(backend.urls, home)
            async with Terminal(argv, isolated_environment(home), cwd=REPO) as terminal:
                await terminal.wait(lambda: _rows_on_screen(terminal, runs), START_TIMEOUT_S, "the first rows")
                await _every_status_read(backend, runs)
                await backend.go()
                await asyncio.sleep(SETTLE_S + WARMUP_S)
                began = time.monotonic()
                await asyncio.sleep(window_s)
                ended = time.monotonic()
                stats = await backend.stats()
    paths = [
        "/train/status/…" if STATUS_PREFIX in path else path
        for instance in stats
        for at, path in instance["requests"]
        if began <= at <= ended
    ]
    by_path = dict(sorted(Counter(paths).items()))
    return Requests(per_minute=60 * len(paths) / (ended - began), by_path=by_path)


async def first_frame(client: Client) -> float:
    """Seconds from starting the client to the first screen with 5 runs' rows and percentages on it."""
    async with load_server(FIRST_ROWS, 0) as backend:
        with scratch_home() as home:
            argv = client.argv(backend.urls, home)
            async with Terminal(argv, isolated_environment(home), cwd=REPO) as terminal:
                at = await terminal.wait(lambda: _rows_on_screen(terminal, FIRST_ROWS), START_TIMEOUT_S, "5 rows")
                return at - terminal.started_at


# A row shown as the last dashboard left it, before its backend answered: marked in its first column.
UNCONFIRMED_ROW = re.compile(r"^\?[0-9a-f]{8} ", re.MULTILINE)


@dataclass(frozen=True)
class FirstScreen:
    """tf-tui started again on a backend whose runs it showed when it last quit."""

    shown_s: float  # from the exec to the remembered rows on screen (marked unconfirmed, or already live)
    live_s: float  # from the exec to the same rows confirmed by the backend


async def remembered_first_screen(client: Client = TF_TUI_CLIENT) -> FirstScreen:
    """A first start, quit with `q` once the 5 runs are on screen (leaving its snapshot beside the state file),
    then the start measured, on the same backend and the same home."""
    async with load_server(FIRST_ROWS, 0) as backend:
        with scratch_home() as home:
            argv, environment = client.argv(backend.urls, home), isolated_environment(home)
            async with Terminal(argv, environment, cwd=REPO) as first:
                await first.wait(lambda: _rows_on_screen(first, FIRST_ROWS), START_TIMEOUT_S, "5 rows")
                first.type(b"q")
                await first.ended(START_TIMEOUT_S)
            async with Terminal(argv, environment, cwd=REPO) as terminal:
                shown = await terminal.wait(lambda: _rows_on_screen(terminal, FIRST_ROWS), START_TIMEOUT_S, "5 rows")

                def live() -> bool:
                    return _rows_on_screen(terminal, FIRST_ROWS) and not UNCONFIRMED_ROW.search(terminal.text())

                confirmed = await terminal.wait(live, START_TIMEOUT_S, "5 rows confirmed")
                return FirstScreen(shown - terminal.started_at, confirmed - terminal.started_at)


async def bare_first_frame() -> float:
    """The same for a bare Textual app showing one line: the floor on this machine."""
    with scratch_home() as home:
        argv = [sys.executable, "-m", "bench.bare_app"]
        async with Terminal(argv, isolated_environment(home), cwd=REPO, wait_text=READY) as terminal:
            at = await terminal.wait(lambda: terminal.screen.text_seen_at is not None, START_TIMEOUT_S, READY)
            return at - terminal.started_at


IMPORT_LINE = re.compile(r"\|\s+textual(\.|\s*$)", re.MULTILINE)


def help_time() -> tuple[float, bool]:
    """Seconds `tf-tui --help` takes, and whether it imported Textual (read from `-X importtime`)."""
    with scratch_home() as home:
        environment = isolated_environment(home)
        began = time.monotonic()
        subprocess.run([TF_TUI, "--help"], env=environment, check=True, capture_output=True, timeout=START_TIMEOUT_S)
        took = time.monotonic() - began
        traced = subprocess.run(
            [TF_TUI, "--help"],
            env={**environment, "PYTHONPROFILEIMPORTTIME": "1"},
            check=True,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )
    return took, IMPORT_LINE.search(traced.stderr) is not None


@dataclass(frozen=True)
class Headless:
    """`tf-tui watch --json` fed as fast as it reads."""

    start_s: float  # from starting `watch` to a line for every run (its first status read)
    updates_per_s: float  # frames processed per second, up to the line of the first completion
    cpu_percent: float
    rss_mb: list[float]  # sampled from the stream's start until `watch` exits
    frames: int


@dataclass
class _WatchProgress:
    """How far a `watch` got, for the message when it does not finish in time."""

    runs: int
    began: float
    first_lines: int = 0
    streaming_since: float | None = None
    lines: int = 0

    def describe(self) -> str:
        elapsed = time.monotonic() - self.began
        if self.streaming_since is None:
            return f"after {elapsed:.0f}s, a first line for only {self.first_lines} of {self.runs} runs (its start)"
        return f"after {elapsed:.0f}s, {self.lines:,} lines in {time.monotonic() - self.streaming_since:.0f}s of stream"


async def watch_json(runs: int, steps: int, timeout_s: float) -> Headless:
    """`tf-tui watch --json` on `runs` runs of `steps` frames each, sent unthrottled, round robin, each run then
    completing. Every step frame has been processed when the first completion is printed (the stream is in
    order); `watch` exits when every run has ended."""
    async with load_server(runs, float("inf"), steps=steps, complete=True) as backend:
        with scratch_home() as home:
            ids = [train_id(0, index) for index in range(runs)]
            began = time.monotonic()
            process = await headless_tf_tui("watch", backend.url, home, "--json", *ids)
            progress = _WatchProgress(runs, began)
            try:
                result = await asyncio.wait_for(_follow_watch(process, backend, steps, progress), timeout_s)
            except TimeoutError:
                raise TimeoutError(progress.describe()) from None
            finally:
                if process.returncode is None:
                    process.kill()
                await process.wait()
    print(
        f"    start {result.start_s:.1f}s, {result.frames:,} frames, {result.updates_per_s:,.0f} updates/s, "
        f"CPU {result.cpu_percent:.0f} %, RSS max {max(result.rss_mb):.0f} MB",
        flush=True,
    )
    return result


async def _follow_watch(
    process: asyncio.subprocess.Process, backend: Backend, steps: int, progress: _WatchProgress
) -> Headless:
    assert process.stdout is not None
    watched = psutil.Process(process.pid)
    runs = progress.runs
    while progress.first_lines < runs:  # a line for every run's first status read: every subscription is made
        progress.first_lines += (await process.stdout.readuntil(b"\n")).count(b"\n")
    start_s = time.monotonic() - progress.began
    await backend.go()
    streaming = sampled = progress.streaming_since = time.monotonic()
    processed_at: float | None = None
    cpu_began = cpu = _cpu_seconds(watched)
    rss = [watched.memory_info().rss / 2**20]
    while chunk := await process.stdout.read(1 << 16):
        now = time.monotonic()
        progress.lines += chunk.count(b"\n")
        if processed_at is None and b'"completed"' in chunk:
            processed_at = now
        with contextlib.suppress(psutil.Error):  # it exits once every run has ended
            if processed_at is None:
                cpu = _cpu_seconds(watched)
            if now - sampled >= RSS_EVERY_S:
                sampled = now
                rss.append(watched.memory_info().rss / 2**20)
    if processed_at is None:
        raise RuntimeError("watch --json ended before any run completed")
    elapsed = processed_at - streaming
    return Headless(
        start_s=start_s,
        updates_per_s=runs * steps / elapsed,
        cpu_percent=100 * (cpu - cpu_began) / elapsed,
        rss_mb=rss,
        frames=runs * steps,
    )


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)
