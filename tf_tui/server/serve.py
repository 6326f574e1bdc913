"""Run the reference server with uvicorn on a socket bound here, so port 0 works and the port is known."""

from __future__ import annotations

import os
import socket
import sys

import uvicorn

from tf_tui.server.app import ServerSettings, create_app
from tf_tui.server.instance import SERVER_LOCK_FILE, ServerAddress, exclusive_lock, remove_address, write_address

GRACEFUL_SHUTDOWN_S = 3
# How long a server waits for the one before it on the same data directory to finish exiting.
DATA_DIR_WAIT_S = 15.0


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
    """Serve until interrupted (or idle for `settings.idle_exit`). `ready_fd` gets the bound port and a
    newline once requests are served. LockTimeout when another server keeps the data directory."""
    with exclusive_lock(settings.data_dir / SERVER_LOCK_FILE, wait=DATA_DIR_WAIT_S):
        listener = bind_listening_socket(host, port)
        bound_port = listener.getsockname()[1]
        url_host = f"[{host}]" if ":" in host else host
        url = f"http://{url_host}:{bound_port}"

        def announce_ready() -> None:
            write_address(settings.data_dir, ServerAddress(url=url, pid=os.getpid(), instance=settings.instance_id))
            print(f"Talent Factory reference server on {url} (data: {settings.data_dir})", file=sys.stderr, flush=True)
            if ready_fd is not None:
                os.write(ready_fd, f"{bound_port}\n".encode())
                os.close(ready_fd)

        def exit_idle() -> None:
            print(f"Nothing going for {settings.idle_exit:g} s: the server stops", file=sys.stderr, flush=True)
            server.should_exit = True

        config = uvicorn.Config(
            create_app(settings, on_ready=announce_ready, on_idle=exit_idle),
            log_level=log_level,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        server = uvicorn.Server(config)
        try:
            server.run(sockets=[listener])
        finally:
            remove_address(settings.data_dir, settings.instance_id)
