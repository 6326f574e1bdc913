"""Whether the update stream offers permessage-deflate, which uvicorn (the reference server's, and a FastAPI
backend's) accepts: offered to a backend elsewhere, where it cuts each frame's bytes on the network; not to one
on this machine, where inflating every frame costs CPU and saves nothing (docs/PERFORMANCE.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request

from tests.conftest import client_settings, until
from tf_tui.base.protocol import Event, RunUpdate
from tf_tui.client.stream import UpdateStream
from tf_tui.core.ports import Stream
from tf_tui.core.session import Session

FRAME = '{"type":"training_update","train_id":"r1","data":{"status":"training","progress":7}}'


class Handshakes:
    """Each handshake's offered extensions (None: none offered), and what the server agreed to."""

    def __init__(self) -> None:
        self.offered: list[str | None] = []
        self.agreed: list[list[str]] = []

    def request(self, connection: ServerConnection, request: Request) -> None:
        self.offered.append(request.headers.get("Sec-WebSocket-Extensions"))

    async def handler(self, connection: ServerConnection) -> None:
        self.agreed.append([extension.name for extension in connection.protocol.extensions])
        await connection.send(FRAME)
        await connection.wait_closed()


def ignore(reported: object) -> None:
    pass


@asynccontextmanager
async def deflating_server() -> AsyncIterator[tuple[str, Handshakes]]:
    """A WebSocket server on 127.0.0.1 that takes permessage-deflate when offered, as uvicorn does."""
    handshakes = Handshakes()
    async with serve(
        handshakes.handler, "127.0.0.1", 0, compression="deflate", process_request=handshakes.request
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"http://127.0.0.1:{port}", handshakes


@asynccontextmanager
async def streaming(stream: Stream) -> AsyncIterator[None]:
    task = asyncio.create_task(stream.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_backend_elsewhere_is_offered_compression_and_its_compressed_frames_are_read():
    events: list[Event] = []
    async with deflating_server() as (url, handshakes):
        stream = UpdateStream(
            url.replace("http", "ws") + "/ws", None, on_event=events.append, on_state=ignore, on_open=ignore
        )
        async with streaming(stream):
            await until(lambda: any(isinstance(event, RunUpdate) for event in events), what="the frame")
    assert handshakes.offered[0] is not None and "permessage-deflate" in handshakes.offered[0]
    assert handshakes.agreed[0] == ["permessage-deflate"]
    assert RunUpdate("r1", "training", 7) in events


async def test_a_backend_on_this_machine_is_not_offered_compression(tmp_path: Path):
    async with deflating_server() as (url, handshakes):
        session = Session(client_settings(url, tmp_path))
        try:
            async with streaming(session.stream):
                await until(lambda: session.store.runs.get("r1") is not None, what="the frame in the store")
        finally:
            await session.api.aclose()
    assert handshakes.offered[0] is None
    assert handshakes.agreed[0] == []
    assert session.store.runs["r1"].progress == 7
