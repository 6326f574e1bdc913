"""What a route asks FastAPI for: the running server's settings and services, kept on `app.state` by
`create_app` and its lifespan, so that no route module needs the app module."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from tf_tui.server.services import Services
from tf_tui.server.settings import ServerSettings


async def get_settings(connection: HTTPConnection) -> ServerSettings:
    settings: ServerSettings = connection.app.state.settings
    return settings


async def get_services(connection: HTTPConnection) -> Services:
    # Async: FastAPI runs a plain function dependency in a worker thread, for every request.
    services: Services | None = getattr(connection.app.state, "services", None)
    assert services is not None, "routes run only between startup and shutdown"
    return services
