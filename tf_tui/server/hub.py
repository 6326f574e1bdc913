"""WebSocket connections, their training subscriptions, and fan-out of frames to them.

Each connection has a bounded queue drained by its own task, so a slow client never holds up a
broadcast to the others; a client that falls too far behind is disconnected (it reconnects and
resyncs) rather than letting its backlog grow without bound.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tf_tui.server.clock import now_iso
from tf_tui.server.json_input import JsonInputError, parse_json

SEND_QUEUE_LIMIT = 1000
# What one connection may ask of the server: clients send small control frames, and a dashboard
# follows tens of runs, so these bounds only ever stop a client that means harm.
MAX_CLIENT_FRAME_BYTES = 64 * 1024  # a bigger frame closes the connection (code 1009, message too big)
MAX_SUBSCRIPTIONS = 1000
MAX_TRAIN_ID_CHARS = 200

Frame = dict[str, Any]


class Connection:
    def __init__(self) -> None:
        self.outbox: asyncio.Queue[Frame] = asyncio.Queue(maxsize=SEND_QUEUE_LIMIT)
        self.subscriptions: set[str] = set()
        self.overflowed = asyncio.Event()

    def offer(self, frame: Frame) -> None:
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed.set()


class Hub:
    def __init__(self) -> None:
        self.connections: set[Connection] = set()

    def connect(self) -> Connection:
        connection = Connection()
        self.connections.add(connection)
        return connection

    def disconnect(self, connection: Connection) -> None:
        self.connections.discard(connection)

    def send_to_subscribers(self, train_id: str, frame: Frame) -> None:
        for connection in list(self.connections):
            if train_id in connection.subscriptions:
                connection.offer(frame)

    def broadcast(self, frame: Frame) -> None:
        for connection in list(self.connections):
            connection.offer(frame)

    def handle(self, connection: Connection, text: str) -> Frame:
        """The reply to one client frame. Bad input gets an `error` frame, never a dropped socket."""
        try:
            message = parse_json(text)
        except JsonInputError as error:
            return error_frame(f"Invalid JSON: {error}")
        if not isinstance(message, dict):
            return error_frame(f"Frames must be JSON objects, not {type(message).__name__}")

        kind = message.get("type")
        if kind == "ping":
            return {"type": "pong", "timestamp": now_iso()}
        if kind in ("subscribe_training", "unsubscribe_training"):
            train_id = message.get("train_id")
            if not isinstance(train_id, str) or not train_id:
                return error_frame(f"{kind} needs a train_id string")
            if len(train_id) > MAX_TRAIN_ID_CHARS:
                return error_frame(f"A train_id is at most {MAX_TRAIN_ID_CHARS} characters")
            if kind == "subscribe_training":
                if train_id not in connection.subscriptions and len(connection.subscriptions) >= MAX_SUBSCRIPTIONS:
                    return error_frame(
                        f"Too many subscriptions on this connection (limit {MAX_SUBSCRIPTIONS}); "
                        "unsubscribe from ended runs first"
                    )
                connection.subscriptions.add(train_id)
                status = "subscribed"
            else:
                connection.subscriptions.discard(train_id)
                status = "unsubscribed"
            return {"type": "subscription_confirmed", "train_id": train_id, "status": status}
        return error_frame(f"Unknown message type: {kind}")


def error_frame(message: str) -> Frame:
    return {"type": "error", "message": message}
