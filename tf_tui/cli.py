"""The `tf-tui` command: the dashboard by default, and `serve` for the reference server."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from platformdirs import user_data_path

DEFAULT_URL = "http://localhost:8084"
SERVER_TOKEN_VARIABLE = "TF_TUI_SERVER_TOKEN"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tf-tui", description="A terminal dashboard for Talent Factory training runs."
    )
    parser.add_argument("--url", default=DEFAULT_URL, help=f"backend URL (default: {DEFAULT_URL})")
    parser.add_argument(
        "--local", action="store_true", help="start the reference server on a free local port and use it"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the reference Talent Factory server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8084, help="port to bind, 0 for any free one (default: 8084)")
    serve.add_argument("--data-dir", type=Path, default=None, help="where runs, datasets and weights are kept")
    serve.add_argument(
        "--token",
        default=os.environ.get(SERVER_TOKEN_VARIABLE),
        help=f"require this bearer token on every call but /health (or set {SERVER_TOKEN_VARIABLE})",
    )
    serve.add_argument("--max-concurrent", type=_positive_int, default=2, help="runs that may train at once")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument("--ready-fd", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.local:
        return _run_local()
    return _run_app(args.url)


def _serve(args: argparse.Namespace) -> int:
    # Imported here: the server's dependencies are the optional `server` extra.
    try:
        from tf_tui.server.app import ServerSettings
        from tf_tui.server.serve import serve
    except ImportError as error:
        print(f"tf-tui serve needs the server extra (pip install 'tf-tui[server]'): {error}", file=sys.stderr)
        return 2
    data_dir = args.data_dir or user_data_path("tf-tui") / "server"
    settings = ServerSettings(data_dir=data_dir, token=args.token or None, max_concurrent=args.max_concurrent)
    try:
        serve(settings, args.host, args.port, ready_fd=args.ready_fd, log_level=args.log_level)
    except OSError as error:
        print(f"tf-tui serve: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


def _run_local() -> int:
    from tf_tui.server.process import ServerProcess, ServerStartError

    server = ServerProcess(user_data_path("tf-tui") / "local-server")
    try:
        url = server.start()
    except ServerStartError as error:
        print(f"tf-tui --local: {error}", file=sys.stderr)
        return 1
    try:
        return _run_app(url)
    finally:
        server.stop()


def _run_app(url: str) -> int:
    from tf_tui.ui.app import TfTuiApp

    TfTuiApp(url).run()
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
