"""What a run has said so far: its metric points (`/train/metrics/{id}`) and its log (`/train/logs/{id}`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from tf_tui.server.dependencies import get_services
from tf_tui.server.json_input import MAX_INTEGER
from tf_tui.server.json_route import CheckedJsonRoute
from tf_tui.server.logs import read_log
from tf_tui.server.paths import UnsafePath
from tf_tui.server.services import Services

router = APIRouter(route_class=CheckedJsonRoute)


@router.get("/train/logs/{train_id}")
async def logs(
    train_id: str, offset: int = Query(0, ge=0, le=MAX_INTEGER), services: Services = Depends(get_services)
) -> Response:
    run = services.jobs.run(train_id)
    if run is None:
        raise HTTPException(404, "Training run not found")
    try:
        part = read_log(services.data_dir / "logs", run, offset)
    except (UnsafePath, OSError):  # a symlink put in the logs dir: refused, not followed
        raise HTTPException(403, "The run's log is not a plain file in the server's logs folder") from None
    return Response(part.data, media_type="text/plain; charset=utf-8", headers=part.headers())


@router.get("/train/metrics/{train_id}")
async def metrics(
    train_id: str,
    after_step: int | None = Query(None, ge=0, le=MAX_INTEGER),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    if services.jobs.run(train_id) is None:
        raise HTTPException(404, "Training run not found")
    return {
        "train_id": train_id,
        "points": services.metrics.points(train_id, after_step),
        "downsampled": services.metrics.downsampled(train_id),
    }
