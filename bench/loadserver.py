"""A load server that speaks the Talent Factory protocol (shared/PROTOCOL.md) and pushes paced updates.

It serves the routes a client calls at start (`/health`, `/train/active`, `/dashboard`,
`/train/status/{id}`), with `history_points` a stored history of that many points per run
(`/train/metrics/{id}`, the reference server's extension, for `tf-tui export`), and the `/ws` socket
(subscribe, unsubscribe, ping), and pushes `training_update` frames at a chosen rate over a chosen number of
runs, round robin. With `log_rate`, every run's log (`/train/logs/{id}?offset=N`, the reference server's
extension, in its shape: `bench/growing_log.py`) grows by that many numbered lines a second from the
stream's start; `/_bench/log` says when it began and how long it is, and `?stop=1` stops it.

Run `r`'s n-th frame carries `step = n` and `progress = n * 100 // total_steps`: with the
default 100 steps a run's percentage is its frame number, so a value read on a screen names one frame, whose
send time the server keeps (`/_bench/sends`) and also writes into the frame (`details.sent_at`,
`time.monotonic()`, the same clock in every process of the machine). With a stored history the stream goes
on from where it ends, as a live run's does: the n-th frame's step is `history_points + n` (of
`history_points + total_steps`), its loss on the history's curve, and its progress still n %.

A plan can also list runs that ended before the server's listing (`--ended`), as the deployed backend's
`/train/active` names every run since its process started: they come first (oldest), read `completed`,
and send nothing; the runs that stream are the newest.

The stream starts on `/_bench/go` (or at once with `--go`), so a client can be seen settled first.
`/_bench/stats` gives the status reads, for "no polling while the stream is live", and every request a
client made (when, and its path), for "requests a minute while nothing changes". `/env/check` answers
the deployed backend's fixed figures (no live use), as cheap here as it is dear there. Several instances
(one per port, each its own runs) serve a fleet. Run as a program it prints one JSON line with the
URLs once it listens, and serves until killed:

    python -m bench.loadserver --runs 100 --rate 100 --instances 1
    python -m bench.loadserver --runs 10 --ended 9990 --rate 0
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from bench.growing_log import GrowingLog, LogPart

# A frame as the reference server sends it, filled in by %-formatting: json.dumps per frame would cost
# the server more than the clients it measures.
FRAME = (
    '{"type":"training_update","train_id":"%s","timestamp":"%s","data":{"progress":%d,"status":"training",'
    '"details":{"step":%d,"total_steps":%d,"loss":%.4f,"eta_s":%.1f,"sent_at":%.6f}}}'
)
COMPLETED = (
    '{"type":"training_update","train_id":"%s","timestamp":"%s","data":{"progress":100,"status":"completed",'
    '"success":true,"result":{"final_loss":%.4f}}}'
)
UNTHROTTLED_BATCH = 256  # frames sent in one go, between yields to the loop, when pacing is off
HIGH_WATER = 1 << 20  # bytes queued for a client before the pacer waits for it to read
MAX_MESSAGE = 1 << 16
RECENT_RUNS = 10  # in /dashboard, as the deployed backend lists them
STATUS_PATH = re.compile(r"^/train/status/([^/]+)$")
METRICS_PATH = re.compile(r"^/train/metrics/([^/]+)$")
LOG_PATH = re.compile(r"^/train/logs/([^/]+)$")
CREATED = datetime(2026, 11, 29, 2, 0, 0)
ENVIRONMENT = {"gpu_name": None, "vram_gb": 0, "cpu_cores": 2, "ram_gb": 24, "ready": True}  # fixed, as deployed


def train_id(instance: int, index: int) -> str:
    """A UUID-shaped id whose 8 characters every screen shows are unique: `0100002a-...` is instance 1, run 42."""
    return f"{instance:02x}{index:06x}-0000-4000-8000-{index:012x}"


@dataclass
class Plan:
    """What one instance serves: how many runs, how many frames per second over all of them (0: none,
    `math.inf`: as fast as the clients read), and how many steps each run has."""

    runs: int
    rate: float
    total_steps: int = 100
    complete: bool = False  # send a completion frame after a run's last step (so `watch` ends)
    base_model: str = "bench"
    history_points: int = 0  # points of each run's stored history; 0: no such route, as the deployed backend
    ended: int = 0  # runs listed before these, ended already: they read `completed` and stream nothing
    log_rate: float = 0  # lines a second of each run's log, from the stream's start; 0: no such route


@dataclass
class Run:
    train_id: str
    step: int = 0
    done: bool = False
    sent_at: list[float] = field(default_factory=list)  # sent_at[n - 1]: when step n went out

    def progress(self, total_steps: int) -> int:
        return 100 if self.done else self.step * 100 // total_steps


class Peer:
    """One socket client: websockets' sans-I/O protocol, and the stream its bytes go to. Frames are written
    with no await per frame, so the server's cost per frame stays far below the clients' it measures."""

    def __init__(self, protocol: ServerProtocol, writer: asyncio.StreamWriter) -> None:
        self.protocol = protocol
        self.writer = writer
        self.subscribed: set[str] = set()

    @property
    def open(self) -> bool:
        return self.protocol.state is State.OPEN and not self.writer.is_closing()

    def send(self, frames: Iterable[str]) -> None:
        for frame in frames:
            self.protocol.send_text(frame.encode())
        self.flush()

    def flush(self) -> None:
        chunks = self.protocol.data_to_send()
        if any(chunks):
            self.writer.write(b"".join(chunks))
        if chunks and chunks[-1] == b"":  # the protocol is done with the connection
            self.writer.close()

    async def drain(self) -> None:
        """Wait while the client is far behind: its socket's buffers, not ours, hold what it has not read."""
        if self.writer.transport.get_write_buffer_size() > HIGH_WATER:
            with contextlib.suppress(ConnectionError):
                await self.writer.drain()


