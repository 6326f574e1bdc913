"""Fixed data for screenshots and snapshot tests: runs in several states, no server, a frozen clock.

The session is a real `Session` over a stand-in API and stream (`DemoApi`, `DemoStream`), handed in
through its constructor: nothing is connected, and nothing of the session is swapped afterwards.

`python -m tf_tui.ui.demo DIR` writes the README's SVG screenshots into DIR (`make screenshots`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Footer

from tf_tui.base.protocol import RunUpdate
from tf_tui.client.api import ApiError, LogChunk
from tf_tui.client.stream import ConnectionState, Phase
from tf_tui.core.config import Settings
from tf_tui.core.eventlog import Kind
from tf_tui.core.fleet import Fleet
from tf_tui.core.session import Session
from tf_tui.core.store import RunStore, Source
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.datasets import DatasetsScreen
from tf_tui.ui.screens.start import StartScreen

SETTLE_TIMEOUT_S = 60.0  # how long a screenshot may wait for its screen to settle, on a loaded machine
NOW = 1_795_900_000.0  # a fixed "now", so ages and times never change between runs
URL = "http://training-box:8084"


def _reference_defaults(steps: int, batch_size: int) -> dict[str, dict[str, int | float]]:
    """As the reference server lists a model's `default_params`: its steps scaled by the outcome, the rest alike."""
    factors = {"speed": 0.4, "balanced": 1.0, "quality": 2.0}
    return {
        outcome: {"max_steps": round(steps * factor), "learning_rate": 0.003, "batch_size": batch_size, "seed": 0}
        for outcome, factor in factors.items()
    }


MODELS = [
    {
        "id": "tiny",
        "parameters": 22385,
        "size_gb": 0.00009,
        "min_vram_gb": 0,
        "default_params": _reference_defaults(15000, 64),
    },
    {
        "id": "small",
        "parameters": 76665,
        "size_gb": 0.000307,
        "min_vram_gb": 0,
        "default_params": _reference_defaults(12000, 128),
    },
    {
        "id": "base",
        "parameters": 249985,
        "size_gb": 0.001,
        "min_vram_gb": 0,
        "default_params": _reference_defaults(8000, 128),
    },
    # As the deployed backend lists its models: no parameter count, a real size and a minimum of VRAM.
    {"id": "llama-2-13b", "size_gb": 26, "min_vram_gb": 28},
]
ENVIRONMENT = {
    "gpu_name": "NVIDIA RTX A4000",
    "vram_gb": 16,
    "cpu_cores": 16,
    "ram_gb": 62.8,
    "ready": True,
    "live": {"cpu_percent": 23.5, "ram_used_gb": 12.4, "gpu_percent": 87, "vram_used_gb": 9.8},
}
DATASETS = [
    {
        "id": "builtin-arithmetic",
        "name": "Arithmetic (two-digit sums and differences)",
        "source": "builtin",
        "rows": 4000,
        "pii_masked": False,
        "created_at": "2026-11-29T00:54:54",
    },
    {
        "id": "builtin-units",
        "name": "Unit conversions",
        "source": "builtin",
        "rows": 300,
        "pii_masked": False,
        "created_at": "2026-11-29T00:54:54",
    },
    {
        "id": "builtin-shell",
        "name": "Shell one-liners",
        "source": "builtin",
        "rows": 24,
        "pii_masked": False,
        "created_at": "2026-11-29T00:54:54",
    },
]

# What the reference server measured for a small model trained 2000 steps on builtin-arithmetic (learning
# rate 0.01, seed 0), shown for the demo's completed run.
DEMO_EVALUATION: dict[str, Any] = {
    "metrics": {
        "held_out_loss": 0.3856,
        "perplexity": 1.471,
        "next_char_accuracy": 0.8782,
        "arithmetic_exact_match": 0.0204,
    },
    "methods": {
        "held_out_loss": "mean next-character cross-entropy (nats), 20,000 characters held out by the trainer",
        "perplexity": "exp(held_out_loss)",
        "next_char_accuracy": "share of next characters the model ranks first, 20,000 characters held out by the"
        " trainer",
        "arithmetic_exact_match": "share of 343 builtin-arithmetic problems held out by the trainer answered exactly"
        " (greedy, after '=')",
    },
}


