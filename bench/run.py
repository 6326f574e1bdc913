"""The benchmark: every scenario of issue 10 for tf-tui and the two reference clients, one table.

    python -m bench.run [--quick] [--write docs/PERFORMANCE.md] [--only quiet,watch]

`make bench` (under 10 minutes) and `make bench-quick` (under 2) run it. The clients are measured one
after the other, interleaved in each repeat, so that none competes with another for the CPU and a drift
of the machine's load touches all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import platform
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import psutil

from bench.export import export_metrics
from bench.features import BEFORE_FEATURES, FEATURES_OFF, FEATURES_ON, HISTORY_POINTS, package_before
from bench.log_view import LogView, log_view, summary
from bench.many_runs import GOING, LISTED, TRICKLE_WINDOW_S, ManyRuns, many_runs
from bench.processes import CLIENTS, tf_tui_from
from bench.report import Figure, Part, percentile, table, write_section
from bench.scenarios import (
    WARMUP_S,
    Live,
    bare_first_frame,
    first_frame,
    help_time,
    live,
    remembered_first_screen,
    requests_while_live,
    watch_json,
)
from bench.slow_link import LINK_BPS
from bench.slow_link import WARMUP_S as LINK_WARMUP_S
from tf_tui.core.first_reads import FirstReadPace

SCENARIO_TIMEOUT_S = 120.0
EXPORT_POINTS = 2000
EXPORT_TIMEOUT_S = 300.0
LOG_LINES_PER_S = 5000
FLAT_MB = 5.0  # RSS growth over the last three quarters of a million updates that still counts as flat
T = TypeVar("T")


@dataclass(frozen=True)
class Config:
    repeats: int
    everyday_s: float  # measured window of each live scenario
    busy_s: float
    features_s: float  # the busy scenario again, per client of the features scenario: a point of CPU to resolve
    flood_s: float
    idle_s: float
    first_frames: int
    watch_steps: int  # frames per run for `watch --json` on 200 runs
    memory_steps: int  # frames per run for 1,000 runs; 0: not measured
    watch_timeout_s: float  # for each `watch --json` scenario, its start included
    key_presses: int  # of j and of k on 10,000 runs; half as many of page down and of a filter character
    quiet_s: float  # window counting requests while nothing changes: each 30 s timer turns twice a minute
    warmup_s: float = 1.0  # of each live scenario, after the stream starts
    export_runs: int = 0  # runs of `EXPORT_POINTS` points each for `export --metrics`; 0: not measured


FULL = Config(
    repeats=3,
    everyday_s=6,
    busy_s=4,
    features_s=10,
    flood_s=3,
    idle_s=3,
    first_frames=3,
    watch_steps=250,
    memory_steps=1000,
    watch_timeout_s=180,
    export_runs=1000,
    key_presses=20,
    quiet_s=120,
)
QUICK = Config(
    repeats=1,
    everyday_s=3,
    busy_s=2,
    features_s=2,
    flood_s=2,
    idle_s=2,
    first_frames=1,
    watch_steps=100,
    memory_steps=0,  # the 1,000-run start alone can take longer than the quick run may
    watch_timeout_s=60,
    key_presses=4,
    quiet_s=30,
    warmup_s=0.5,
)

Values = dict[str, list[float]]  # client name -> one value per repeat


FAILURES: list[str] = []  # what did not complete, said under the table


async def _attempt(what: str, work: Awaitable[T], timeout_s: float = SCENARIO_TIMEOUT_S) -> T | None:
    """The measurement, or None when it failed or timed out: one stuck client never costs the others' figures."""
    began = time.monotonic()
    try:
        result = await asyncio.wait_for(work, timeout_s)
    except (TimeoutError, RuntimeError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else f"no result in {timeout_s:.0f}s"
        FAILURES.append(f"{what}: {type(error).__name__}: {reason}")
        print(f"  {what}: FAILED after {time.monotonic() - began:.1f}s ({reason})", flush=True)
        return None
    print(f"  {what}: {time.monotonic() - began:.1f}s", flush=True)
    return result


async def _live_all(
    config: Config,
    name: str,
    runs: int,
    rate: float,
    window_s: float,
    *,
    backends: int = 1,
    link_rate: float | None = None,
    warmup_s: float = WARMUP_S,
) -> dict[str, list[Live]]:
    results: dict[str, list[Live]] = defaultdict(list)
    for repeat in range(config.repeats):
        for client in CLIENTS:
            measured = live(
                client,
                runs,
                rate,
                window_s,
                backends=backends,
                link_rate=link_rate,
                warmup_s=warmup_s,
            )
            result = await _attempt(f"{name} #{repeat + 1} {client.name}", measured)
            if result is not None:
                _print_live(result)
                results[client.name].append(result)
    return results


async def _log_views(config: Config) -> list[LogView]:
    results = []
    for repeat in range(config.repeats):
        result = await _attempt(f"log view #{repeat + 1} tf-tui", log_view(LOG_LINES_PER_S, config.everyday_s))
        if result is not None:
            print(f"    {summary(result)}", flush=True)
            results.append(result)
    return results


def _tf_tui(results: list[LogView], measure: Callable[[LogView], float]) -> Values:
    return {"tf-tui": [measure(result) for result in results]}


def _all_keys(result: LogView) -> list[float]:
    return [ms for presses in result.keys_ms.values() for ms in presses]


def _print_live(result: Live) -> None:
    p50, p99 = percentile(result.latencies_ms, 0.5), percentile(result.latencies_ms, 0.99)
    print(
        f"    p50 {p50:.0f} ms, p99 {p99:.0f} ms, CPU {result.cpu_percent:.1f} %, "
        f"{result.bytes_per_s:,.0f} B/s, {result.bytes_per_update:,.0f} B/update, "
        f"{result.status_reads_per_min:.0f} reads/min, unseen {result.unseen}, "
        f"server CPU {result.server_cpu_percent:.0f} %, harness CPU {result.harness_cpu_percent:.0f} %",
        flush=True,
    )


CpuByClient = dict[str, float]  # one repeat of the features scenario: each client's CPU (%)


async def _features_all(config: Config) -> list[CpuByClient]:
    """The busy scenario for tf-tui with issue 24's features off, on, and before them (when git can give that
    commit's package), interleaved in each repeat so that a drift of the machine's load touches all alike."""
    clients = [FEATURES_OFF, FEATURES_ON]
    with contextlib.ExitStack() as stack:
        try:
            clients.append(tf_tui_from(stack.enter_context(package_before()), "before"))
        except OSError as error:
            FAILURES.append(f"features, before: {error}")
            print(f"  before: not measured ({error})", flush=True)
        repeats: list[CpuByClient] = []
        for repeat in range(config.repeats):
            cpu: CpuByClient = {}
            for client in clients:
                print(f"  load average {_load_average()}", flush=True)
                result = await _attempt(
                    f"features #{repeat + 1} {client.name}",
                    live(client, 100, 100, config.features_s, history_points=HISTORY_POINTS),
                )
                if result is not None:
                    _print_live(result)
                    cpu[client.name] = result.cpu_percent
            repeats.append(cpu)
    return repeats


def features_figures(repeats: list[CpuByClient]) -> list[Figure]:
    """The features' cost: CPU with them off and on, and the difference within each repeat (its median, the
    figure judged); and today's tf-tui with them on beside the commit before them."""

    def values(measure: Callable[[CpuByClient], float | None]) -> Values:
        return {"tf-tui": [value for cpu in repeats if (value := measure(cpu)) is not None]}

    def cpu_of(name: str) -> Callable[[CpuByClient], float | None]:
        return lambda cpu: cpu.get(name)

    def difference(after: str, before: str) -> Callable[[CpuByClient], float | None]:
        return lambda cpu: cpu[after] - cpu[before] if after in cpu and before in cpu else None

    return [
        Figure(
            "issue 24's smoothing (0.9, detail chart shown) and alert rules, 100 runs at 100 updates/s: "
            "CPU off / on / on - off in each repeat",
            [
                Part(values(cpu_of("features off")), " %", 1),
                Part(values(cpu_of("features on")), " %", 1),
                Part(values(difference("features on", "features off")), " points", 1),
            ],
            "on - off ≤ +1 point",
            lambda medians: None if math.isnan(medians[2]) else medians[2] <= 1,
        ),
        Figure(
            f"the same: tf-tui at {BEFORE_FEATURES} (before them) / today with them on: CPU / today - before",
            [
                Part(values(cpu_of("before")), " %", 1),
                Part(values(cpu_of("features on")), " %", 1),
                Part(values(difference("features on", "before")), " points", 1),
            ],
            "— (other changes merged since)",
            lambda medians: None,
        ),
    ]


def _load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in psutil.getloadavg())


