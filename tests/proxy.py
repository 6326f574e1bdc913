"""A TCP proxy on 127.0.0.1 that can cut and refuse WebSocket connections while HTTP goes through:
an outage of the socket alone, in front of the real reference server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

ProxyKind = TypeVar("ProxyKind", bound="LoopbackProxy")


class LoopbackProxy:
    """A proxy of the test's own on 127.0.0.1 and a free port, in front of `target_port`; a subclass
    answers each connection in `_handle`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


@contextlib.asynccontextmanager
async def running(proxy: ProxyKind) -> AsyncIterator[ProxyKind]:
    """`proxy` started, and closed after the block whatever happens."""
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


class SocketGate(LoopbackProxy):
    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.refuse_websockets = False
        self.silent = False  # proxied bytes vanish, as over a dead SSH tunnel; nothing is closed
        self.websocket_attempts = 0
        # While this is an Event not yet set, HTTP requests wait at the gate (a backend whose answers
        # take ages); WebSockets go through.
        self.hold_http: asyncio.Event | None = None
        self.held_http = 0  # HTTP requests waiting at the gate now
        self._websockets: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    async def close(self) -> None:
        self.cut_websockets()
        await super().close()

    def cut_websockets(self) -> None:
        """Drop every proxied WebSocket at once, with no close frame, as a dead network does."""
        for client, upstream in list(self._websockets):
            client.transport.abort()
            upstream.transport.abort()
        self._websockets.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.read(65536)
        is_websocket = request.startswith(b"GET /ws")
        if is_websocket:
            self.websocket_attempts += 1
            if self.refuse_websockets:
                writer.transport.abort()
                return
        elif self.hold_http is not None:
            self.held_http += 1
            try:
                await self.hold_http.wait()
            finally:
                self.held_http -= 1
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        upstream_writer.write(request)
        pair = (writer, upstream_writer)
        if is_websocket:
            self._websockets.add(pair)
        try:
            await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))
        finally:
            self._websockets.discard(pair)
            for end in pair:
                end.transport.abort()

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await source.read(65536):
                if not self.silent:
                    sink.write(chunk)
                    await sink.drain()
        sink.transport.abort()  # one side is done: so is the other


@contextlib.asynccontextmanager
async def socket_gate(target_port: int) -> AsyncIterator[SocketGate]:
    async with running(SocketGate(target_port)) as gate:
        yield gate
