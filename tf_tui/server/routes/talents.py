"""Evaluate → publish → catalogue: the routes the deployed web UI's new-talent wizard calls, with real numbers.

`POST /evaluate/run` measures a completed run (named by its train id, as the deployed UI passes it, or by
a published talent's id) on what it never trained on, and `GET /evaluate/run/{id}` reads its latest
evaluation back (an extension of this server); `POST /talents/publish` puts a completed run in the
catalogue (`GET /mcp/talents`) and tells every socket (its `model_path`, which the deployed backend requires,
is optional here and must be the run's own); `/mcp/talents/{id}/test` has the talent continue a
prompt. The deployed backend answers constants and canned text to the same shapes.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query

from tf_tui.server.clock import now_iso
from tf_tui.server.db import EvaluationRecord, Run, Talent
from tf_tui.server.dependencies import get_services
from tf_tui.server.errors import unprocessable
from tf_tui.server.evaluation import (
    MAX_TEST_INPUT,
    EvaluationError,
    answer,
    evaluate,
    held_out_from,
    load_model,
    trained_examples,
)
from tf_tui.server.json_route import CheckedJsonRoute
from tf_tui.server.requests import EvaluateRequest, PublishRequest, TestRequest
from tf_tui.server.services import Services
from tf_tui.server.trainer import read_examples

# What the deployed web UI offers when publishing.
CATEGORIES = ("general", "coding", "writing", "analysis", "creative")

router = APIRouter(route_class=CheckedJsonRoute)


@router.post("/evaluate/run")
async def evaluate_run(request: EvaluateRequest, services: Services = Depends(get_services)) -> dict[str, Any]:
    run = _trained_run(services, request.talent_id)
    test_set = None if request.test_dataset_id is None else services.database.dataset(request.test_dataset_id)
    if request.test_dataset_id is not None and test_set is None:
        raise unprocessable(("body", "test_dataset_id"), f"Unknown test dataset {request.test_dataset_id!r}")
    paths = [Path(dataset.path) for dataset in map(services.database.dataset, run.dataset_ids) if dataset]

    def measure() -> Any:
        model, held_out = load_model(_weights(run))
        if test_set is not None:
            trained = trained_examples(read_examples(paths), held_out)
            examples = read_examples([Path(test_set.path)])
            held_out = held_out_from(examples, trained, model.context, f"dataset {test_set.id}")
        return evaluate(model, held_out)

    try:
        # Off the event loop: the sockets keep streaming while the model reads its test text.
        measured = await asyncio.to_thread(measure)
    except EvaluationError as error:
        raise HTTPException(409, f"Run {run.id} cannot be evaluated: {error}") from None
    record = EvaluationRecord(
        id=uuid.uuid4().hex,
        talent_id=request.talent_id,
        run_id=run.id,
        test_dataset_id=request.test_dataset_id,
        metrics=measured.metrics,
        methods=measured.methods,
        status="completed",
        created_at=now_iso(),
    )
    services.database.save_evaluation(record)
    return _evaluation_body(record)


@router.get("/evaluate/run/{train_id}")
async def stored_evaluation(train_id: str, services: Services = Depends(get_services)) -> dict[str, Any]:
    """A run's latest evaluation (the run named by its id or a published talent's), as `POST /evaluate/run`
    answered it; `evaluation` is null until the run is evaluated. An extension of this server: a client
    shows a run's evaluation again after a relaunch, or one a teammate made."""
    talent = services.database.talent(train_id)
    run = services.jobs.run(talent.run_id if talent else train_id)
    if run is None:
        raise HTTPException(404, f"No training run or talent {train_id!r}")
    record = services.database.latest_evaluation(run.id)
    return {"train_id": run.id, "evaluation": None if record is None else _evaluation_body(record)}