async def _quiet_all(config: Config) -> Values:
    """Requests a minute of each client, the clients side by side: a count of requests does not depend
    on the CPU the others take, and the window is long (one repeat: a count over 2 minutes is steady)."""
    window_s = config.quiet_s
    results = await asyncio.gather(
        *(
            _attempt(
                f"quiet {client.name}", requests_while_live(client, 5, 2.5, window_s), window_s + SCENARIO_TIMEOUT_S
            )
            for client in CLIENTS
        )
    )
    per_minute: Values = {}
    for client, result in zip(CLIENTS, results, strict=True):
        if result is not None:
            print(f"    {client.name}: {result.per_minute:.1f} a minute, {result.by_path}", flush=True)
            per_minute[client.name] = [result.per_minute]
    return per_minute


def _pick(results: dict[str, list[Live]], measure: Callable[[Live], float]) -> Values:
    return {client: [measure(result) for result in runs] for client, runs in results.items()}


def _p(share: float) -> Callable[[Live], float]:
    return lambda result: percentile(result.latencies_ms, share)


def _at_most(*limits: float) -> Callable[[list[float]], bool | None]:
    def judge(medians: list[float]) -> bool | None:
        if any(math.isnan(value) for value in medians):
            return None
        return all(value <= limit for value, limit in zip(medians, limits, strict=True))

    return judge


