"""The WebSocket, `/ws`: each client's frames go to the hub, and the hub's frames for it go back out."""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress

from fastapi import APIRouter, Depends, WebSocket

from tf_tui.server.dependencies import get_services
from tf_tui.server.hub import Connection, Hub, error_frame
from tf_tui.server.json_route import CheckedJsonRoute
from tf_tui.server.services import Services

WS_TRY_AGAIN_LATER = 1013

router = APIRouter(route_class=CheckedJsonRoute)


@router.websocket("/ws")
async def websocket(socket: WebSocket, services: Services = Depends(get_services)) -> None:
    await socket.accept()
    hub = services.hub
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
