"""The processes a measurement starts: the load server (in a process of its own, so the harness's work of
reading screens never delays a send), and the clients' command lines. Every one is killed on the way out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.terminal import isolated_environment

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TF_TUI = str(BIN / "tf-tui")
START_TIMEOUT_S = 60.0  # a client's start, on a loaded machine


@dataclass(frozen=True)
class Client:
    """A dashboard measured: its name in the table, and its command line for backends and a home dir.

    For a live measurement, `prepare` writes what the client should find in its home before it starts (a
    config file, the view's choices kept for the backends), and `shows` is text its screen must show at the
    end of the window (the view it was set up with), or the measurement fails: a figure of the wrong view
    would pass unseen."""

    name: str
    argv: Callable[[list[str], Path], list[str]]
    prepare: Callable[[list[str], Path], None] | None = None
    shows: str | None = None


def _module(name: str) -> Callable[[list[str], Path], list[str]]:
    return lambda urls, home: [sys.executable, "-m", name, *urls]


def _tf_tui(urls: list[str], home: Path) -> list[str]:
    return [TF_TUI, *(option for url in urls for option in ("--url", url)), "--state-file", str(home / "state.json")]


TF_TUI_CLIENT = Client("tf-tui", _tf_tui)


def tf_tui_from(package: Path, name: str) -> Client:
    """tf-tui run from another copy of the package (e.g. an earlier commit's `tf_tui/`, from `git archive`):
    found first on the path (the console script's own directory comes before PYTHONPATH, and the editable
    install's finder after it)."""
    return Client(name, lambda urls, home: ["env", f"PYTHONPATH={package}", *TF_TUI_CLIENT.argv(urls, home)])


MINIMAL = Client("minimal", _module("bench.minimal_client"))
NAIVE = Client("naive", _module("bench.naive_client"))
CLIENTS = (TF_TUI_CLIENT, MINIMAL, NAIVE)


@dataclass
class Backend:
    """A running load server process: its instances' URLs, and its control routes."""

    urls: list[str]
    pid: int
    http: httpx.AsyncClient

    @property
    def url(self) -> str:
        return self.urls[0]

    async def go(self, rate: float | None = None) -> None:
        query = {} if rate is None else {"rate": str(rate)}
        for url in self.urls:
            (await self.http.get(f"{url}/_bench/go", params=query)).raise_for_status()

    async def sends(self) -> dict[str, list[float]]:
        """Every run's send times, by train id: `sends[id][n - 1]` is when step n went out."""
        merged: dict[str, list[float]] = {}
        for url in self.urls:
            merged.update((await self.http.get(f"{url}/_bench/sends")).json()["sends"])
        return merged

    async def stats(self) -> list[dict[str, Any]]:
        return [(await self.http.get(f"{url}/_bench/stats")).json() for url in self.urls]

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)


@contextlib.asynccontextmanager
async def load_server(
    runs: int,
    rate: float,
    *,
    steps: int = 100,
    complete: bool = False,
    instances: int = 1,
    history_points: int = 0,
    ended: int = 0,
    log_rate: float = 0,
) -> AsyncIterator[Backend]:
    """The load server in a process of its own: `runs` streaming runs per instance, after `ended` ended ones."""
    arguments = ["--runs", str(runs), "--rate", str(rate), "--steps", str(steps), "--instances", str(instances)]
    arguments += ["--history-points", str(history_points), "--log-rate", str(log_rate)]
    arguments += ["--ended", str(ended)]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.loadserver",
        *arguments,
        *(["--complete"] if complete else []),
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
        urls = json.loads(line)["urls"]
        async with httpx.AsyncClient(timeout=START_TIMEOUT_S) as http:
            yield Backend(urls, process.pid, http)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def headless_tf_tui(command: str, url: str, home: Path, *arguments: str) -> asyncio.subprocess.Process:
    """`tf-tui COMMAND --url URL ARGUMENTS`, its state and config under `home`; its output piped, its
    errors dropped."""
    return await asyncio.create_subprocess_exec(
        *_tf_tui([url], home),
        command,
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=isolated_environment(home),
    )


@contextlib.contextmanager
def scratch_home() -> Iterator[Path]:
    """A directory for a client's config, state and log, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="tf-bench-") as home:
        yield Path(home)