SCENARIOS = (
    "everyday",
    "busy",
    "features",
    "flood",
    "idle",
    "fleet",
    "slow",
    "logs",
    "quiet",
    "first",
    "help",
    "watch",
    "memory",
    "export",
    "many",
)


async def measure(config: Config, only: frozenset[str] = frozenset(SCENARIOS)) -> list[Figure]:
    """Every scenario, or those named in `only` (the figures of the others read "—")."""

    async def live_group(
        name: str, title: str, runs: int, rate: float, window_s: float, *, backends: int = 1
    ) -> dict[str, list[Live]]:
        if name not in only:
            return defaultdict(list)
        print(title, flush=True)
        return await _live_all(config, name, runs, rate, window_s, backends=backends)

    everyday = await live_group("everyday", "everyday: 5 runs, 5 updates/s", 5, 5, config.everyday_s)
    busy = await live_group("busy", "busy: 100 runs, 100 updates/s", 100, 100, config.busy_s)
    features: list[CpuByClient] = []
    if "features" in only:
        print(f"features: 100 runs, 100 updates/s, {HISTORY_POINTS:,} points of history each", flush=True)
        features = await _features_all(config)
    flood = await live_group("flood", "flood: 200 runs, 2,000 updates/s", 200, 2000, config.flood_s)
    idle = await live_group("idle", "idle: 100 runs, nothing changing", 100, 0, config.idle_s)
    fleet = await live_group(
        "fleet", "fleet: 10 backends x 20 runs, 200 updates/s in all", 20, 20, config.busy_s, backends=10
    )

    quiet: Values = {}
    if "quiet" in only:
        print(f"requests while live and nothing changes: 5 runs streaming, {config.quiet_s:.0f} s", flush=True)
        quiet = await _quiet_all(config)

    slow: dict[str, list[Live]] = defaultdict(list)
    if "slow" in only:
        print(f"slow link: the everyday case, the terminal read at {LINK_BPS:,} B/s", flush=True)
        slow = await _live_all(config, "slow link", 5, 5, config.everyday_s, link_rate=LINK_BPS, warmup_s=LINK_WARMUP_S)
    logs: list[LogView] = []
    if "logs" in only:
        print(f"log view: following {LOG_LINES_PER_S:,} lines/s, keys, the last 10,000 lines checked", flush=True)
        logs = await _log_views(config)

    firsts: Values = defaultdict(list)
    ratios: Values = defaultdict(list)
    if "first" in only:
        print("first frame with 5 runs, and a bare Textual app", flush=True)
    remembered: Values = defaultdict(list)  # tf-tui started again: "shown" and "live", and "live" ÷ bare
    for repeat in range(config.first_frames if "first" in only else 0):
        bare = await _attempt(f"first frame #{repeat + 1} bare", bare_first_frame())
        for client in CLIENTS:
            took = await _attempt(f"first frame #{repeat + 1} {client.name}", first_frame(client))
            if took is not None:
                firsts[client.name].append(took)
                ratios[client.name].append(math.nan if bare is None else took / bare)
        again = await _attempt(f"first screen #{repeat + 1} remembered", remembered_first_screen())
        if again is not None:
            remembered["shown"].append(again.shown_s)
            remembered["live"].append(again.live_s)
            remembered["live ratio"].append(math.nan if bare is None else again.live_s / bare)

    helps = []
    if "help" in only:
        print("tf-tui --help", flush=True)
        helps = [help_time() for _ in range(config.first_frames)]
    textual = any(imported for _, imported in helps)

    timeout_s = config.watch_timeout_s
    watch = None
    if "watch" in only:
        print("watch --json: 200 runs, unthrottled", flush=True)
        watch = await _attempt("watch --json", watch_json(200, config.watch_steps, timeout_s), timeout_s + 10)
    memory = None
    if config.memory_steps and "memory" in only:
        print(f"memory: 1,000 runs, {1000 * config.memory_steps:,} updates", flush=True)
        memory = await _attempt("memory", watch_json(1000, config.memory_steps, timeout_s), timeout_s + 10)
    rss = memory.rss_mb if memory else []
    exported = None
    if config.export_runs and "export" in only:
        print(f"export --metrics: {config.export_runs:,} runs x {EXPORT_POINTS:,} points", flush=True)
        exported = await _attempt("export", export_metrics(config.export_runs, EXPORT_POINTS), EXPORT_TIMEOUT_S)

    many: list[ManyRuns] = []
    if "many" in only:
        print(f"{LISTED:,} runs listed, {GOING} of them going", flush=True)
    for repeat in range(config.repeats if "many" in only else 0):
        result = await _attempt(f"{LISTED:,} runs #{repeat + 1}", many_runs(config.key_presses), timeout_s)
        if result is not None:
            _print_many(result)
            many.append(result)

    live_reads = {
        client.name: [result.status_reads_per_min for result in [*everyday[client.name], *busy[client.name]]]
        for client in CLIENTS
    }
    return [
        Figure(
            "everyday, 5 runs at 5 updates/s: latency p50 / p99",
            [Part(_pick(everyday, _p(0.5))), Part(_pick(everyday, _p(0.99)), " ms")],
            "≤ 10 / ≤ 25 ms",
            _at_most(10, 25),
        ),
        Figure(
            "everyday: CPU / bytes per second to the terminal",
            [
                Part(_pick(everyday, lambda r: r.cpu_percent), " %", 1),
                Part(_pick(everyday, lambda r: r.bytes_per_s / 1000), " KB/s", 2),
            ],
            "≤ 3 % / ≤ 1.5 KB/s",
            _at_most(3, 1.5),
        ),
        Figure(
            "100 runs, 100 updates/s: send-to-screen latency p50 / p99",
            [Part(_pick(busy, _p(0.5))), Part(_pick(busy, _p(0.99)), " ms")],
            "≤ 20 / ≤ 50 ms",
            _at_most(20, 50),
        ),
        Figure(
            "CPU at 100 updates/s (user+sys, % of one core)",
            [Part(_pick(busy, lambda r: r.cpu_percent), " %", 1)],
            "≤ 10 %",
            _at_most(10),
        ),
        *features_figures(features),
        Figure(
            "bytes written to the terminal per visible row update",
            [Part(_pick(busy, lambda r: r.bytes_per_update))],
            "≤ 250",
            _at_most(250),
        ),
        Figure(
            "200 runs, 2,000 updates/s: screen behind by (p99) at CPU",
            [Part(_pick(flood, _p(0.99)), " ms"), Part(_pick(flood, lambda r: r.cpu_percent), " %")],
            "≤ 100 ms at ≤ 40 %",
            _at_most(100, 40),
            joiner=" at ",
        ),
        Figure(
            "idle, 100 runs on screen, nothing changing: CPU / bytes per second",
            [Part(_pick(idle, lambda r: r.cpu_percent), " %", 1), Part(_pick(idle, lambda r: r.bytes_per_s), " B/s")],
            "≤ 1 % / ≤ 100 B/s",
            _at_most(1, 100),
        ),
        Figure(
            "fleet (issue 13), 10 backends x 20 runs, 200 updates/s in all: latency p50 / p99",
            [Part(_pick(fleet, _p(0.5))), Part(_pick(fleet, _p(0.99)), " ms")],
            "as 100 runs at 100/s: ≤ 20 / ≤ 50 ms",
            _at_most(20, 50),
        ),
        Figure(
            "fleet: CPU / bytes per visible row update",
            [Part(_pick(fleet, lambda r: r.cpu_percent), " %", 1), Part(_pick(fleet, lambda r: r.bytes_per_update))],
            "≤ 20 % (10 % per 100 updates/s) / ≤ 250",
            _at_most(20, 250),
        ),
        Figure(
            f"slow link ({LINK_BPS:,} B/s, as `pv -L 4k`), 5 runs at 5 updates/s: screen behind p50 / p99",
            [Part(_pick(slow, _p(0.5))), Part(_pick(slow, _p(0.99)), " ms")],
            "p99 ≤ 1,000 ms",
            lambda medians: None if math.isnan(medians[1]) else medians[1] <= 1000,
        ),
        Figure(
            f"log view following {LOG_LINES_PER_S:,} lines/s: key to paint p50 / p99 (pages, end, /, search)",
            [
                Part(_tf_tui(logs, lambda r: percentile(_all_keys(r), 0.5))),
                Part(_tf_tui(logs, lambda r: percentile(_all_keys(r), 0.99)), " ms"),
            ],
            "≤ 50 ms",
            lambda medians: None if math.isnan(medians[1]) else medians[1] <= 50,
        ),
        Figure(
            "log view: CPU following / with a search marked; newest line on screen behind p99",
            [
                Part(_tf_tui(logs, lambda r: r.cpu_percent), " %", 1),
                Part(_tf_tui(logs, lambda r: r.search_cpu_percent), " %", 1),
                Part(_tf_tui(logs, lambda r: percentile(r.behind_ms, 0.99) / 1000), " s", 2),
            ],
            "≤ 15 %",
            lambda medians: None if math.isnan(medians[0]) else max(medians[0], medians[1]) <= 15,
        ),
        Figure(
            "log view: of the last 10,000 lines written, lines not shown",
            [Part(_tf_tui(logs, lambda r: r.lost))],
            "0",
            _at_most(0),
        ),
        Figure(
            "first frame with 5 runs visible (s), and ÷ a bare Textual app",
            [Part(dict(firsts), " s", 2), Part(dict(ratios), "x", 1)],
            "≤ 1.5x",
            lambda medians: None if math.isnan(medians[1]) else medians[1] <= 1.5,
        ),
        Figure(
            "started again (the rows it last showed kept): first screen (s) / live rows (s), and ÷ a bare Textual app",
            [
                Part({"tf-tui": remembered["shown"]}, " s", 2),
                Part({"tf-tui": remembered["live"]}, " s", 2),
                Part({"tf-tui": remembered["live ratio"]}, "x", 1),
            ],
            "≤ 0.5 s / — / ≤ 1.5x",
            lambda medians: None if math.isnan(medians[0]) else medians[0] <= 0.5 and medians[2] <= 1.5,
        ),
        Figure(
            "status reads per minute while the stream is live and fresh",
            [Part(live_reads)],
            "0",
            _at_most(0),
        ),
        Figure(
            "HTTP requests per minute while live and nothing changes (5 runs streaming, none new)",
            [Part(quiet, "", 1)],
            "≤ 4",
            _at_most(4),
        ),
        Figure(
            f"`tf-tui --help` (s); Textual imported: {'**yes**' if textual else 'no'}",
            [Part({"tf-tui": [took for took, _ in helps]}, " s", 2)],
            "≤ 0.15 s, no Textual import",
            lambda medians: None if math.isnan(medians[0]) else medians[0] <= 0.15 and not textual,
        ),
        Figure(
            "`watch --json` on 200 runs: updates processed per second",
            [Part({"tf-tui": [watch.updates_per_s] if watch else []})],
            "≥ 30,000",
            lambda medians: None if math.isnan(medians[0]) else medians[0] >= 30_000,
        ),
        *many_runs_figures(many),
        Figure(
            f"1,000 runs fed {1000 * FULL.memory_steps:,} updates (`watch --json`): RSS max / growth",
            [
                Part({"tf-tui": [max(rss)] if rss else []}, " MB"),
                Part({"tf-tui": [_growth(rss)] if rss else []}, " MB", 1),
            ],
            "≤ 150 MB and flat",
            lambda medians: None if math.isnan(medians[0]) else medians[0] <= 150 and medians[1] <= FLAT_MB,
        ),
        Figure(
            f"`export --metrics` of {FULL.export_runs:,} runs x {EXPORT_POINTS:,} points: time / RSS max / growth",
            [
                Part({"tf-tui": [exported.seconds] if exported else []}, " s", 1),
                Part({"tf-tui": [max(exported.rss_mb)] if exported else []}, " MB"),
                Part({"tf-tui": [exported.growth_mb] if exported else []}, " MB", 1),
            ],
            "≤ 10 s, flat",
            lambda medians: None if math.isnan(medians[0]) else medians[0] <= 10 and medians[2] <= FLAT_MB,
        ),
    ]


