"""A hostile backend on 127.0.0.1: a WebSocket server that sends whatever the test makes it send (bytes
as text frames with invalid UTF-8 included, which no well-behaved server library would), or accepts each
socket and drops it at once; its plain HTTP answers are hostile too.

Built on the websockets library's own server, in the test's event loop: the reference server cannot
misbehave like this, and the scripted backend (FastAPI) cannot send a text frame that is not UTF-8.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response


class HostileBackend:
    def __init__(self, *, drop_at_once: bool = False) -> None:
        self.drop_at_once = drop_at_once  # accept each socket, then abort it with no close frame
        self.accepted: list[float] = []  # time.monotonic() of each socket accepted
        self.connections: set[ServerConnection] = set()
        self.http_body: Callable[[str], Any] = lambda path: {"detail": "Not Found"}  # JSON for each plain GET
        self.received: list[str | bytes] = []  # what clients sent
        self.url = ""
        self._changed = asyncio.Event()

    async def handle(self, connection: ServerConnection) -> None:
        self.accepted.append(time.monotonic())
        self._changed.set()
        if self.drop_at_once:
            connection.transport.abort()
            return
        self.connections.add(connection)
        try:
            async for message in connection:
                self.received.append(message)
        except ConnectionClosed:
            pass
        finally:
            self.connections.discard(connection)
            self._changed.set()

    def answer_http(self, connection: ServerConnection, request: Request) -> Response | None:
        """Plain HTTP calls (status reads, listings) get `http_body`; only /ws goes on to the handshake."""
        if request.path == "/ws":
            return None
        body = json.dumps(self.http_body(request.path)).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(HTTPStatus.OK, "OK", headers, body)

    async def send(self, frame: str | bytes, *, as_text: bool | None = None) -> bool:
        """Send one frame to every open socket; False when there was none to take it."""
        delivered = False
        for connection in list(self.connections):
            with suppress(ConnectionClosed):
                await connection.send(frame, text=as_text)
                delivered = True
        return delivered

    async def wait_for_connection(self, timeout: float, *, after: int = 0) -> None:
        """Until a socket is open that was accepted after the first `after` ones."""
        deadline = time.monotonic() + timeout
        while not (self.connections and len(self.accepted) > after):
            self._changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no new client connection within {timeout} s")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def break_connection(self, frame: str | bytes, timeout: float, *, as_text: bool | None = None) -> None:
        """Send a frame that must cost the client its connection, and wait until it has connected again."""
        accepted = len(self.accepted)
        await self.send(frame, as_text=as_text)
        await self.wait_for_connection(timeout, after=accepted)


@asynccontextmanager
async def hostile_backend(*, drop_at_once: bool = False) -> AsyncIterator[HostileBackend]:
    backend = HostileBackend(drop_at_once=drop_at_once)
    server: Server = await serve(backend.handle, "127.0.0.1", 0, process_request=backend.answer_http, max_size=None)
    backend.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield backend
    finally:
        server.close()
        await server.wait_closed()
