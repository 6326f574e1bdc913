"""Each run's metrics as its trainer reports them, bounded and kept in the database: what
`GET /train/metrics/{id}` serves, so that a client that joins late still draws the run from its first step.

An extension of the contract (the deployed backend has no such route). A run keeps at most `POINT_LIMIT`
points: past it, every other one is dropped, the first and the last kept and the evaluations spared.
"""

from __future__ import annotations

import math
from typing import Any

from tf_tui.common.downsample import thin
from tf_tui.server.db import METRIC_VALUES, Database

POINT_LIMIT = 2_000


def metric_point(details: dict[str, Any]) -> dict[str, Any] | None:
    """A progress line's step and values, or None when it has no step or no value (a phase message)."""
    step = details.get("step")
    if not isinstance(step, int) or isinstance(step, bool):
        return None
    values = {name: _finite(details.get(name)) for name in METRIC_VALUES}
    return None if all(value is None for value in values.values()) else {"step": step, **values}


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


class RunMetrics:
    """Records the runs' points as they come, thins a run's stored points when they pass the limit, and
    reads them back."""

    def __init__(self, database: Database, limit: int = POINT_LIMIT) -> None:
        self._database = database
        self._limit = limit
        self._counts: dict[str, int] = {}  # stored points of the runs in flight, not to count them per line

    def record(self, run_id: str, details: dict[str, Any]) -> None:
        point = metric_point(details)
        if point is None:
            return
        self._database.save_metric(run_id, point)
        count = self._counts.get(run_id)
        count = self._database.count_metrics(run_id) if count is None else count + 1
        if count > self._limit:
            kept = thin(self._database.metrics(run_id), self._limit, keep=lambda kept: kept["eval_loss"] is not None)
            self._database.keep_metrics(run_id, [kept_point["step"] for kept_point in kept])
            count = len(kept)
        self._counts[run_id] = count

    def finish(self, run_id: str) -> None:
        """The run ended: nothing more is recorded for it."""
        self._counts.pop(run_id, None)

    def points(self, run_id: str, after_step: int | None = None) -> list[dict[str, Any]]:
        return self._database.metrics(run_id, after_step)

    def downsampled(self, run_id: str) -> bool:
        return self._database.metrics_thinned(run_id)
