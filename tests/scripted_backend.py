"""A small scripted backend for what the reference server never does: the deployed backend's quirks.

It speaks the contract's shapes over real sockets on 127.0.0.1 (FastAPI on uvicorn, in the test's
own event loop), but nothing happens by itself: the test pushes each frame and sets each status body,
so every quirk is reproduced exactly and without timing guesses. Clients reach it through a
`DroppingProxy`, which drops the connection after the stop's 500 as the deployed backend does.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from starlette.websockets import WebSocketDisconnect

from tests.conftest import DEADLINE_S
from tests.dropping_proxy import DroppingProxy, dropping_proxy
from tf_tui.server.serve import bind_listening_socket

# What the deployed backend's `POST /evaluate/run` answers, whatever it is asked about.
CONSTANT_EVALUATION = {
    "metrics": {"accuracy": 0.85, "f1_score": 0.82, "precision": 0.84, "recall": 0.8},
    "safety_score": 0.95,
    "rubric_passed": True,
    "status": "completed",
}
TALENT_ROUTES = ("/evaluate/run", "/talents/publish", "/mcp/talents")


class PublishBody(BaseModel):
    """The deployed backend's request model: `model_path` is required (FastAPI's 422 without it)."""

    id: str
    name: str
    category: str = "general"
    model_path: str
    version: str = "1.0.0"
    metrics: dict[str, Any] = {}
    status: str = "active"


RECENT_RUNS = 5  # what the deployed backend's /dashboard lists


class ScriptedBackend:
    def __init__(self) -> None:
        self.status_bodies: dict[str, Any] = {}  # what GET /train/status/{id} answers; absent = 404
        # As the deployed backend: /train/active lists every run of `status_bodies`, ended ones too, and
        # /dashboard only the five newest of these (id -> base_model and created_at), in the order made.
        self.created: dict[str, dict[str, Any]] = {}
        self.status_reads: list[str] = []
        self.requests: list[str] = []  # every HTTP request's path, those of routes it lacks included
        # While this is an Event not yet set, status reads wait for it, then answer with the body as it was
        # when they arrived: a read in flight that brings older news.
        self.status_gate: asyncio.Event | None = None
        self.proxy_404: set[str] = set()  # ids whose status read hits a proxy's plain 404 page
        self.stop_replies: dict[str, Response] = {}
        self.started: list[dict[str, Any]] = []  # every accepted start's body; its datasets are never checked
        self.talent_routes = True  # False: evaluate, publish and the catalogue answer FastAPI's 404, as routes it lacks
        self.published: list[dict[str, Any]] = []  # every publish it accepted
        self.publish_reply: Response | None = None  # what POST /talents/publish answers instead, when set
        self.proxy: DroppingProxy | None = None  # what clients connect through
        # What a path answers, whatever is asked, whether or not a route has it: the deployed backend's answers
        # to the routes this backend lacks (its evaluation's constants, its publish's 422, its ingest's reply).
        self.canned: dict[str, Response] = {}
        self.received: list[str] = []  # every text frame a client sent, raw
        self.subscribers: dict[str, set[WebSocket]] = {}
        self.connections: set[WebSocket] = set()
        self.connects = 0
        self.refuse_sockets = False
        # What GET /env/check answers: the deployed backend's shape (no `live`); a Response is sent as it is.
        self.environment: dict[str, Any] | Response = {
            "gpu_name": None,
            "vram_gb": 0,
            "cpu_cores": 8,
            "ram_gb": 15.6,
            "ready": True,
        }
        # What GET /health answers: the deployed backend's words; None: the route is absent (FastAPI's 404).
        self.health: dict[str, Any] | None = {"status": "healthy", "service": "Talent Factory"}
        self.models: list[dict[str, Any]] = []  # what GET /models/list lists
        self.datasets: list[dict[str, Any]] = [{"id": "d", "name": "d", "rows": 10}]
        self._changed = asyncio.Condition()
        self.app = self._build()
        self.url = ""

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            self.requests.append(request.url.path)
            canned = self.canned.get(request.url.path)
            if canned is not None:
                return canned
            if not self.talent_routes and request.url.path.startswith(TALENT_ROUTES):
                return JSONResponse({"detail": "Not Found"}, status_code=404)
            return await call_next(request)

        @app.post("/train/start")
        async def start(body: dict[str, Any]) -> dict[str, Any]:
            self.started.append(body)
            train_id = str(uuid.uuid4())
            # As the deployed backend does: the first statuses go out before anyone can subscribe.
            for status, progress in (("starting", 0), ("initializing", 0), ("validating", 20)):
                await self.push(train_id, {"progress": progress, "status": status, "details": {}})
            self.status_bodies[train_id] = {"status": "validating", "progress": 20, "started_at": "2026-11-29T01:00:00"}
            self.created[train_id] = {"base_model": body.get("base_model"), "created_at": "2026-11-29T01:00:00"}
            return {"train_id": train_id, "status": "started", "message": "Training started"}

        @app.get("/train/status/{train_id}")
        async def status(train_id: str) -> Response:
            self.status_reads.append(train_id)
            body = self.status_bodies.get(train_id)
            await self._notify()
            if self.status_gate is not None:
                await self.status_gate.wait()
            if train_id in self.proxy_404:
                return PlainTextResponse("<html>404 Not Found</html>", status_code=404)
            if body is None:
                return JSONResponse({"detail": "Training run not found"}, status_code=404)
            return JSONResponse(body)

        @app.post("/train/stop/{train_id}")
        async def stop(train_id: str) -> Response:
            if train_id in self.stop_replies:
                return self.stop_replies[train_id]
            if train_id not in self.status_bodies:
                return JSONResponse({"detail": "Training run not found or not active"}, status_code=404)
            # As the deployed backend does: mark it stopped in memory, fail the reply, train on. A run that
            # had ended is rewritten `stopped` for good, at the 95 its status endpoint gives after completion.
            body = self.status_bodies[train_id]
            ended = body.get("status") in ("completed", "failed", "stopped")
            self.status_bodies[train_id] = {**body, "status": "stopped", **({"progress": 95} if ended else {})}
            return PlainTextResponse("Internal Server Error", status_code=500)

        @app.get("/train/active")
        async def active() -> dict[str, Any]:
            return {"active_trainings": list(self.status_bodies), "count": len(self.status_bodies)}

        @app.get("/dashboard")
        async def dashboard() -> dict[str, Any]:
            newest = list(reversed(self.created.items()))[:RECENT_RUNS]
            recent = [
                {"id": train_id, **facts, "status": self.status_bodies.get(train_id, {}).get("status", "pending")}
                for train_id, facts in newest
            ]
            return {"talent_count": 0, "dataset_count": 0, "recent_runs": recent, "active_training": 0}

        @app.get("/health")
        async def health() -> Response:
            answer = self.health
            return JSONResponse({"detail": "Not Found"}, status_code=404) if answer is None else JSONResponse(answer)

        @app.get("/env/check")
        async def env_check() -> Response:
            answer = self.environment
            return answer if isinstance(answer, Response) else JSONResponse(answer)

        @app.get("/models/list")
        async def models() -> dict[str, Any]:
            return {"models": self.models}

        @app.get("/datasets/available")
        async def datasets() -> dict[str, Any]:
            return {"datasets": self.datasets, "count": len(self.datasets)}

        @app.post("/evaluate/run")
        async def evaluate(body: dict[str, Any]) -> dict[str, Any]:
            # The id is not checked: any id, even one never heard of, gets the same numbers.
            return {"eval_id": str(uuid.uuid4()), "talent_id": body.get("talent_id"), **CONSTANT_EVALUATION}

        @app.post("/talents/publish")
        async def publish(body: PublishBody) -> Response:
            if self.publish_reply is not None:
                return self.publish_reply
            self.published.append(body.model_dump())
            return JSONResponse({"status": "published", "talent_id": body.id})

        @app.websocket("/ws")
        async def websocket(socket: WebSocket) -> None:
            if self.refuse_sockets:
                await socket.close()
                return
            await socket.accept()
            self.connects += 1
            self.connections.add(socket)
            await self._notify()
            try:
                while True:
                    text = await socket.receive_text()
                    self.received.append(text)
                    await self._answer(socket, text)
            except (WebSocketDisconnect, RuntimeError):
                pass
            finally:
                self.connections.discard(socket)
                for sockets in self.subscribers.values():
                    sockets.discard(socket)
                await self._notify()

        return app

    async def _answer(self, socket: WebSocket, text: str) -> None:
        message = json.loads(text)  # the deployed backend drops the connection on bad JSON; so does this
        if message.get("type") == "subscribe_training":
            self.subscribers.setdefault(message["train_id"], set()).add(socket)
            await socket.send_json(
                {"type": "subscription_confirmed", "train_id": message["train_id"], "status": "subscribed"}
            )
        elif message.get("type") == "unsubscribe_training":
            self.subscribers.get(message["train_id"], set()).discard(socket)
            await socket.send_json(
                {"type": "subscription_confirmed", "train_id": message["train_id"], "status": "unsubscribed"}
            )
        await self._notify()

    async def push(self, train_id: str, data: dict[str, Any]) -> None:
        frame = {"type": "training_update", "train_id": train_id, "timestamp": "2026-11-29T01:00:00", "data": data}
        for socket in list(self.subscribers.get(train_id, ())):
            await socket.send_json(frame)

    async def push_raw(self, text: str) -> None:
        for socket in list(self.connections):
            await socket.send_text(text)

    async def drop_all(self, code: int = 1012) -> None:
        for socket in list(self.connections):
            await socket.close(code=code)

    async def wait_until(self, condition: Any, timeout: float = DEADLINE_S) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    def subscribed(self, train_id: str) -> bool:
        return bool(self.subscribers.get(train_id))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


@asynccontextmanager
async def running_backend() -> AsyncIterator[ScriptedBackend]:
    backend = ScriptedBackend()
    listener = bind_listening_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(backend.app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with dropping_proxy(listener.getsockname()[1]) as proxy:
            backend.proxy, backend.url = proxy, proxy.url
            yield backend
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
