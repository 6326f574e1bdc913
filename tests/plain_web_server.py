"""A plain web server on 127.0.0.1, `python3 -m http.server` as a user would start it by mistake: it answers
HTTP, with files and HTML error pages, and knows nothing of Talent Factory.

It runs in a thread of its own, so that the CLI (its own event loop, or its own process) and the dashboard can
both be pointed at it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class PlainWebServer:
    url: str
    requests: list[str] = field(default_factory=list)  # "METHOD /path" of every request, in order


class _Handler(SimpleHTTPRequestHandler):
    server_record: PlainWebServer

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.server_record.requests.append(f"{self.command} {self.path}")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test's output stays its own


@contextmanager
def plain_web_server(directory: Path) -> Iterator[PlainWebServer]:
    """Serves `directory`, as `python3 -m http.server` serves the folder it is started in."""
    record = PlainWebServer("")
    handler = type("Handler", (_Handler,), {"server_record": record})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(directory)))
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="plain-web-server", daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