class LoadServer:
    """One backend on one port: the runs, their subscribers, the pacer and the counters."""

    def __init__(self, plan: Plan, instance: int = 0) -> None:
        self.plan = plan
        ended = [Run(train_id(instance, index), plan.total_steps, done=True) for index in range(plan.ended)]
        going = [Run(train_id(instance, index)) for index in range(plan.ended, plan.ended + plan.runs)]
        self._order = [*ended, *going]
        self.runs = {run.train_id: run for run in self._order}
        self._index = {run.train_id: index for index, run in enumerate(self._order)}
        self._subscribers: dict[str, set[Peer]] = {key: set() for key in self.runs}
        self.status_reads: list[float] = []  # when each `/train/status` read came
        self.requests: list[tuple[float, str]] = []  # when each client request came, and its path
        self.frames_sent = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._handlers: dict[asyncio.StreamWriter, asyncio.Task[Any]] = {}
        self._pacer: asyncio.Task[None] | None = None
        self.history_reads = 0
        self._history = history_json(plan.history_points)
        self.log = GrowingLog(plan.log_rate)
        self.log_reads = 0

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", port)

    async def stop(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pacer
        if self._server is not None:
            self._server.close()
        handlers = list(self._handlers.values())
        for writer in list(self._handlers):
            writer.close()
        await asyncio.gather(*handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def go(self, rate: float | None = None) -> None:
        """Start (or restart at another rate) the stream of updates."""
        if rate is not None:
            self.plan.rate = rate
        if self._pacer is not None:
            self._pacer.cancel()
        if self.plan.rate > 0:
            self._pacer = asyncio.create_task(self._pace())
        if self.plan.log_rate > 0:
            self.log.start()

    # --- HTTP/1.1, kept alive as the reference server's is --------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers[writer] = task
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target, headers = _parse_head(head)
                parts = urlsplit(target)
                if parts.path == "/ws" and headers.get("upgrade", "").lower() == "websocket":
                    await self._socket(reader, writer, head)
                    return
                if length := int(headers.get("content-length") or 0):
                    await reader.readexactly(length)
                status, body = self._route(parts.path, parse_qs(parts.query))
                writer.write(_response(status, body))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass  # the client left, or sent what no client of this protocol sends
        finally:
            self._handlers.pop(writer, None)
            writer.close()

    def _route(self, path: str, query: dict[str, list[str]]) -> tuple[HTTPStatus, object]:
        if not path.startswith("/_bench/"):
            self.requests.append((time.monotonic(), path))
        if path == "/health":
            return HTTPStatus.OK, {"status": "healthy", "service": "Talent Factory"}
        if path == "/train/active":
            return HTTPStatus.OK, {"active_trainings": list(self.runs), "count": len(self.runs)}
        if path == "/dashboard":
            return HTTPStatus.OK, self._dashboard()
        if path == "/env/check":
            return HTTPStatus.OK, ENVIRONMENT
        if match := STATUS_PATH.match(path):
            self.status_reads.append(time.monotonic())
            run = self.runs.get(match.group(1))
            if run is None:
                return HTTPStatus.NOT_FOUND, {"detail": "Training run not found"}
            return HTTPStatus.OK, self._status(run)
        if (match := METRICS_PATH.match(path)) and self.plan.history_points:
            self.history_reads += 1
            if match.group(1) not in self.runs:
                return HTTPStatus.NOT_FOUND, {"detail": "Training run not found"}
            return HTTPStatus.OK, RawJson(
                f'{{"train_id":"{match.group(1)}","downsampled":false,"points":{self._history}}}'
            )
        if (match := LOG_PATH.match(path)) and self.plan.log_rate:
            self.log_reads += 1
            if match.group(1) not in self.runs:
                return HTTPStatus.NOT_FOUND, {"detail": "Training run not found"}
            return HTTPStatus.OK, self.log.part(int(query.get("offset", ["0"])[0]))
        if path == "/_bench/log":
            lines = self.log.stop() if "stop" in query else self.log.lines()
            return HTTPStatus.OK, {"began": self.log.began, "rate": self.log.rate, "lines": lines}
        if path == "/_bench/go":
            self.go(float(query["rate"][0]) if "rate" in query else None)
            return HTTPStatus.OK, {"rate": self.plan.rate}
        if path == "/_bench/sends":
            return HTTPStatus.OK, {"sends": {key: run.sent_at for key, run in self.runs.items()}}
        if path == "/_bench/stats":
            return HTTPStatus.OK, self.stats()
        return HTTPStatus.NOT_FOUND, {"detail": "Not Found"}

    def stats(self) -> dict[str, Any]:
        return {
            "status_reads": self.status_reads,
            "requests": self.requests,
            "frames_sent": self.frames_sent,
            "connections": self.connections,
            "history_reads": self.history_reads,
            "log_reads": self.log_reads,
        }

    def _created_at(self, run: Run) -> str:
        return (CREATED + timedelta(seconds=self._index[run.train_id])).isoformat()

    def _dashboard(self) -> dict[str, Any]:
        recent = [
            {
                "id": run.train_id,
                "base_model": self.plan.base_model,
                "status": "completed" if run.done else "training",
                "created_at": self._created_at(run),
            }
            for run in self._order[-RECENT_RUNS:][::-1]
        ]
        return {
            "talent_count": 0,
            "dataset_count": 0,
            "recent_runs": recent,
            "environment": ENVIRONMENT,
            "active_training": len(self.runs),
        }

    def _status(self, run: Run) -> dict[str, Any]:
        return {
            "status": "completed" if run.done else "training",
            "progress": run.progress(self.plan.total_steps),
            "started_at": self._created_at(run),
        }

    # --- the socket -----------------------------------------------------------------------------

    async def _socket(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        protocol = ServerProtocol(max_size=MAX_MESSAGE)
        protocol.receive_data(head)
        request = next(event for event in protocol.events_received() if isinstance(event, Request))
        response = protocol.accept(request)
        protocol.send_response(response)
        peer = Peer(protocol, writer)
        peer.flush()
        if response.status_code != HTTPStatus.SWITCHING_PROTOCOLS:
            return
        self.connections += 1
        try:
            while peer.open:
                data = await reader.read(1 << 16)
                if not data:
                    return
                protocol.receive_data(data)
                for event in protocol.events_received():
                    if (
                        isinstance(event, Frame)
                        and event.opcode is Opcode.TEXT
                        and not self._answer(peer, bytes(event.data))
                    ):
                        writer.transport.abort()  # as the deployed backend does, with no close frame
                        return
                peer.flush()
        finally:
            for key in peer.subscribed:
                self._subscribers.get(key, set()).discard(peer)

    def _answer(self, peer: Peer, message: bytes) -> bool:
        """Answer one client frame as the protocol says; False when the connection must be dropped."""
        try:
            frame = json.loads(message)
        except ValueError:
            return False
        if not isinstance(frame, dict):
            return False
        kind, key = frame.get("type"), frame.get("train_id")
        reply: dict[str, Any] | None
        if kind in ("subscribe_training", "unsubscribe_training"):
            reply = None if not isinstance(key, str) else self._subscribe(peer, key, kind == "subscribe_training")
        elif kind == "ping":
            reply = {"type": "pong", "timestamp": datetime.now().isoformat()}
        else:
            reply = {"type": "error", "message": f"Unknown message type: {kind}"}
        if reply is not None:
            peer.protocol.send_text(json.dumps(reply).encode())
        return True

    def _subscribe(self, peer: Peer, key: str, subscribing: bool) -> dict[str, Any]:
        subscribers = self._subscribers.setdefault(key, set())
        if subscribing:
            peer.subscribed.add(key)
            subscribers.add(peer)
        else:
            peer.subscribed.discard(key)
            subscribers.discard(peer)
        status = "subscribed" if subscribing else "unsubscribed"
        return {"type": "subscription_confirmed", "train_id": key, "status": status}

    # --- the pacer ------------------------------------------------------------------------------

    async def _pace(self) -> None:
        """Send frame i when i / rate seconds have passed, round robin over the runs still going."""
        began, sent = time.monotonic(), 0
        going = [run for run in self._order if not self._spent(run)]
        while going:
            if math.isinf(self.plan.rate):
                due = sent + UNTHROTTLED_BATCH
            else:
                due = int((time.monotonic() - began) * self.plan.rate) + 1
                if due <= sent:
                    await asyncio.sleep((sent + 1) / self.plan.rate - (time.monotonic() - began))
                    continue
            batch = [going[index % len(going)] for index in range(sent, due)]
            sent = due
            await self._send_batch(batch)
            going = [run for run in going if not self._spent(run)]

    def _spent(self, run: Run) -> bool:
        """Nothing more to send for this run: its last step (and completion, if asked) went out."""
        return run.done or (run.step >= self.plan.total_steps and not self.plan.complete)

    async def _send_batch(self, batch: Iterable[Run]) -> None:
        """One write per client for the whole batch, each frame stamped as it is made."""
        total, history, stamp = self.plan.total_steps, self.plan.history_points, datetime.now().isoformat()
        outgoing: dict[Peer, list[str]] = {}
        for run in batch:
            if self._spent(run):
                continue
            if run.step >= total:
                run.done = True
                frame = COMPLETED % (run.train_id, stamp, 4.0 / total)
            else:
                run.step += 1
                now = time.monotonic()
                run.sent_at.append(now)
                step, steps = history + run.step, history + total
                frame = FRAME % (
                    run.train_id,
                    stamp,
                    run.progress(total),
                    step,
                    steps,
                    loss_at(step),
                    total - run.step,
                    now,
                )
            for peer in self._subscribers.get(run.train_id, ()):
                outgoing.setdefault(peer, []).append(frame)
        for peer, frames in outgoing.items():
            if peer.open:
                peer.send(frames)
                self.frames_sent += len(frames)
        await asyncio.gather(*(peer.drain() for peer in outgoing))


def _parse_head(head: bytes) -> tuple[str, dict[str, str]]:
    """The target and the headers (names in lower case) of a request's head."""
    request_line, *lines = head.decode("latin-1").split("\r\n")
    _method, target, _version = request_line.split(" ", 2)
    headers = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return target, headers


class RawJson(str):
    """A body already written as JSON: a run's history, made once and sent for every run."""


def loss_at(step: int) -> float:
    """The training loss of every run at a step: falling, the history's and the stream's alike."""
    return 4.0 / (1 + step / 100)


def history_json(points: int) -> str:
    """A history of `points` points as the reference server stores one: a falling loss, an evaluation every
    hundredth step, the rate and the learning rate at every step."""
    entries = [
        {
            "step": step,
            "loss": round(loss_at(step), 4),
            "eval_loss": round(1.05 * loss_at(step), 4) if step % 100 == 0 else None,
            "elapsed_s": round(step * 0.01, 3),
            "samples_per_s": 3200.0,
            "learning_rate": 0.003,
        }
        for step in range(1, points + 1)
    ]
    return json.dumps(entries, separators=(",", ":"))


def _response(status: HTTPStatus, body: object) -> bytes:
    if isinstance(body, LogPart):  # as the reference server answers: the bytes, and where to go on in headers
        data, kind = body.data, "text/plain; charset=utf-8"
        extra = f"X-Next-Offset: {body.next_offset}\r\nX-Log-Size: {body.size}\r\nX-Log-Complete: false\r\n"
    else:
        data, kind, extra = (body if isinstance(body, RawJson) else json.dumps(body)).encode(), "application/json", ""
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Type: {kind}\r\n{extra}"
        f"Content-Length: {len(data)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + data


async def serve_instances(plans: list[Plan], *, go: bool) -> list[LoadServer]:
    servers = [LoadServer(plan, instance) for instance, plan in enumerate(plans)]
    for server in servers:
        await server.start()
        if go:
            server.go()
    return servers


async def _main(arguments: argparse.Namespace) -> None:
    plan = {
        "runs": arguments.runs,
        "total_steps": arguments.steps,
        "complete": arguments.complete,
        "history_points": arguments.history_points,
        "ended": arguments.ended,
        "log_rate": arguments.log_rate,
    }
    plans = [Plan(rate=arguments.rate, **plan) for _ in range(arguments.instances)]
    servers = await serve_instances(plans, go=arguments.go)
    print(json.dumps({"urls": [server.url for server in servers]}), flush=True)
    try:
        await asyncio.Event().wait()  # until killed
    finally:
        for server in servers:
            await server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per instance")
    parser.add_argument("--ended", type=int, default=0, help="runs listed before them, ended, per instance")
    parser.add_argument("--rate", type=float, default=5.0, help="frames per second per instance (inf: unthrottled)")
    parser.add_argument("--steps", type=int, default=100, help="steps (frames) per run")
    parser.add_argument("--complete", action="store_true", help="end each run with a completion frame")
    parser.add_argument("--instances", type=int, default=1, help="backends, one per port")
    parser.add_argument("--go", action="store_true", help="stream at once instead of on /_bench/go")
    parser.add_argument("--history-points", type=int, default=0, help="points of each run's stored history")
    parser.add_argument("--log-rate", type=float, default=0, help="lines a second of each run's log (0: no log)")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
