"""An HTTP backend on 127.0.0.1 that answers each call with a chosen fault: what the reference server
never does (HTML error pages from a proxy, empty bodies, reset connections, answers that never come).

It runs in a thread of its own, so that synchronous tests (the CLI's `main`, which runs its own event
loop) and asynchronous ones (the dashboard) can both use it. Calls without a fault get a plain,
correct answer, so that a test can put a fault on one call and let the others work.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Sign in - Corporate Proxy</title></head><body>Sign in</body></html>"
DIE_AFTER_BYTES = 64 * 1024  # of a request's body, read before a "die" fault resets the connection
FIELD_ERRORS = {
    "detail": [{"loc": ["body", "params", "max_steps"], "msg": "must be at least 1", "type": "value_error"}]
}


@dataclass(frozen=True)
class Fault:
    name: str
    status: int = 200
    body: str = ""
    content_type: str = "application/json"
    # "answer", "reset" (RST, no response), "hang" (never answers), or "die" (RST after the headers and the
    # first bytes of the body: a server that dies mid-upload)
    action: str = "answer"
    words: tuple[str, ...] = ()  # what the message shown must say, whatever the call


FAULTS = (
    Fault("400", 400, json.dumps({"detail": "dataset_ids must not be empty"}), words=("HTTP 400", "must not be empty")),
    Fault("401", 401, json.dumps({"detail": "Not authenticated"}), words=("HTTP 401", "check the token")),
    Fault("403", 403, json.dumps({"detail": "Forbidden"}), words=("HTTP 403", "check the token")),
    Fault("404", 404, json.dumps({"detail": "Not Found"}), words=("HTTP 404", "Not Found")),
    Fault("409", 409, json.dumps({"detail": "Training run has already ended"}), words=("HTTP 409", "already ended")),
    Fault("422", 422, json.dumps(FIELD_ERRORS), words=("HTTP 422", "params.max_steps: must be at least 1")),
    Fault("500", 500, "Internal Server Error", "text/plain", words=("HTTP 500", "Internal Server Error")),
    Fault("502", 502, NGINX_502, "text/html", words=("HTTP 502", "Bad Gateway", "an HTML page")),
    Fault("503", 503, "Service Unavailable", "text/plain", words=("HTTP 503", "Service Unavailable")),
    Fault("html", 200, LOGIN_PAGE, "text/html", words=("an HTML page", "Sign in - Corporate Proxy")),
    Fault("empty", 200, "", words=("an empty body",)),
    Fault("reset", action="reset", words=("connection", "broke", "reset")),
    Fault("hang", action="hang", words=("did not answer in time",)),
)

OK_BODIES = {
    "/health": {"status": "healthy", "service": "Talent Factory"},  # the deployed backend's words
    "/models/list": {"models": [{"id": "tiny", "parameters": 1000}]},
    "/datasets/available": {"datasets": [{"id": "builtin-arithmetic", "rows": 10}]},
    "/train/start": {"train_id": "run-1", "status": "started"},
    "/train/status/": {"status": "training", "progress": 10},
    "/train/stop/": {"status": "stopped"},
    "/train/active": {"active_trainings": []},
    "/dashboard": {"recent_runs": []},
}


class FaultyHttp:
    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}  # path prefix -> fault; the longest matching prefix wins
        self.requests: list[str] = []  # "METHOD /path" of every request, in order
        self._release = threading.Event()  # set when closing: every hanging answer gives up
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.backend = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail(self, prefix: str, fault: Fault | None) -> None:
        if fault is None:
            self.faults.pop(prefix, None)
        else:
            self.faults[prefix] = fault

    def fault_for(self, path: str) -> Fault | None:
        matches = [prefix for prefix in self.faults if path.startswith(prefix)]
        return self.faults[max(matches, key=len)] if matches else None

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, name="faulty-http", daemon=True).start()

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def hang(self) -> None:
        self._release.wait()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    backend: FaultyHttp


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1").split()
        length = 0
        while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if len(request_line) < 2:
            return
        method, path = request_line[0], request_line[1]
        backend = self.server.backend
        backend.requests.append(f"{method} {path}")
        fault = backend.fault_for(path)
        self.rfile.read(min(length, DIE_AFTER_BYTES) if fault is not None and fault.action == "die" else length)
        if fault is None:
            body = next((body for prefix, body in OK_BODIES.items() if path.startswith(prefix)), {"detail": "?"})
            self._answer(200, json.dumps(body), "application/json")
        elif fault.action in ("reset", "die"):
            # SO_LINGER with a zero timeout: close() sends a RST instead of a FIN (closed here, before
            # socketserver's own shutdown would send a FIN first).
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif fault.action == "hang":
            backend.hang()
        else:
            self._answer(fault.status, fault.body, fault.content_type)

    def _answer(self, status: int, body: str, content_type: str) -> None:
        data = body.encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        )
        self.wfile.write(head.encode() + data)


@contextmanager
def faulty_http() -> Iterator[FaultyHttp]:
    backend = FaultyHttp()
    backend.start()
    try:
        yield backend
    finally:
        backend.close()