KEYS = ("j", "k", "page down", "filter character")


def _print_many(result: ManyRuns) -> None:
    keys = ", ".join(f"{key} p99 {percentile(times, 0.99):.0f} ms" for key, times in result.keys_ms.items())
    print(
        f"    first paint {result.first_paint_s:.1f}s ({result.first_paint_cpu_s:.1f}s of CPU) with "
        f"{result.rows_in_view} rows, status reads "
        f"{result.reads_at_first_paint} then {result.reads_after_window} {TRICKLE_WINDOW_S:.0f}s later, "
        f"RSS {result.rss_mb:.0f} MB; {keys}; missed {result.keys_missed}",
        flush=True,
    )


def _key_p99(key: str) -> Callable[[ManyRuns], float]:
    return lambda result: percentile(result.keys_ms.get(key, []), 0.99)


def _read_bound(after_s: float) -> float:
    """The most status reads the dashboard may have made `after_s` into its start: a screenful of runs taken as
    in view, each going run read again once subscribed, and the trickle's rate since."""
    pace = FirstReadPace()
    return pace.in_view_default + GOING + pace.per_second * after_s


def many_runs_figures(many: list[ManyRuns]) -> list[Figure]:
    def values(measure: Callable[[ManyRuns], float]) -> Values:
        return {"tf-tui": [measure(result) for result in many]}

    def read_limits(medians: list[float]) -> bool | None:
        if any(math.isnan(value) for value in medians):
            return None
        at_paint, after, paint_s = medians
        return at_paint <= _read_bound(paint_s) and after <= _read_bound(paint_s + TRICKLE_WINDOW_S)

    return [
        Figure(
            f"{LISTED:,} runs listed (issue 25): first paint of the list / the dashboard's CPU time by then",
            [Part(values(lambda r: r.first_paint_s), " s", 1), Part(values(lambda r: r.first_paint_cpu_s), " s", 1)],
            "≤ 2 s",
            lambda medians: None if math.isnan(medians[0]) else medians[0] <= 2,
        ),
        Figure(
            f"{LISTED:,} runs: status reads at first paint / {TRICKLE_WINDOW_S:.0f} s later (first paint, s)",
            [
                Part(values(lambda r: r.reads_at_first_paint)),
                Part(values(lambda r: r.reads_after_window)),
                Part(values(lambda r: r.first_paint_s), " s", 1),
            ],
            f"≤ a screenful + {GOING} going + {FirstReadPace().per_second:.0f}/s",
            read_limits,
        ),
        Figure(
            f"{LISTED:,} runs: RSS",
            [Part(values(lambda r: r.rss_mb), " MB")],
            "≤ 200 MB",
            _at_most(200),
        ),
        Figure(
            f"{LISTED:,} runs: keypress to paint p99, {' / '.join(KEYS)}",
            [Part(values(_key_p99(key)), " ms" if key == KEYS[-1] else "") for key in KEYS],
            "≤ 50 ms each",
            _at_most(50, 50, 50, 50),
        ),
    ]


