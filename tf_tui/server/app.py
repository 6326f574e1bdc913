"""The reference Talent Factory server: every route and WebSocket message of PROTOCOL.md.

Same field names and shapes as the deployed backend, without its bugs: a stop stops, the status
endpoint says 100 after completion and keeps its shape across restarts, bad frames get an answer.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, UploadFile, WebSocket
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator, model_validator

from tf_tui.common.server_address import new_instance_id
from tf_tui.server.catalog import MODEL_SIZES, TRAINING_PARAMS, resolve_params
from tf_tui.server.clock import now_iso
from tf_tui.server.datasets import (
    BUILTIN_DATASETS,
    MAX_UPLOAD_BYTES,
    DatasetError,
    Example,
    contains_pii,
    mask_pii,
    parse_upload,
)
from tf_tui.server.db import Database, Dataset, Run
from tf_tui.server.environment import environment
from tf_tui.server.hub import Connection, Hub, error_frame
from tf_tui.server.idle import ActivityMiddleware, IdleWatch
from tf_tui.server.jobs import JobManager, RunAlreadyEnded, RunNotFound
from tf_tui.server.logs import read_log
from tf_tui.server.metrics import RunMetrics
from tf_tui.server.middleware import BearerTokenMiddleware
from tf_tui.server.paths import UnsafePath, file_in
from tf_tui.server.talents import add_talent_routes

RECENT_RUNS = 10
# Every request body is counted as it arrives, chunked ones too, so no upload is spooled to disk past
# the limit; the multipart boundaries and part headers around an upload get a little room.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
WS_TRY_AGAIN_LATER = 1013


@dataclass(frozen=True)
class ServerSettings:
    data_dir: Path
    token: str | None = None
    max_concurrent: int = 2
    idle_exit: float | None = None  # seconds with nothing going before the server ends itself
    instance_id: str = field(default_factory=new_instance_id)  # told apart from a server reusing the port


LISTED_DATASETS = 20  # in an "unknown dataset" answer; uploads add one each


class TrainParams(BaseModel):
    # The deployed backend takes any params and stores a typo silently; this server names the ones it reads.
    max_steps: int | None = Field(None, ge=1, le=10_000_000)
    learning_rate: float | None = Field(None, gt=0, le=1)
    batch_size: int | None = Field(None, ge=1, le=4096)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)

    @model_validator(mode="before")
    @classmethod
    def known_keys(cls, values: Any) -> Any:
        unknown = [key for key in values if key not in TRAINING_PARAMS] if isinstance(values, dict) else []
        if unknown:
            names = ", ".join(repr(key) for key in unknown)
            raise ValueError(f"unknown parameter {names}; this server takes {', '.join(TRAINING_PARAMS)}")
        return values


class StartRequest(BaseModel):
    base_model: str
    dataset_ids: list[str] = Field(min_length=1)
    params: TrainParams = Field(default_factory=TrainParams)
    outcome_preference: Literal["speed", "balanced", "quality"] = "balanced"

    @field_validator("base_model")
    @classmethod
    def known_model(cls, value: str) -> str:
        if value not in MODEL_SIZES:
            raise ValueError(f"unknown model {value!r}; this server trains {', '.join(MODEL_SIZES)}")
        return value


class Services:
    """What the routes use; made when the server starts and closed when it stops."""

    def __init__(self, settings: ServerSettings) -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = settings.data_dir
        self.database = Database(settings.data_dir / "talent-factory.db")
        self.hub = Hub()
        self.metrics = RunMetrics(self.database)
        self.jobs = JobManager(self.database, self.hub, settings.data_dir, settings.max_concurrent, self.metrics)
        self.jobs.fail_interrupted_runs()
        for builtin in BUILTIN_DATASETS:
            if self.database.dataset(builtin.id) is None:
                self.store_dataset(
                    builtin.id, builtin.name, "builtin", None, builtin.examples, contains_pii(builtin.examples)
                )

    def store_dataset(
        self,
        dataset_id: str,
        name: str,
        source: str,
        filename: str | None,
        examples: list[Example],
        has_pii: bool,
    ) -> Dataset:
        folder = self.data_dir / "datasets"
        folder.mkdir(parents=True, exist_ok=True)
        path = file_in(folder, dataset_id, ".jsonl")
        path.write_text("".join(json.dumps(example) + "\n" for example in examples), encoding="utf-8")
        dataset = Dataset(
            id=dataset_id,
            name=name,
            source=source,
            filename=filename,
            rows=len(examples),
            has_pii=has_pii,
            path=str(path),
            created_at=now_iso(),
        )
        self.database.save_dataset(dataset)
        return dataset

    def busy(self) -> bool:
        return bool(self.jobs.active_ids() or self.hub.connections)


def create_app(
    settings: ServerSettings,
    on_ready: Callable[[], None] | None = None,
    on_idle: Callable[[], None] | None = None,
) -> FastAPI:
    """The server's routes. With `settings.idle_exit`, `on_idle` is called once it has been idle that long."""
    services: Services | None = None
    idle = (
        IdleWatch(settings.idle_exit, busy=lambda: services is not None and services.busy(), on_idle=on_idle)
        if settings.idle_exit is not None and on_idle is not None
        else None
    )

    async def get_services() -> Services:
        assert services is not None, "routes run only between startup and shutdown"
        return services

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal services
        services = Services(settings)
        if on_ready is not None:
            on_ready()
        idle_task = asyncio.create_task(idle.run()) if idle is not None else None
        try:
            yield
        finally:
            if idle_task is not None:
                idle_task.cancel()
            await services.jobs.shutdown()
            services.database.close()

    app = FastAPI(title="Talent Factory (tf-tui reference server)", lifespan=lifespan, max_body_size=MAX_REQUEST_BYTES)
    if idle is not None:
        app.add_middleware(ActivityMiddleware, watch=idle)
    if settings.token is not None:
        app.add_middleware(BearerTokenMiddleware, token=settings.token)

    @app.get("/health")
    async def health() -> dict[str, str]:
        # `instance` beyond the contract: how a launcher knows the server on a port is the one it started.
        return {"status": "healthy", "service": "Talent Factory", "instance": settings.instance_id}

    @app.get("/models/list")
    async def models() -> dict[str, Any]:
        return {"models": [size.describe() for size in MODEL_SIZES.values()]}

    @app.get("/datasets/available")
    async def datasets(services: Services = Depends(get_services)) -> dict[str, Any]:
        available = [dataset.describe() for dataset in services.database.datasets()]
        return {"datasets": available, "count": len(available)}

    @app.post("/dataset/ingest-single")
    async def ingest(
        file: UploadFile = File(...),
        name: str | None = Form(None),
        services: Services = Depends(get_services),
    ) -> dict[str, Any]:
        upload = await _ingested(file)
        dataset = services.store_dataset(
            uuid.uuid4().hex, name or upload.filename, "upload", upload.filename, upload.examples, upload.has_pii
        )
        return {
            "dataset_id": dataset.id,
            "filename": upload.filename,
            "name": dataset.name,
            "rows": dataset.rows,
            "has_pii": dataset.has_pii,
            "status": "ingested",
        }

    @app.post("/dataset/ingest-multiple")
    async def ingest_multiple(
        files: list[UploadFile] = File(...),
        name: str | None = Form(None),
        services: Services = Depends(get_services),
    ) -> dict[str, Any]:
        # One by one: the request's size limit bounds them together, and each is parsed as it comes.
        uploads = [await _ingested(file) for file in files]
        examples = [example for upload in uploads for example in upload.examples]
        has_pii = any(upload.has_pii for upload in uploads)
        filename = f"Multi-file dataset ({len(uploads)} files)"  # the deployed backend's words
        dataset = services.store_dataset(uuid.uuid4().hex, name or filename, "upload", filename, examples, has_pii)
        return {
            "dataset_id": dataset.id,
            "filename": filename,
            "name": dataset.name,
            "rows": dataset.rows,
            "has_pii": dataset.has_pii,
            "status": "ingested",
            "processed_files": [
                {
                    "filename": upload.filename,
                    "mime_type": upload.mime_type,
                    "rows": len(upload.examples),
                    "has_pii": upload.has_pii,
                }
                for upload in uploads
            ],
            "training_examples": dataset.rows,
        }

    @app.post("/train/start")
    async def start(request: StartRequest, services: Services = Depends(get_services)) -> dict[str, Any]:
        known = [dataset.id for dataset in services.database.datasets()]
        more = f" and {len(known) - LISTED_DATASETS} more" if len(known) > LISTED_DATASETS else ""
        offer = f"this server has {', '.join(known[:LISTED_DATASETS])}{more}" if known else "this server has none"
        unknown = [
            {"type": "value_error", "loc": ["body", "dataset_ids", index], "msg": f"unknown dataset {ident!r}; {offer}"}
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
        services.jobs.submit(run)
        return {
            "train_id": run.id,
            "status": "started",
            "message": f"Training {model.name} for {params['max_steps']} steps on {len(run.dataset_ids)} dataset(s)",
        }

    @app.get("/train/status/{train_id}")
    async def status(train_id: str, services: Services = Depends(get_services)) -> dict[str, Any]:
        run = services.jobs.run(train_id)
        if run is None:
            raise HTTPException(404, "Training run not found")
        return status_body(run)

    @app.get("/train/logs/{train_id}")
    async def logs(train_id: str, offset: int = Query(0, ge=0), services: Services = Depends(get_services)) -> Response:
        run = services.jobs.run(train_id)
        if run is None:
            raise HTTPException(404, "Training run not found")
        try:
            part = read_log(services.data_dir / "logs", run, offset)
        except (UnsafePath, OSError):  # a symlink put in the logs dir: refused, not followed
            raise HTTPException(403, "The run's log is not a plain file in the server's logs folder") from None
        return Response(part.data, media_type="text/plain; charset=utf-8", headers=part.headers())

    @app.get("/train/metrics/{train_id}")
    async def metrics(
        train_id: str, after_step: int | None = Query(None, ge=0), services: Services = Depends(get_services)
    ) -> dict[str, Any]:
        if services.jobs.run(train_id) is None:
            raise HTTPException(404, "Training run not found")
        return {
            "train_id": train_id,
            "points": services.metrics.points(train_id, after_step),
            "downsampled": services.metrics.downsampled(train_id),
        }

    @app.post("/train/stop/{train_id}")
    async def stop(train_id: str, services: Services = Depends(get_services)) -> dict[str, Any]:
        try:
            run = await services.jobs.stop(train_id)
        except RunNotFound:
            raise HTTPException(404, "Training run not found or not active") from None
        except RunAlreadyEnded as ended:
            raise HTTPException(409, f"Training run already ended: {ended.status}") from None
        return {"train_id": run.id, "status": run.status, "progress": run.progress, "message": "Training stopped"}

    @app.get("/train/active")
    async def active(services: Services = Depends(get_services)) -> dict[str, Any]:
        ids = services.jobs.active_ids()
        return {"active_trainings": ids, "count": len(ids)}

    @app.get("/dashboard")
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

    @app.get("/env/check")
    async def env_check() -> dict[str, Any]:
        # In a thread: NVML's first call can take a second, and the socket must not wait for it.
        return await asyncio.to_thread(environment, live=True)

    add_talent_routes(app, get_services)

    @app.websocket("/ws")
    async def websocket(socket: WebSocket) -> None:
        await socket.accept()
        hub = (await get_services()).hub
        connection = hub.connect()
        tasks = {
            asyncio.create_task(_receive(socket, hub, connection)),
            asyncio.create_task(_send(socket, connection)),
        }
        overflow = asyncio.create_task(connection.overflowed.wait())
        try:
            done, _ = await asyncio.wait({*tasks, overflow}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hub.disconnect(connection)
            for task in (*tasks, overflow):
                task.cancel()
        if overflow in done:
            with suppress(Exception):  # the client may be gone already
                await socket.close(code=WS_TRY_AGAIN_LATER, reason="too slow: too many frames waiting")

    return app


async def _receive(socket: WebSocket, hub: Hub, connection: Connection) -> None:
    while True:
        message = await socket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            connection.offer(error_frame("Binary frames are not supported; send JSON text frames"))
        else:
            connection.offer(hub.handle(connection, text))


async def _send(socket: WebSocket, connection: Connection) -> None:
    while True:
        frame = await connection.outbox.get()
        await socket.send_text(json.dumps(frame))


@dataclass(frozen=True)
class IngestedFile:
    filename: str
    mime_type: str
    examples: list[Example]  # masked when `has_pii`
    has_pii: bool


async def _ingested(file: UploadFile) -> IngestedFile:
    """One uploaded file as examples, PII masked; a 413 or 422 that names the file when it cannot be."""
    filename = file.filename or "upload"
    payload = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(payload) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"{filename} is larger than the {MAX_UPLOAD_BYTES // (1024 * 1024)} MB limit")
    try:
        # Off the event loop: parsing 10 MB must not stall other requests and the progress frames.
        examples, has_pii = await asyncio.to_thread(_parse_and_screen, filename, payload)
    except DatasetError as error:
        raise HTTPException(422, f"Cannot ingest {filename}: {error}") from None
    return IngestedFile(filename, file.content_type or "application/octet-stream", examples, has_pii)


def _parse_and_screen(filename: str, payload: bytes) -> tuple[list[Example], bool]:
    examples = parse_upload(filename, payload)
    has_pii = contains_pii(examples)
    return (mask_pii(examples) if has_pii else examples), has_pii


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
