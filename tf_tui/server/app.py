"""The reference Talent Factory server: every route and WebSocket message of PROTOCOL.md.

Same field names and shapes as the deployed backend, without its bugs: a stop stops, the status
endpoint says 100 after completion and keeps its shape across restarts, bad frames get an answer.

This module only wires the server together: its settings and services, their lifespan, the middleware,
and the routers of `tf_tui.server.routes`, one per area.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tf_tui.server.datasets import MAX_UPLOAD_BYTES
from tf_tui.server.errors import EXCEPTION_HANDLERS
from tf_tui.server.idle import ActivityMiddleware, IdleWatch
from tf_tui.server.middleware import BearerTokenMiddleware
from tf_tui.server.routes import datasets, health, metrics, runs, socket, talents
from tf_tui.server.services import Services
from tf_tui.server.settings import ServerSettings

# Every request body is counted as it arrives, chunked ones too, so no upload is spooled to disk past
# the limit; the multipart boundaries and part headers around an upload get a little room.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
ROUTERS = (health.router, datasets.router, runs.router, metrics.router, talents.router, socket.router)


def create_app(
    settings: ServerSettings,
    on_ready: Callable[[], None] | None = None,
    on_idle: Callable[[], None] | None = None,
) -> FastAPI:
    """The server's routes. With `settings.idle_exit`, `on_idle` is called once it has been idle that long."""
    # The watch asks `app` (made below) only once the server runs.
    idle = (
        IdleWatch(settings.idle_exit, busy=lambda: _busy(app), on_idle=on_idle)
        if settings.idle_exit is not None and on_idle is not None
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = app.state.services = Services(settings)
        if on_ready is not None:
            on_ready()
        idle_task = asyncio.create_task(idle.run()) if idle is not None else None
        try:
            yield
        finally:
            if idle_task is not None:
                idle_task.cancel()
            try:
                await services.jobs.shutdown()
            finally:
                services.database.close()

    app = FastAPI(
        title="Talent Factory (tf-tui reference server)",
        lifespan=lifespan,
        max_body_size=MAX_REQUEST_BYTES,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.settings = settings
    if idle is not None:
        app.add_middleware(ActivityMiddleware, watch=idle)
    if settings.token is not None:
        app.add_middleware(BearerTokenMiddleware, token=settings.token)
    for router in ROUTERS:
        app.include_router(router)
    return app


def _busy(app: FastAPI) -> bool:
    """A run going or a client connected; nothing is, before the services are made."""
    services: Services | None = getattr(app.state, "services", None)
    return services is not None and services.busy()
