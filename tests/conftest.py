"""Shared fixtures: the real reference server on 127.0.0.1 and a free port, and clients for it."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from websockets.asyncio.client import ClientConnection, connect

from tf_tui.client.poller import PollIntervals
from tf_tui.client.stream import Backoff, UpdateStream
from tf_tui.core.config import Settings
from tf_tui.core.local_server import ServerProcess
from tf_tui.core.ports import StreamFactory
from tf_tui.core.session import Session

# Property tests: a small budget for `make test`, many more examples under `make soak`
# (`--hypothesis-profile=soak`). No per-example deadline: the machine is shared and slow.
settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile("soak", settings.get_profile("default"), max_examples=2_000)
settings.load_profile("default")


def pytest_configure(config: pytest.Config) -> None:
    """The cyclic garbage collector, tuned for a test worker: every test builds a Textual app of thousands of
    objects, and the default thresholds (a collection every 700 allocations, a full one every 70,000) made
    it a sixth of the suite's CPU. What is imported by now is kept out of the collections for good."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 20, 10)


# How long a condition may take before its test fails. Generous on purpose: it only decides how
# long a broken test takes to fail, never whether a working one passes on a slow or loaded machine.
DEADLINE_S = 60.0
# A run that lasts until it is stopped, and one that is over in under a second.
# The endless one goes at a pace (the reference server's `steps_per_s`): at full speed each took a core away
# from the tests for as long as it ran, a minute of the suite's CPU in all; at 100 steps a second it still
# reports every second and evaluates every ten.
ENDLESS_PARAMS = {"max_steps": 10_000_000, "steps_per_s": 100}
SHORT_PARAMS = {"max_steps": 500, "batch_size": 32}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One reference server for the tests that do not restart or reconfigure it."""
    process = ServerProcess(tmp_path_factory.mktemp("server"), max_concurrent=4)
    process.start(timeout=DEADLINE_S)  # a loaded machine can take a while to import the server
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(autouse=True)
def shared_server_left_idle(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test on the shared server, stop whatever it left going.

    The shared server trains at most four runs at once: a run left going by one test would hog a slot
    and make a later test's run wait `queued`, so no test's outcome may depend on what ran before it.
    A test that leaves runs going is named in a warning, so that the leak is seen and fixed.
    """
    if "server" not in request.fixturenames:
        yield
        return
    shared: ServerProcess = request.getfixturevalue("server")
    yield
    with httpx.Client(base_url=shared.url, trust_env=False, timeout=httpx.Timeout(30.0)) as client:
        left = client.get("/train/active").json()["active_trainings"]
        for train_id in left:
            client.post(f"/train/stop/{train_id}")  # a 409 for one that ended meanwhile is fine
    if left:
        warnings.warn(f"{request.node.nodeid} left {len(left)} run(s) going on the shared server", stacklevel=1)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """A server of the test's own (its own data dir, token or concurrency), stopped after the test."""
    started: list[ServerProcess] = []

    def start(data_dir: Path | None = None, **options: Any) -> ServerProcess:
        process = ServerProcess(data_dir or tmp_path / f"server-{len(started)}", **options)
        process.start(timeout=DEADLINE_S)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(server.url) as client:
        yield client


@pytest.fixture
async def endless_run(http: httpx.AsyncClient) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Runs that train until stopped, on the shared server; stopped after the test whatever happens,
    so that a failing test cannot leave them hogging the cores and the concurrency slots."""
    started: list[str] = []

    async def start() -> str:
        train_id = await start_run(http, **ENDLESS_PARAMS)
        started.append(train_id)
        return train_id

    yield start
    for train_id in started:
        await http.post(f"/train/stop/{train_id}")  # a 409 for one that already ended is fine


def api_client(url: str, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=url, headers=headers, trust_env=False, timeout=httpx.Timeout(10.0))


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/ws"


def open_socket(http_url: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return connect(ws_url(http_url), proxy=None, additional_headers=headers, open_timeout=10)


async def receive_json(socket: ClientConnection, timeout: float = DEADLINE_S) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def send_json(socket: ClientConnection, frame: object) -> None:
    await socket.send(json.dumps(frame))


async def receive_until(
    socket: ClientConnection, done: Callable[[dict[str, Any]], bool], timeout: float = DEADLINE_S
) -> list[dict[str, Any]]:
    """Every frame up to and including the first for which `done` is true."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not frames or not done(frames[-1]):
        frames.append(await receive_json(socket, deadline - time.monotonic()))
    return frames


