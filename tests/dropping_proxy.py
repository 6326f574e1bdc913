"""A TCP proxy on 127.0.0.1 that leaves a kept-alive connection open but dead, as the deployed backend does
after its stop's `500 text/plain`: the client is told nothing, keeps the connection in its pool, and its
next request on it never gets an answer ("Server disconnected without sending a response", or with a
reset, "Connection reset by peer").

Everything else is piped through untouched, WebSockets included.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum

from tests.proxy import LoopbackProxy, running

# The requests after whose 5xx answer the deployed backend drops the connection.
DROPPING_REQUESTS = (b"POST /train/stop/",)


class Drop(Enum):
    CLOSE = "close"  # a FIN: "Server disconnected without sending a response"
    RESET = "reset"  # a RST: "Connection reset by peer"


@dataclass(eq=False)  # each connection is itself, by identity
class _Connection:
    request_line: bytes = b""
    answering: bool = False  # a request went up; its answer's first bytes are still to come
    upgraded: bool = False  # a WebSocket now: never dropped here
    dead: bool = False  # the next request on it is dropped unanswered


class DroppingProxy(LoopbackProxy):
    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.drop = Drop.CLOSE
        self.dropped: list[bytes] = []  # the request line of every request dropped unanswered
        self.connections_made = 0  # HTTP and WebSocket connections the proxy accepted
        self._open: set[_Connection] = set()

    def kill_kept_connections(self) -> None:
        """Every HTTP connection open now drops its next request: a backend that lost its connections
        without a word (restarted behind a NAT, a proxy's idle timeout)."""
        for connection in self._open:
            connection.dead = not connection.upgraded

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_made += 1
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        connection = _Connection()
        self._open.add(connection)
        try:
            await asyncio.gather(
                self._requests(connection, reader, writer, upstream_writer),
                self._answers(connection, upstream_reader, writer),
            )
        finally:
            self._open.discard(connection)
            for end in (writer, upstream_writer):
                end.transport.abort()

    async def _requests(
        self,
        connection: _Connection,
        source: asyncio.StreamReader,
        client: asyncio.StreamWriter,
        upstream: asyncio.StreamWriter,
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await source.read(65536):
                if not connection.upgraded and not connection.answering:
                    if connection.dead:
                        self.dropped.append(chunk.split(b"\r\n", 1)[0])
                        self._hang_up(client)
                        upstream.transport.abort()
                        return
                    connection.request_line = chunk.split(b"\r\n", 1)[0]
                    connection.answering = True
                upstream.write(chunk)
                await upstream.drain()
        upstream.transport.abort()

    async def _answers(
        self, connection: _Connection, source: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await source.read(65536):
                if connection.answering:
                    connection.answering = False
                    connection.upgraded = connection.upgraded or chunk.startswith(b"HTTP/1.1 101")
                    # Marked before the answer is passed on: the client's next request finds it dead.
                    connection.dead = connection.dead or (
                        chunk.startswith(b"HTTP/1.1 5") and connection.request_line.startswith(DROPPING_REQUESTS)
                    )
                client.write(chunk)
                await client.drain()
        client.transport.abort()

    def _hang_up(self, client: asyncio.StreamWriter) -> None:
        if self.drop is Drop.RESET:
            # SO_LINGER with a zero timeout: the close sends a RST instead of a FIN.
            sock: socket.socket = client.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.transport.abort()
        else:
            client.close()


@contextlib.asynccontextmanager
async def dropping_proxy(target_port: int) -> AsyncIterator[DroppingProxy]:
    async with running(DroppingProxy(target_port)) as proxy:
        yield proxy