@router.post("/talents/publish")
async def publish(request: PublishRequest, services: Services = Depends(get_services)) -> dict[str, Any]:
    if request.category not in CATEGORIES:
        raise unprocessable(
            ("body", "category"), f"Unknown category {request.category!r}; choose one of {', '.join(CATEGORIES)}"
        )
    run = _trained_run(services, request.id)
    if request.model_path is not None and request.model_path != (run.result or {}).get("model_path"):
        # Never a path of the client's choosing: the talent is the run's own weights, or nothing.
        raise HTTPException(422, f"model_path is not where run {run.id} saved its model (its status names that)")
    earlier = services.database.talent(run.id)
    evaluation = services.database.latest_evaluation(run.id)
    metrics, methods = (
        (request.metrics, {name: "given when it was published" for name in request.metrics})
        if request.metrics is not None
        else (evaluation.metrics, evaluation.methods)
        if evaluation is not None
        else ({}, {})
    )
    now = now_iso()
    talent = Talent(
        id=run.id,
        run_id=run.id,
        name=request.name.strip() or request.name,
        category=request.category,
        version=request.version,
        metrics=metrics,
        methods=methods,
        status=request.status,
        created_at=earlier.created_at if earlier else now,
        updated_at=now,
    )
    services.database.save_talent(talent)
    services.hub.broadcast(
        {
            "type": "talent_event",
            "event": "talent_updated" if earlier else "talent_published",
            "data": {
                "talent_id": talent.id,
                "name": talent.name,
                "category": talent.category,
                "version": talent.version,
            },
            "timestamp": now,
        }
    )
    return {"status": "published", "talent_id": talent.id}


@router.get("/mcp/talents")
async def catalogue(services: Services = Depends(get_services)) -> dict[str, Any]:
    talents = [_describe(talent, services) for talent in services.database.talents() if talent.status == "active"]
    return {"talents": talents, "count": len(talents)}


@router.get("/mcp/talents/{talent_id}/test")
async def try_talent(
    talent_id: str,
    test_input: str = Query(min_length=1, max_length=MAX_TEST_INPUT),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    return await _try(services, talent_id, test_input)


@router.post("/mcp/talents/{talent_id}/test")
async def try_talent_with_body(
    talent_id: str, request: TestRequest, services: Services = Depends(get_services)
) -> dict[str, Any]:
    return await _try(services, talent_id, request.test_input)


async def _try(services: Services, talent_id: str, test_input: str) -> dict[str, Any]:
    talent = services.database.talent(talent_id)
    if talent is None:
        raise HTTPException(404, f"Talent {talent_id!r} is not in the catalogue")
    run = _trained_run(services, talent.run_id)
    try:
        reply = await asyncio.to_thread(lambda: answer(load_model(_weights(run))[0], test_input))
    except EvaluationError as error:
        raise HTTPException(409, f"Talent {talent_id} cannot answer: {error}") from None
    return {
        "talent_id": talent.id,
        "name": talent.name,
        "category": talent.category,
        "test_input": test_input,
        "test_output": reply.text,
        "confidence": reply.confidence,
        "response_time_ms": reply.response_time_ms,
        "method": "the model's greedy continuation of the input, up to the end of an example (a blank line)",
    }


def _trained_run(services: Services, ident: str) -> Run:
    """The completed run `ident` names: a run's own id, or a published talent's."""
    talent = services.database.talent(ident)
    run = services.jobs.run(talent.run_id if talent else ident)
    if run is None:
        raise HTTPException(404, f"No training run or talent {ident!r}")
    if run.status != "completed":
        raise HTTPException(409, f"Run {run.id} is {run.status}; only a completed run has a model to use")
    return run


def _evaluation_body(record: EvaluationRecord) -> dict[str, Any]:
    return {
        "eval_id": record.id,
        "talent_id": record.talent_id,
        "run_id": record.run_id,
        "test_dataset_id": record.test_dataset_id,
        "metrics": record.metrics,  # numbers only, as the deployed backend's; how each was found is beside it
        "methods": record.methods,
        "status": record.status,
        "created_at": record.created_at,
    }


def _weights(run: Run) -> Path:
    path = (run.result or {}).get("model_path")
    if not isinstance(path, str):
        raise EvaluationError("it saved no weights")
    return Path(path)


def _describe(talent: Talent, services: Services) -> dict[str, Any]:
    run = services.jobs.run(talent.run_id)
    return {
        "id": talent.id,
        "name": talent.name,
        "category": talent.category,
        "version": talent.version,
        "metrics": talent.metrics,
        "methods": talent.methods,
        "status": talent.status,
        "created_at": talent.created_at,
        "updated_at": talent.updated_at,
        "run_id": talent.run_id,
        "base_model": run.base_model if run else None,
    }
