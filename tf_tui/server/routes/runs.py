"""Training runs: `/train/start`, `/train/status/{id}`, `/train/stop/{id}` and `/train/active`."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from tf_tui.server.catalog import MODEL_SIZES, resolve_params
from tf_tui.server.clock import now_iso
from tf_tui.server.db import Run
from tf_tui.server.dependencies import get_services
from tf_tui.server.errors import field_error
from tf_tui.server.jobs import RunAlreadyEnded, RunNotEnded, RunNotFound, RunNotStarted
from tf_tui.server.json_route import CheckedJsonRoute
from tf_tui.server.requests import StartRequest
from tf_tui.server.responses import status_body
from tf_tui.server.services import Services

LISTED_DATASETS = 20  # in an "unknown dataset" answer; uploads add one each

router = APIRouter(route_class=CheckedJsonRoute)


@router.post("/train/start")
async def start(request: StartRequest, services: Services = Depends(get_services)) -> dict[str, Any]:
    known = [dataset.id for dataset in services.database.datasets()]
    more = f" and {len(known) - LISTED_DATASETS} more" if len(known) > LISTED_DATASETS else ""
    offer = f"this server has {', '.join(known[:LISTED_DATASETS])}{more}" if known else "this server has none"
    unknown = [
        field_error(("body", "dataset_ids", index), f"unknown dataset {ident!r}; {offer}")
        for index, ident in enumerate(request.dataset_ids)
        if ident not in known
    ]
    if unknown:
        raise HTTPException(422, unknown)
    model = MODEL_SIZES[request.base_model]
    params = resolve_params(model, request.outcome_preference, request.params.model_dump())
    run = Run(
        id=str(uuid.uuid4()),
        base_model=model.id,
        dataset_ids=request.dataset_ids,
        params=params,
        outcome=request.outcome_preference,
        status="pending",
        created_at=now_iso(),
    )
    try:
        services.jobs.submit(run)
    except RunNotStarted as error:
        raise HTTPException(503, f"{error}; nothing was started") from None
    return {
        "train_id": run.id,
        "status": "started",
        "message": f"Training {model.name} for {params['max_steps']} steps on {len(run.dataset_ids)} dataset(s)",
    }


@router.get("/train/status/{train_id}")
async def status(train_id: str, services: Services = Depends(get_services)) -> dict[str, Any]:
    run = services.jobs.run(train_id)
    if run is None:
        raise HTTPException(404, "Training run not found")
    return status_body(run)


@router.post("/train/stop/{train_id}")
async def stop(train_id: str, services: Services = Depends(get_services)) -> dict[str, Any]:
    try:
        run = await services.jobs.stop(train_id)
    except RunNotFound:
        raise HTTPException(404, "Training run not found or not active") from None
    except RunAlreadyEnded as ended:
        raise HTTPException(409, f"Training run already ended: {ended.status}") from None
    except RunNotEnded as error:
        raise HTTPException(503, str(error)) from None
    return {"train_id": run.id, "status": run.status, "progress": run.progress, "message": "Training stopped"}


@router.get("/train/active")
async def active(services: Services = Depends(get_services)) -> dict[str, Any]:
    ids = services.jobs.active_ids()
    return {"active_trainings": ids, "count": len(ids)}