async def start_run(client: httpx.AsyncClient, model: str = "tiny", **params: Any) -> str:
    reply = await client.post(
        "/train/start",
        json={"base_model": model, "dataset_ids": ["builtin-arithmetic"], "params": params or SHORT_PARAMS},
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["train_id"]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = DEADLINE_S, what: str = "") -> None:
    """Wait for a condition, checking often, failing at the deadline."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {what or check}")
        await asyncio.sleep(0.05)


async def wait_for_status(client: httpx.AsyncClient, train_id: str, statuses: set[str]) -> dict[str, Any]:
    body: dict[str, Any] = {}

    async def reached() -> bool:
        nonlocal body
        body = (await client.get(f"/train/status/{train_id}")).json()
        return body["status"] in statuses

    await eventually(reached, what=f"run {train_id} reaches {statuses}")
    return body


def trainer_processes(train_id: str) -> list[int]:
    """Pids of live trainer processes for a run, found by the run id on their command line."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # the process ended while we looked
        if b"tf_tui.server.trainer" in arguments and train_id.encode() in arguments:
            pids.append(int(cmdline.parent.name))
    return pids


# --- the client side -------------------------------------------------------------------------

FAST_BACKOFF = Backoff(initial=0.05, cap=0.3)


def local_stream(url: str, kind: type[UpdateStream] = UpdateStream, **options: Any) -> StreamFactory:
    """A session's update stream to a backend on this machine, on the quick reconnect schedule; `options`
    are further UpdateStream parameters (`timeouts`, ...)."""
    return partial(kind, ws_url(url), None, use_proxy=False, backoff=FAST_BACKOFF, **options)


def client_settings(url: str, directory: Path, token: str | None = None, **options: Any) -> Settings:
    """`options` are further Settings fields: ca_cert, insecure, ..."""
    return Settings(
        url=url, token=token, state_file=directory / "state.json", log_file=directory / "tf-tui.log", **options
    )


@pytest.fixture
def make_session(tmp_path: Path) -> Iterator[Callable[..., Session]]:
    """Sessions with a state file under the test's tmp dir and a quick reconnect schedule. `options` are
    further Settings fields; `poll_intervals` and `stream` are handed to the Session."""

    def make(
        url: str,
        token: str | None = None,
        *,
        poll_intervals: PollIntervals | None = None,
        stream: StreamFactory | None = None,
        **options: Any,
    ) -> Session:
        settings = client_settings(url, tmp_path, token, **options)
        return Session(settings, backoff=FAST_BACKOFF, poll_intervals=poll_intervals, stream=stream)

    yield make


# --- tf-tui as a user runs it: a process of its own ---------------------------------------------


def tf_tui_command(url: str, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "tf_tui", "--url", url, *arguments]


def cli_environment(directory, extra: dict | None = None) -> dict[str, str]:
    """Everything tf-tui keeps under the test's directory; no config file unless the test writes one."""
    return {
        "TF_TUI_STATE_FILE": str(directory / "state.json"),
        "TF_TUI_LOG_FILE": str(directory / "tf-tui.log"),
        "TF_TUI_CONFIG": str(directory / "no-config.toml"),
        "PATH": "/usr/bin:/bin",
        **(extra or {}),
    }


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`tf-tui --url URL ARGS` in a process, everything it keeps under the test's directory."""

    def run(
        *arguments: str, url: str, timeout: float = 120, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            tf_tui_command(url, *arguments),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=cli_environment(tmp_path, extra_env),
            check=False,
        )

    return run


class RecordingOutput:
    """A `watch` output that keeps what it was shown."""

    def __init__(self) -> None:
        self.shown: list[dict[str, Any]] = []
        self.phases: list[str] = []
        self.alerts: list[Any] = []
        self._last_phase: dict[str | None, str] = {}

    def show(self, run: Any, backend: str | None = None) -> None:
        self.shown.append(
            {
                "backend": backend,
                "train_id": run.train_id,
                "status": run.status,
                "progress": run.progress,
                "step": run.step,
                "source": run.last_source,
            }
        )

    def alert(self, alert: Any, backend: str | None = None) -> None:
        self.alerts.append(alert)

    def connection(self, state: Any, backend: str | None = None) -> None:
        """`phases`: each change of phase, after its backend's name when several are followed."""
        if self._last_phase.get(backend) != state.phase.value:
            self._last_phase[backend] = state.phase.value
            self.phases.append(state.phase.value if backend is None else f"{backend} {state.phase.value}")

    def close(self) -> None:
        pass


async def until(condition: Callable[[], bool], timeout: float = DEADLINE_S, what: str = "") -> None:
    async def check() -> bool:
        return condition()

    await eventually(check, timeout, what)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    """`until` for code outside an event loop: a subprocess, a file, a process id."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not true within {timeout} s: {what}"
        time.sleep(0.05)


class ListingCounter:
    """The session's API client, counting the listing requests (`/train/active`, `/dashboard`) it makes:
    a run found by them was not found by the announcement or the state file."""

    def __init__(self, api: Any) -> None:
        self._api = api
        self.listings = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)

    async def active(self) -> list[str]:
        self.listings += 1
        return list(await self._api.active())

    async def dashboard(self) -> dict[str, Any]:
        self.listings += 1
        return dict(await self._api.dashboard())
