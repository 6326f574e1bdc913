"""The server and its machine: `/health`, `/models/list`, `/env/check` and the `/dashboard` summary."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends

from tf_tui.server.catalog import MODEL_SIZES
from tf_tui.server.datasets import MAX_UPLOAD_BYTES
from tf_tui.server.dependencies import get_services, get_settings
from tf_tui.server.environment import environment
from tf_tui.server.json_route import CheckedJsonRoute
from tf_tui.server.services import Services
from tf_tui.server.settings import ServerSettings

RECENT_RUNS = 10

router = APIRouter(route_class=CheckedJsonRoute)


@router.get("/health")
async def health(settings: ServerSettings = Depends(get_settings)) -> dict[str, str | int]:
    # Beyond the contract: `instance`, how a launcher knows the server on a port is the one it started, and
    # `max_upload_bytes`, the most an upload's files may hold together, so a client refuses a bigger one
    # before sending a byte of it.
    return {
        "status": "healthy",
        "service": "Talent Factory",
        "instance": settings.instance_id,
        "max_upload_bytes": MAX_UPLOAD_BYTES,
    }


@router.get("/models/list")
async def models() -> dict[str, Any]:
    return {"models": [size.describe() for size in MODEL_SIZES.values()]}


@router.get("/dashboard")
async def dashboard(services: Services = Depends(get_services)) -> dict[str, Any]:
    recent = [
        {
            "id": run.id,
            "base_model": run.base_model,
            "status": run.status,
            "progress": run.progress,
            "created_at": run.created_at,
        }
        for run in services.database.runs(limit=RECENT_RUNS)
    ]
    return {
        "talent_count": services.database.count_runs("completed"),
        "dataset_count": len(services.database.datasets()),
        "recent_runs": recent,
        "environment": await asyncio.to_thread(environment, live=False),
        "active_training": len(services.jobs.active_ids()),
    }


@router.get("/env/check")
async def env_check() -> dict[str, Any]:
    # In a thread: NVML's first call can take a second, and the socket must not wait for it.
    return await asyncio.to_thread(environment, live=True)
