"""Run the reference server with uvicorn on a socket bound here, so port 0 works and the port is known."""

from __future__ import annotations

import os
import socket
import ssl
import sys
from contextlib import ExitStack
from pathlib import Path

import uvicorn

from tf_tui.common.atomic_file import LockTimeout, exclusive_lock
from tf_tui.common.server_address import SERVER_LOCK_FILE, ServerAddress, remove_address, write_address
from tf_tui.server.app import create_app
from tf_tui.server.hub import MAX_CLIENT_FRAME_BYTES
from tf_tui.server.log_secrets import logging_config
from tf_tui.server.private import PRIVATE_UMASK, make_private
from tf_tui.server.settings import ServerSettings

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


class TlsFilesError(ValueError):
    """A certificate or key that cannot serve https; the message says which and why."""


class ServeError(RuntimeError):
    """The server cannot start: its data directory cannot be used, or its address cannot be listened on.
    The message says which, and why."""


def check_tls_files(certificate: Path, key: Path) -> None:
    """Load the pair once here, so that a bad file is said in words before anything listens."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certificate, key)
    except ssl.SSLError as error:
        raise TlsFilesError(
            f"{certificate} and {key} are not a matching PEM certificate and key ({error.reason})"
        ) from None
    except OSError as error:
        raise TlsFilesError(f"cannot read {error.filename or certificate}: {error.strerror}") from None


def _claim_data_dir(data_dir: Path, held: ExitStack) -> None:
    """Make the data dir private (saying so when it was not) and hold its lock in `held`."""
    try:
        tightened = make_private(data_dir)
        held.enter_context(exclusive_lock(data_dir / SERVER_LOCK_FILE, wait=DATA_DIR_WAIT_S))
    except LockTimeout:
        raise
    except OSError as error:
        raise ServeError(f"cannot use the data directory {data_dir}: {error.strerror}") from None
    if tightened:
        print(
            f"Made {data_dir} private to its user: {tightened} file(s) and folder(s) in it were open to others",
            file=sys.stderr,
            flush=True,
        )


def serve(
    settings: ServerSettings,
    host: str,
    port: int,
    *,
    ready_fd: int | None = None,
    log_level: str = "info",
    tls: tuple[Path, Path] | None = None,
) -> None:
    """Serve until interrupted (or idle for `settings.idle_exit`). `ready_fd` gets the bound port and a
    newline once requests are served. LockTimeout when another server keeps the data directory, ServeError
    when it cannot start for another reason.

    With `tls` (a certificate and its key, PEM), it serves https and wss instead of http and ws.
    """
    if tls is not None:
        check_tls_files(*tls)
    # Everything the server and its trainers create is its user's alone: the data dir 0700, files 0600.
    os.umask(PRIVATE_UMASK)
    with ExitStack() as held:
        _claim_data_dir(settings.data_dir, held)
        try:
            listener = bind_listening_socket(host, port)
        except OSError as error:
            raise ServeError(f"cannot listen on {host}:{port}: {error.strerror}") from None
        bound_port = listener.getsockname()[1]
        url_host = f"[{host}]" if ":" in host else host
        url = f"{'http' if tls is None else 'https'}://{url_host}:{bound_port}"

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
            log_config=logging_config(settings.token),
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            ws_max_size=MAX_CLIENT_FRAME_BYTES,
            ssl_certfile=None if tls is None else tls[0],
            ssl_keyfile=None if tls is None else tls[1],
        )
        server = uvicorn.Server(config)
        try:
            server.run(sockets=[listener])
        finally:
            remove_address(settings.data_dir, settings.instance_id)
