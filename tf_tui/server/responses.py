"""A run as `GET /train/status/{id}` tells it."""

from __future__ import annotations

from typing import Any

from tf_tui.server.db import Run


def status_body(run: Run) -> dict[str, Any]:
    """`GET /train/status/{id}`: the same shape before and after a restart, progress included."""
    body: dict[str, Any] = {
        "train_id": run.id,
        "status": run.status,
        "progress": run.progress,
        "details": run.details,
        "base_model": run.base_model,
        "dataset_ids": run.dataset_ids,
        "outcome": run.outcome,
        "params": run.params,
        "created_at": run.created_at,
        "started_at": run.started_at,
    }
    for optional in ("completed_at", "stopped_at", "result", "error"):
        value = getattr(run, optional)
        if value is not None:
            body[optional] = value
    return body