DEMO_TALENTS: list[dict[str, Any]] = [
    {
        "id": "8c41d2aa-0e9f-4b3c-8d7e-6f5a4b3c2d1e",
        "name": "Two-digit adder",
        "category": "analysis",
        "version": "1.0.0",
        **DEMO_EVALUATION,
        "status": "active",
        "created_at": "2026-12-01T10:12:00",
    },
    {
        "id": "e3a1f0c2-7b6d-4e5f-8a9b-0c1d2e3f4a5b",
        "name": "Shell helper",
        "category": "coding",
        "version": "0.3.0",
        "metrics": {"held_out_loss": 1.2208, "perplexity": 3.39, "next_char_accuracy": 0.6911},
        "status": "active",
        "created_at": "2026-11-30T16:40:00",
    },
]


class DemoApi:
    """Stands in for the HTTP API: the lists the start dialog reads, each run's stored metrics as the reference
    server would keep them, and the completed run's status (publishing reads it first); anything else is
    refused in words. Nothing leaves the process."""

    def __init__(self) -> None:
        self.statuses: dict[str, dict[str, Any]] = {}
        self.histories: dict[str, list[dict[str, Any]]] = {}  # a run's points, as `GET /train/metrics` has them

    async def health(self) -> dict[str, Any]:
        raise self._no_backend()

    async def models(self) -> list[dict[str, Any]]:
        return MODELS

    async def datasets(self) -> list[dict[str, Any]]:
        return DATASETS

    async def ingest(
        self, paths: Sequence[Path], name: str | None, on_progress: Callable[[int, int], None]
    ) -> dict[str, Any]:
        raise self._no_backend()

    async def start(
        self, base_model: str, dataset_ids: list[str], params: dict[str, Any], outcome: str
    ) -> dict[str, Any]:
        raise self._no_backend()

    async def status(self, train_id: str) -> dict[str, Any]:
        if train_id in self.statuses:
            return self.statuses[train_id]
        raise self._no_backend()

    async def stop(self, train_id: str) -> dict[str, Any]:
        raise self._no_backend()

    async def metrics(self, train_id: str, after_step: int | None = None) -> dict[str, Any]:
        points = [
            point for point in self.histories.get(train_id, []) if after_step is None or point["step"] > after_step
        ]
        return {"train_id": train_id, "points": points, "downsampled": False}

    async def active(self) -> list[str]:
        raise self._no_backend()

    async def dashboard(self) -> dict[str, Any]:
        raise self._no_backend()

    async def log(self, train_id: str, offset: int) -> LogChunk:
        text = demo_log(train_id).encode()
        return LogChunk(text[offset:], max(offset, len(text)), len(text), complete=False)

    async def environment(self) -> dict[str, Any]:
        return ENVIRONMENT

    async def evaluate(self, talent_id: str, test_dataset_id: str | None = None) -> dict[str, Any]:
        return {"eval_id": "demo", "talent_id": talent_id, **DEMO_EVALUATION, "status": "completed"}

    async def evaluation(self, train_id: str) -> dict[str, Any]:
        return {"train_id": train_id, "evaluation": None}  # evaluated with `e` only

    async def publish(
        self,
        talent_id: str,
        name: str,
        category: str,
        version: str,
        model_path: str,
        metrics: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        return {"status": "published", "talent_id": talent_id}

    async def talents(self) -> list[dict[str, Any]]:
        return DEMO_TALENTS

    async def try_talent(self, talent_id: str, test_input: str) -> dict[str, Any]:
        return {"talent_id": talent_id, "test_input": test_input, "test_output": "68", "confidence": 0.91}

    async def aclose(self) -> None:
        pass

    @staticmethod
    def _no_backend() -> ApiError:
        return ApiError("the demo has no backend: it shows fixed data")


def demo_log(train_id: str) -> str:
    """What a run's trainer wrote so far, as the reference server's trainer writes it."""
    clock = datetime.fromtimestamp(NOW - 600, UTC)
    lines = [
        f"{clock:%Y-%m-%d %H:%M:%S} preprocessing 0% Reading 1 dataset(s)",
        f"{clock:%Y-%m-%d %H:%M:%S} preprocessing 0% Encoded 21,480 characters into 19,323 training windows",
    ]
    for step in range(300, 4500, 300):
        loss = 0.25 + 4.3 * math.exp(-step / 700)
        at = datetime.fromtimestamp(NOW - 600 + step // 8, UTC)
        lines.append(
            f"{at:%Y-%m-%d %H:%M:%S} training {step * 100 // 12000}% Training step {step}/12000 loss {loss:.4f}"
        )
    return "".join(line + "\n" for line in lines)


class DemoStream:
    """Stands in for the update stream: a fixed connection state and the watched runs. It never
    connects, so it never reports anything."""

    def __init__(self, state: ConnectionState) -> None:
        self.state = state
        self.watched: dict[str, None] = {}

    @property
    def live(self) -> bool:
        return self.state.phase is Phase.LIVE

    async def subscribe(self, train_id: str) -> None:
        self.watched[train_id] = None

    async def unsubscribe(self, train_id: str) -> None:
        self.watched.pop(train_id, None)

    async def run(self) -> None:
        await asyncio.Event().wait()  # until cancelled, as a stream that stays as it is


def _training(step: int, total: int, loss: float, rate: float = 330.0) -> dict[str, Any]:
    details = {
        "message": f"Training step {step}/{total}",
        "step": step,
        "total_steps": total,
        "epoch": step // 400 + 1,
        "loss": round(loss, 4),
        "samples_per_s": round(rate * 125.0, 1),
        "eta_s": round((total - step) / rate, 1),
        "elapsed_s": round(step / rate, 1),
        "learning_rate": 0.003,
    }
    if step % 900 == 0:  # the run evaluates on held-out text every 900 steps
        details["eval_loss"] = round(loss * 1.12 + 0.05, 4)
    return details


def _settings(
    datasets: list[str], outcome: str, max_steps: int, learning_rate: float, batch_size: int
) -> dict[str, Any]:
    """What a status body says of how a run was started."""
    params = {"max_steps": max_steps, "learning_rate": learning_rate, "batch_size": batch_size}
    return {"dataset_ids": datasets, "outcome": outcome, "params": params}


def _live_losses(noisy: bool) -> list[tuple[int, float]]:
    """The live run's (step, loss): every 300 steps on a smooth curve; `noisy`, every 30 steps with the
    jitter of real mini-batches (the same each time), what smoothing is for."""
    if not noisy:
        return [(step, 0.25 + 4.3 * math.exp(-step / 700)) for step in range(300, 4500, 300)]
    jitter = random.Random(7)
    return [
        (step, (0.25 + 4.3 * math.exp(-step / 700)) * (1 + 0.35 * jitter.uniform(-1, 1)))
        for step in range(30, 4230, 30)
    ]


def demo_session(directory: Path, phase: Phase = Phase.LIVE, *, id_prefix: str = "", noisy: bool = False) -> Session:
    """`id_prefix` makes the runs' ids differ from another demo session's (a fleet's other backends); `noisy`
    gives the live run a loss measured often and jittery (`_live_losses`)."""
    settings = Settings(url=URL, state_file=directory / "state.json", log_file=directory / "tf-tui.log")
    states = {
        Phase.RETRYING: ConnectionState(Phase.RETRYING, attempt=3, reason="connection refused", retry_at=NOW + 4.2),
        Phase.FAILED: ConnectionState(Phase.FAILED, reason="the server refused the WebSocket (HTTP 401)"),
    }
    stream = DemoStream(states.get(phase, ConnectionState(phase)))
    api = DemoApi()
    session = Session(settings, api=api, stream=lambda **_: stream, clock=lambda: NOW)
    session.last_message_at = NOW - 2
    store = session.store
    runs = [  # newest first, as the list shows them; created this many seconds before NOW
        ("3f2a9c1e-5b7d-4e21-9a0c-1d2e3f4a5b6c", "small", 600, [(0, "starting", 0), (2, "preprocessing", 0)]),
        ("51d0c6f4-8a9b-4c3d-a2e1-f0e9d8c7b6a5", "small", 610, [(580, "queued", 0)]),
        ("8c41d2aa-0e9f-4b3c-8d7e-6f5a4b3c2d1e", "base", 620, [(0, "starting", 0)]),
        ("b7e90f13-2c4d-4a5b-9e8f-7a6b5c4d3e2f", "tiny", 630, [(0, "starting", 0)]),
    ]
    runs = [(id_prefix + train_id[len(id_prefix) :], model, age, steps) for train_id, model, age, steps in runs]
    for train_id, model, age, history in runs:
        created = datetime.fromtimestamp(NOW - age, UTC).isoformat()
        store.describe(train_id, base_model=model, created_at=created)
        for offset, status, progress in history:
            store.apply(RunUpdate(train_id, status, progress), Source.WS, NOW - 600 + offset)
    live = runs[0][0]
    live_settings = _settings(["builtin-arithmetic", "builtin-units"], "balanced", 12000, 0.003, 32)
    for step, loss in _live_losses(noisy):
        update = RunUpdate(live, "training", step * 100 // 12000, _training(step, 12000, loss), extra=live_settings)
        store.apply(update, Source.WS, NOW - 2)
    store.runs[live].history.from_backend = True  # as if read from the backend's stored history
    completed = runs[2][0]
    _complete(store, api, completed, 0.001, floor=0.22, held_out_loss=0.3205, duration_s=58.3)
    failed = runs[3][0]
    store.apply(
        RunUpdate(
            failed,
            "failed",
            100,
            error="the datasets hold 35 characters, too few to train on",
            ended_at=datetime.fromtimestamp(NOW - 120).isoformat(),  # the server's naive local time
        ),
        Source.RESYNC,
        NOW - 120,
    )
    stream.watched.update({live: None, runs[1][0]: None})
    # What the backend keeps of each run: the points shown, so that reading a run's story adds nothing.
    api.histories = {train_id: [asdict(point) for point in run.history.points] for train_id, run in store.runs.items()}
    for text, level, kind in (
        ("socket live", logging.INFO, Kind.CONNECTION),
        (f"subscribing to {live}", logging.INFO, Kind.SUBSCRIPTION),
        (f"subscription confirmed for {live}: training", logging.INFO, Kind.SUBSCRIPTION),
        (f"update for {live}: training 35%", logging.DEBUG, Kind.UPDATE),
        (f"polling the status of {runs[1][0]}", logging.INFO, Kind.POLL),
        (f"status read of {runs[1][0]} failed: timed out", logging.WARNING, Kind.ERROR),
    ):
        session.events.add(text, level, kind)
    return session


def _complete(
    store: RunStore,
    api: DemoApi,
    train_id: str,
    learning_rate: float,
    *,
    floor: float,
    held_out_loss: float,
    duration_s: float,
) -> None:
    """A run of the base model trained to completion on builtin-arithmetic (8,000 steps, quality), its loss
    falling to `floor`."""
    settings = _settings(["builtin-arithmetic"], "quality", 8000, learning_rate, 64)
    for step in range(400, 8400, 400):
        loss = floor + 4.4 * math.exp(-step / 1500)
        details = _training(step, 8000, loss, rate=137.0)
        store.apply(RunUpdate(train_id, "training", step * 100 // 8000, details, extra=settings), Source.WS, NOW - 300)
    # As the reference server's: the training loss at the last step, and the loss on the text held out.
    result = {
        "model_path": f"models/{train_id[:8]}.npz",
        "final_loss": details["loss"],
        "held_out_loss": held_out_loss,
        "duration_s": duration_s,
    }
    store.apply(RunUpdate(train_id, "completed", 100, result=result), Source.WS, NOW - 240)
    api.statuses[train_id] = {"status": "completed", "progress": 100, "result": result}
    api.histories[train_id] = [asdict(point) for point in store.runs[train_id].history.points]
    store.runs[train_id].history.from_backend = True


# The completed run run again with one change (its learning rate), listed below it.
AGAIN = "a9d3e5f7-1b2c-4d3e-8f4a-5b6c7d8e9f0a"
# The completed run and the one run again from it marked, then compared.
COMPARE_AGAIN_KEYS = ("j", "j", "space", "j", "space", "c")


def demo_again_app(directory: Path) -> TfTuiApp:
    """The demo, with the completed run run again at twice its learning rate: most rows of their comparison
    are the same."""
    session = demo_session(directory)
    created = datetime.fromtimestamp(NOW - 625, UTC).isoformat()  # between the completed run and the failed one
    session.store.describe(AGAIN, base_model="base", created_at=created)
    _complete(
        session.store, cast(DemoApi, session.api), AGAIN, 0.002, floor=0.19, held_out_loss=0.2987, duration_s=61.9
    )
    return TfTuiApp(session, connect=False, clock=lambda: NOW)


def demo_fleet(directory: Path) -> Fleet:
    """Three backends: one live, one reconnecting, one refusing the token; each with runs of its own."""
    backends = {"gpu1": ("", Phase.LIVE, 4), "gpu2": ("e", Phase.RETRYING, 2), "cloud": ("0c", Phase.FAILED, 1)}
    sessions = {}
    for name, (prefix, phase, kept) in backends.items():
        session = demo_session(directory, phase, id_prefix=prefix)
        for train_id in list(session.store.runs)[kept:]:
            session.store.forget(train_id)
        sessions[name] = session
    return Fleet(sessions)


# The two runs with a loss history marked (the newest, and the completed one two rows below), then compared.
COMPARE_KEYS = ("space", "j", "j", "space", "c")


def demo_app(directory: Path, phase: Phase = Phase.LIVE, *, noisy: bool = False) -> TfTuiApp:
    return TfTuiApp(demo_session(directory, phase, noisy=noisy), connect=False, clock=lambda: NOW)


async def _save(
    app: TfTuiApp, size: tuple[int, int], path: Path, keys: tuple[str, ...] = (), screen: Any = None
) -> None:
    async with app.run_test(size=size) as pilot:
        if screen is not None:
            await app.push_screen(screen)
        for key in keys:
            await pilot.press(key)
        await _settled(pilot)
        app.save_screenshot(str(path))


async def _settled(pilot: Pilot[None]) -> None:
    """Until the screen is in its final state: the dialog's lists loaded, the footer's keys in (they come
    after its first refresh; a screenshot taken before then has no footer)."""
    app = pilot.app
    await app.workers.wait_for_complete()
    footer = app.screen_stack[0].query_one(Footer)
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while not footer.children:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the footer had no keys after {SETTLE_TIMEOUT_S:.0f} s")
        await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def write_screenshots(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    scratch = target / ".scratch"
    scratch.mkdir(exist_ok=True)
    await _save(demo_app(scratch), (120, 32), target / "dashboard.svg")
    await _save(demo_app(scratch), (100, 34), target / "detail-chart.svg", keys=("enter",))
    await _save(demo_app(scratch), (120, 36), target / "compare.svg", keys=COMPARE_KEYS)
    await _save(demo_again_app(scratch), (120, 36), target / "compare-differences.svg", keys=COMPARE_AGAIN_KEYS)
    start_app = demo_app(scratch)
    await _save(start_app, (100, 30), target / "start-dialog.svg", screen=StartScreen(start_app.session))
    datasets_app = demo_app(scratch)
    await _save(datasets_app, (100, 24), target / "datasets.svg", screen=DatasetsScreen(datasets_app.session))
    question = Text("Stop run ")
    question.append("3f2a9c1e", style="bold")
    question.append(" (training 37% step 4200/12000 loss 0.3012)?")
    await _save(demo_app(scratch), (100, 30), target / "stop-confirm.svg", screen=ConfirmScreen(question))
    await _save(demo_app(scratch, Phase.RETRYING), (120, 32), target / "disconnected.svg")
    # The completed run (the third), evaluated.
    await _save(demo_app(scratch), (110, 36), target / "evaluated-run.svg", keys=("j", "j", "e"))
    fleet_app = TfTuiApp(demo_fleet(scratch), connect=False, clock=lambda: NOW)
    await _save(fleet_app, (130, 32), target / "fleet.svg")
    # Last: the smoothing chosen is kept beside the state file, which the screenshots before share.
    await _save(
        demo_app(scratch, noisy=True), (100, 34), target / "smoothed-chart.svg", keys=("enter", "m", "m", "plus")
    )
    for leftover in scratch.iterdir():
        leftover.unlink()
    scratch.rmdir()


if __name__ == "__main__":
    asyncio.run(write_screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))
