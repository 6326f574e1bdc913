"""Run the reference server with uvicorn on a socket bound here, so port 0 works and the port is known."""

from __future__ import annotations

import os
import socket
import sys

import uvicorn

from tf_tui.server.app import ServerSettings, create_app

GRACEFUL_SHUTDOWN_S = 3


def bind_listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: without it asyncio does not set TCP_NODELAY on accepted connections.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(256)
    return listener


def serve(
    settings: ServerSettings, host: str, port: int, *, ready_fd: int | None = None, log_level: str = "info"
) -> None:
    """Serve until interrupted. `ready_fd` gets the bound port and a newline once requests are served."""
    listener = bind_listening_socket(host, port)
    bound_port = listener.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host

    def announce_ready() -> None:
        print(
            f"Talent Factory reference server on http://{url_host}:{bound_port} (data: {settings.data_dir})",
            file=sys.stderr,
            flush=True,
        )
        if ready_fd is not None:
            os.write(ready_fd, f"{bound_port}\n".encode())
            os.close(ready_fd)

    config = uvicorn.Config(
        create_app(settings, on_ready=announce_ready),
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    uvicorn.Server(config).run(sockets=[listener])