def _growth(samples: list[float]) -> float:
    """RSS at the end less RSS a quarter of the way in: a bounded history stops growing early."""
    if len(samples) < 4:
        return math.nan
    return samples[-1] - samples[len(samples) // 4]


def _scenarios(text: str) -> frozenset[str]:
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    if unknown := names - set(SCENARIOS):
        raise argparse.ArgumentTypeError(f"no scenario {', '.join(sorted(unknown))}; there are {', '.join(SCENARIOS)}")
    return names


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    load = _load_average()
    return (
        f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, Textual {version('textual')}, {platform.system()} {platform.release()}; "
        f"load average {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, short windows (under 2 minutes)")
    parser.add_argument("--write", type=Path, help="write the table into the marked section of this file")
    parser.add_argument(
        "--only",
        type=_scenarios,
        default=frozenset(SCENARIOS),
        help=f"some of: {','.join(SCENARIOS)} (not with --write)",
    )
    arguments = parser.parse_args()
    if arguments.write and arguments.only != frozenset(SCENARIOS):
        parser.error("--write records the whole benchmark: leave out --only")
    config = QUICK if arguments.quick else FULL
    began = time.monotonic()
    figures = asyncio.run(measure(config, arguments.only))
    took = time.monotonic() - began
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    kind = "bench-quick" if arguments.quick else "bench"
    failures = "".join(f"\n- failed: {failure}" for failure in FAILURES)
    section = (
        f"`make {kind}` on {when}, {took / 60:.1f} minutes; {machine()}. Medians over {config.repeats} repeat(s) "
        f"(min-max in brackets).\n\n{table(figures)}\n{failures}"
    )
    print()
    print(section)
    if arguments.write:
        write_section(arguments.write, section)
        print(f"\nwritten to {arguments.write}")


if __name__ == "__main__":
    main()
