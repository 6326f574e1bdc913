"""RunStories: a shown run's history and stored evaluation read once each, for the runs shown last only, and a
backend without the evaluation route asked once."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tf_tui.base.capabilities import Capabilities, Extension
from tf_tui.base.protocol import RunUpdate
from tf_tui.client.api import BackendUnreachable, RouteMissing
from tf_tui.core.evaluation import Metric
from tf_tui.core.eventlog import EventLog
from tf_tui.core.history_reader import HistoryReader
from tf_tui.core.store import RunStore, Source
from tf_tui.core.stories import RunStories

EVALUATION = {"eval_id": "e1", "talent_id": "c1", "metrics": {"held_out_loss": 1.5}, "methods": {}}


class Backend:
    """Answers every read at once, counting them: three points of history, and a stored evaluation."""

    def __init__(self, evaluation: dict[str, Any] | Exception | None = None) -> None:
        self.metrics_reads: Counter[str] = Counter()
        self.evaluation_reads: Counter[str] = Counter()
        self.evaluation = evaluation

    async def metrics(self, train_id: str, after_step: int | None) -> dict[str, Any]:
        self.metrics_reads[train_id] += 1
        return {"points": [{"step": step, "loss": 2.0 / step} for step in (1, 2, 3)], "downsampled": False}

    async def stored_evaluation(self, train_id: str) -> dict[str, Any]:
        self.evaluation_reads[train_id] += 1
        if isinstance(self.evaluation, Exception):
            raise self.evaluation
        return {"train_id": train_id, "evaluation": self.evaluation}


def stories_for(
    backend: Backend, *, kept: int = 64, followed: frozenset[str] = frozenset()
) -> tuple[RunStories, RunStore, Capabilities, EventLog]:
    store, capabilities, events = RunStore(), Capabilities(), EventLog()
    history = HistoryReader(backend.metrics, store, capabilities, events, lambda: None)
    stories = RunStories(
        history,
        backend.stored_evaluation,
        store,
        capabilities,
        events,
        followed=lambda train_id: train_id in followed,
        changed=lambda: None,
        kept=kept,
    )
    return stories, store, capabilities, events


def ended(store: RunStore, *train_ids: str, status: str = "completed") -> None:
    for train_id in train_ids:
        store.apply(RunUpdate(train_id, status, 100, {"step": 3, "loss": 0.7}), Source.POLL, 1.0)


async def test_the_runs_shown_last_keep_their_story_and_one_let_go_is_read_again_when_shown_again():
    backend = Backend()
    stories, store, _, _ = stories_for(backend, kept=2)
    ended(store, "r1", "r2", "r3")
    for train_id in ("r1", "r2", "r1", "r3"):  # r1 shown again before r3: r2 is the one shown longest ago
        await stories.show([train_id])
    assert backend.metrics_reads == {"r1": 1, "r2": 1, "r3": 1}
    assert len(store.runs["r2"].history) == 0 and not store.runs["r2"].history.from_backend
    assert len(store.runs["r1"].history) == len(store.runs["r3"].history) == 3
    await stories.show(["r2"])
    assert backend.metrics_reads["r2"] == 2 and len(store.runs["r2"].history) == 3


async def test_a_followed_runs_history_is_never_let_go():
    stories, store, _, _ = stories_for(Backend(), kept=1, followed=frozenset({"r1"}))
    ended(store, "r1", "r2")
    await stories.show(["r1"])
    await stories.show(["r2"])
    assert len(store.runs["r1"].history) == 3  # live points may be in it: the only copy


async def test_a_completed_runs_stored_evaluation_is_read_once_and_a_going_runs_never():
    backend = Backend(EVALUATION)
    stories, store, _, _ = stories_for(backend)
    ended(store, "c1")
    ended(store, "s1", status="stopped")
    store.apply(RunUpdate("g1", "training", 5), Source.WS, 1.0)
    for _ in range(3):
        await stories.show(["c1", "s1", "g1"])
    assert backend.evaluation_reads == {"c1": 1}
    evaluation = stories.evaluation("c1")
    assert evaluation is not None and evaluation.metrics == [Metric("held_out_loss", 1.5, None)]
    assert stories.evaluation("s1") is None and stories.evaluation("g1") is None


async def test_a_backend_without_the_evaluation_route_is_asked_once():
    backend = Backend(RouteMissing("GET /evaluate/run/c1: HTTP 404, Not Found", "HTTP 404, Not Found"))
    stories, store, capabilities, _ = stories_for(backend)
    ended(store, "c1", "c2")
    await stories.show(["c1", "c2"])
    await stories.show(["c2"])
    assert sum(backend.evaluation_reads.values()) == 1
    assert capabilities.missing(Extension.STORED_EVALUATION) is not None


async def test_a_failed_evaluation_read_is_said_and_tried_again_when_shown_again():
    backend = Backend(BackendUnreachable("GET /evaluate/run/c1: cannot reach it"))
    stories, store, _, events = stories_for(backend)
    ended(store, "c1")
    await stories.show(["c1"])
    assert "could not read the stored evaluation of c1" in events.entries[-1].text
    backend.evaluation = EVALUATION
    await stories.show(["c1"])
    assert backend.evaluation_reads["c1"] == 2 and stories.evaluation("c1") is not None
