"""The `tf-tui` command: the dashboard by default; `watch`, `status`, `models`, `start`, `stop`, `logs`, `metrics`,
`datasets`, `dataset upload`, `export`; `keys`, `completion`; `serve`."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tf_tui.base import start_collection
from tf_tui.base.exit_codes import ExitCode
from tf_tui.base.ids import RunIdError
from tf_tui.base.options import (
    DEFAULT_OUTCOME_PREFERENCE,
    DEFAULT_URL,
    LOG_LEVELS,
    OUTCOME_PREFERENCES,
    SERVER_TOKEN_VARIABLE,
    TOKEN_FILE_VARIABLE,
    TOKEN_VARIABLE,
)
from tf_tui.base.talent_choices import CATEGORIES, DEFAULT_VERSION

if TYPE_CHECKING:
    from tf_tui.core.config import Backend, Settings
    from tf_tui.core.fleet import Fleet, RunKey
    from tf_tui.core.session import Session
    from tf_tui.core.start_choices import StartChoices

Followed = TypeVar("Followed", "Fleet", "Session")


def build_parser() -> argparse.ArgumentParser:
    # Client options are accepted before or after the command; SUPPRESS keeps a subcommand's
    # parser from overwriting a value given before it with its own default.
    client = argparse.ArgumentParser(add_help=False)
    client.add_argument(
        "--url",
        action="append",
        default=argparse.SUPPRESS,
        help=f"backend URL; repeat for several (else TF_TUI_URL, the config file, {DEFAULT_URL})",
    )
    client.add_argument(
        "--backend",
        action="append",
        default=argparse.SUPPRESS,
        metavar="NAME",
        help="a backend named in the config file's [[backends]]; repeat for several (default: all of them)",
    )
    client.add_argument(
        "--token",
        default=argparse.SUPPRESS,
        help=f"bearer token; other users can read it in `ps`, so prefer --token-file or {TOKEN_VARIABLE}",
    )
    client.add_argument(
        "--token-file",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"read the token from this file, which only you may read (else {TOKEN_FILE_VARIABLE})",
    )
    client.add_argument(
        "--ca-cert",
        type=Path,
        default=argparse.SUPPRESS,
        help="trust the CA certificate (PEM) that signed an https backend (else TF_TUI_CA_CERT or the config file)",
    )
    client.add_argument(
        "--insecure",
        action="store_true",
        default=argparse.SUPPRESS,
        help="do not verify the backend's TLS certificate (a warning stays on screen)",
    )
    client.add_argument(
        "--state-file",
        type=Path,
        default=argparse.SUPPRESS,
        help="where the active runs are remembered (else TF_TUI_STATE_FILE)",
    )
    client.add_argument("--log-level", choices=LOG_LEVELS, default=argparse.SUPPRESS, help="log file detail")
    client.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="watch only: nothing that changes a backend (start, stop, evaluate, publish, upload) is offered or sent",
    )
    client.add_argument(
        "--local",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use tf-tui's own reference server, starting it on a free local port if none runs",
    )

    parser = argparse.ArgumentParser(
        prog="tf-tui", parents=[client], description="A terminal dashboard for Talent Factory training runs."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    watch = commands.add_parser(
        "watch",
        parents=[client],
        help="follow runs until they end (exit 0 completed, 1 failed, 3 stopped, 7 an alert with --exit-on-alert, ...)",
    )
    watch.add_argument("train_ids", nargs="*", metavar="TRAIN_ID", help="default: the remembered active runs")
    _add_follow_options(watch)

    status = commands.add_parser("status", parents=[client], help="list the runs the server knows, and remembered ones")
    status.add_argument("--json", action="store_true", help="a JSON list instead of a table")

    models = commands.add_parser(
        "models", parents=[client], help="list the models, their size, and whether they fit the backend's machine"
    )
    models.add_argument("--json", action="store_true", help="a JSON list instead of a table")

    start = commands.add_parser("start", parents=[client], help="start a training run")
    start.add_argument("--model", help="base model id (see /models/list); needed unless --like gives it")
    start.add_argument(
        "--dataset", action="append", default=[], help="dataset id; repeat for several; needed unless --like gives them"
    )
    start.add_argument(
        "--outcome", choices=OUTCOME_PREFERENCES, help=f"default: the --like run's, else {DEFAULT_OUTCOME_PREFERENCE}"
    )
    start.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="training parameter; repeat for several"
    )
    start.add_argument(
        "--like",
        metavar="TRAIN_ID",
        help="start it as that run was (model, datasets, outcome, every param); the options above change it",
    )
    start.add_argument("--watch", action="store_true", help="follow the run as `watch` does")
    _add_follow_options(start)

    stop = commands.add_parser("stop", parents=[client], help="stop a training run")
    stop.add_argument("train_id", metavar="TRAIN_ID")
    stop.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    logs = commands.add_parser("logs", parents=[client], help="print a run's log (the reference server's extension)")
    logs.add_argument("train_id", metavar="TRAIN_ID")
    logs.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="then follow it until the run ends (exit 0 completed, 1 failed, ...)",
    )

    metrics = commands.add_parser(
        "metrics", parents=[client], help="print a run's metrics history (the reference server's extension)"
    )
    metrics.add_argument("train_id", metavar="TRAIN_ID")
    metrics_format = metrics.add_mutually_exclusive_group()
    metrics_format.add_argument("--json", action="store_true", help="one JSON object with the list of points")
    metrics_format.add_argument("--csv", action="store_true", help="CSV with a header row")
    metrics.add_argument(
        "--smooth",
        type=_smoothing_weight,
        default=None,
        metavar="W",
        help="add the loss smoothed with weight W (0 to 1, as TensorBoard's slider), beside the raw loss",
    )

    datasets = commands.add_parser("datasets", parents=[client], help="list the backend's datasets")
    datasets.add_argument("--json", action="store_true", help="a JSON list instead of a table")

    dataset = commands.add_parser("dataset", parents=[client], help="upload a dataset: `dataset upload PATH...`")
    dataset_actions = dataset.add_subparsers(dest="dataset_action", metavar="ACTION", required=True)
    upload = dataset_actions.add_parser(
        "upload", parents=[client], help="upload files (JSON, JSON Lines, text) as one new dataset"
    )
    upload.add_argument("paths", nargs="+", metavar="PATH", help="one file, or several that make one dataset")
    upload.add_argument("--name", default=None, help="the dataset's name (default: the server's choice)")
    upload.add_argument("--json", action="store_true", help="the server's reply as JSON, and no progress bar")

    _add_talent_commands(commands, client)

    _add_export_command(commands, client)

    commands.add_parser("keys", help="every key of the dashboard, after the config file's [keys], with what each does")
    completion = commands.add_parser(
        "completion", help="print the completion script of bash, zsh or fish (the README says where it goes)"
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))

    serve = commands.add_parser("serve", help="run the reference Talent Factory server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8084, help="port, 0 for any free one (default: 8084)")
    serve.add_argument("--data-dir", type=Path, default=None, help="where runs, datasets and weights are kept")
    serve.add_argument(
        "--token",
        default=os.environ.get(SERVER_TOKEN_VARIABLE),
        help=f"require this bearer token on every call but /health (or set {SERVER_TOKEN_VARIABLE})",
    )
    serve.add_argument("--tls-cert", type=Path, default=None, help="serve https/wss with this certificate (PEM)")
    serve.add_argument("--tls-key", type=Path, default=None, help="the private key (PEM) of --tls-cert")
    serve.add_argument("--max-concurrent", type=_positive_int, default=2, help="runs that may train at once")
    serve.add_argument("--log-level", default="info", choices=LOG_LEVELS)
    serve.add_argument(
        "--idle-exit",
        type=_positive_float,
        default=None,
        metavar="S",
        help="stop after S seconds with no run going, no client and no request (tf-tui --local uses 600)",
    )
    manage = serve.add_mutually_exclusive_group()
    manage.add_argument(
        "--stop", action="store_true", help="stop the server running on the data dir (default: tf-tui --local's)"
    )
    manage.add_argument(
        "--status", action="store_true", help="is a server running on the data dir (default: tf-tui --local's)?"
    )
    serve.add_argument(
        "--json", action="store_true", help="with --status: its state, url, pid, data_dir and uptime_s as JSON"
    )
    serve.add_argument("--ready-fd", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def _add_talent_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], client: argparse.ArgumentParser
) -> None:
    evaluate = commands.add_parser(
        "evaluate", parents=[client], help="measure a completed run on held-out data (exit 6: the backend cannot)"
    )
    evaluate.add_argument("train_id", metavar="TRAIN_ID")
    evaluate.add_argument("--json", action="store_true", help="the metrics and how each was computed, as JSON")
    publish = commands.add_parser("publish", parents=[client], help="publish a completed run as a talent")
    publish.add_argument("train_id", metavar="TRAIN_ID")
    publish.add_argument("--name", required=True, help="the talent's name")
    publish.add_argument("--category", required=True, choices=CATEGORIES)
    publish.add_argument("--version", default=DEFAULT_VERSION, help=f"default: {DEFAULT_VERSION}")
    publish.add_argument("--json", action="store_true", help="the server's answer as JSON")
    talents = commands.add_parser("talents", parents=[client], help="the published talents and their metrics")
    talents.add_argument("--json", action="store_true", help="a JSON list instead of a table")


def _add_export_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], client: argparse.ArgumentParser
) -> None:
    export = commands.add_parser(
        "export", parents=[client], help="every run of every backend, or with --metrics their histories, as rows"
    )
    export_format = export.add_mutually_exclusive_group()
    export_format.add_argument("--csv", action="store_true", help="CSV with a header row (the default)")
    export_format.add_argument("--json", action="store_true", help="one JSON array of objects")
    export_format.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    export.add_argument("--metrics", action="store_true", help="every run's metrics history, a row per step and metric")
    export.add_argument("--since", metavar="DATE", help="only the runs made at or after DATE (2026-12-01, ISO)")
    export.add_argument("train_ids", nargs="*", metavar="TRAIN_ID", help="only these runs (default: every run)")
    export.add_argument("--all", action="store_true", help="every run (the default without TRAIN_ID)")


def _add_follow_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per line per change")
    parser.add_argument("--timeout", type=float, default=None, metavar="S", help="give up after S seconds (exit 5)")
    parser.add_argument(
        "--alerts",
        action="store_true",
        help="watch the runs' health too: NaN loss, divergence, stalls, overfitting ([alerts] in the config file)",
    )
    parser.add_argument(
        "--exit-on-alert", action="store_true", help=f"exit {int(ExitCode.ALERT)} at the first alert (implies --alerts)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (`tf-tui completion`'s script)
        from tf_tui.headless.completion import complete

        complete(parser)
    args = parser.parse_args(argv)
    if args.command is None:  # the dashboard: no garbage collection until its first screen is up
        start_collection.hold()
    # Imported after parsing: `--help` and a usage error answer before asyncio, ssl, dataclasses or the
    # HTTP client load (`tf_tui.core.config` among them: it loads dataclasses and, through TLS, ssl).
    import asyncio
    import logging

    from tf_tui.base.signals import run_until_signalled
    from tf_tui.client.api import ApiError, NotTalentFactory
    from tf_tui.client.tls import INSECURE_WARNING
    from tf_tui.core.config import ConfigError, load_settings, setup_logging

    local = getattr(args, "local", False)
    if args.command == "completion":
        from tf_tui.headless.completion import completion_script

        print(completion_script(args.shell), end="")
        return ExitCode.OK
    if args.command == "serve":
        return _serve(args) if not local else _usage("--local is for the dashboard and the client commands")
    if local and (hasattr(args, "url") or hasattr(args, "backend")):
        return _usage("--local names the backend: give it without --url or --backend")
    try:
        settings = load_settings(
            url=getattr(args, "url", None),
            backend=getattr(args, "backend", ()),
            token=getattr(args, "token", None),
            state_file=getattr(args, "state_file", None),
            log_level=getattr(args, "log_level", None),
            token_file=getattr(args, "token_file", None),
            ca_cert=getattr(args, "ca_cert", None),
            insecure=getattr(args, "insecure", False),
            read_only=getattr(args, "read_only", False),
            themes=_dashboard_themes() if args.command is None else None,
        )
        keys = _dashboard_keys(settings) if args.command in (None, "keys") else {}
        setup_logging(settings)
    except (ConfigError, OSError) as error:
        print(f"tf-tui: {error}", file=sys.stderr)
        return ExitCode.USAGE
    if args.command == "keys":
        return _list_keys(keys)
    if local:
        # Resolved before anything else: the local server is then a backend known by its URL, as any other.
        from tf_tui.core.local_backend import local_settings
        from tf_tui.core.local_server import ServerStartError, local_data_dir

        try:
            settings = local_settings(settings, local_data_dir())
        except ServerStartError as error:
            print(f"tf-tui --local: {error}", file=sys.stderr)
            return ExitCode.FAILED
    if settings.insecure and args.command is not None:  # the dashboard says it in its header instead
        print(f"tf-tui: warning: {INSECURE_WARNING}", file=sys.stderr)
    if args.command is None:
        return _run_app(settings)
    if args.command in CHANGING_COMMANDS and all(backend.read_only for backend in settings.fleet):
        return _read_only_refused(CHANGING_COMMANDS[args.command])
    command = _HEADLESS[args.command]
    try:
        return asyncio.run(run_until_signalled(command(settings, args)))
    except NotTalentFactory as error:
        print(f"tf-tui {args.command}: {error}", file=sys.stderr)
        return ExitCode.NOT_TALENT_FACTORY
    except ApiError as error:
        print(f"tf-tui {args.command}: {error}", file=sys.stderr)
        return ExitCode.FAILED
    except RunIdError as error:
        print(f"tf-tui {args.command}: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except BrokenPipeError:  # `tf-tui watch --json | head -1`: the reader has all it wanted
        _drop_stdout()
        return ExitCode.CLOSED_PIPE
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except Exception as error:  # a bug of ours: the details go to the log, a sentence to the user
        logging.getLogger(__name__).exception("tf-tui %s failed", args.command)
        # The type only: an exception's text can quote anything, a request header among it.
        print(
            f"tf-tui {args.command}: internal error ({type(error).__name__}); details in {settings.log_file}",
            file=sys.stderr,
        )
        return ExitCode.FAILED


def _fleet(settings: Settings, command: str, *, alerts: bool = False) -> Fleet:
    from functools import partial

    from tf_tui.core.fleet import Fleet
    from tf_tui.core.session import Session

    # No headless command draws a chart: runs keep no metric points (`tf-tui metrics` asks the backend).
    session = partial(Session, on_state_problem=_say_on_stderr(command), headless=True, alerts=alerts)
    return Fleet.from_settings(settings, session)


async def _watch(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.core.fleet import UnknownRun
    from tf_tui.headless.commands import follow
    from tf_tui.headless.output import choose_output

    # Only the runs asked for, or else the remembered ones: never others besides the ones named.
    alerts = args.alerts or args.exit_on_alert
    async with _opened(_fleet(settings, "watch", alerts=alerts), restore=False) as fleet:
        try:
            keys: list[RunKey] = await fleet.locate_all(args.train_ids) or fleet.remembered()
        except UnknownRun as unknown:  # as for one backend: the run is "not found", exit 4
            print(f"tf-tui watch: {unknown}", file=sys.stderr)
            return ExitCode.UNKNOWN_RUN
        if not keys:
            where = f"for {', '.join(s.url for s in fleet.sessions.values())} in {settings.state_file}"
            print(f"tf-tui watch: no run given, and none remembered {where}", file=sys.stderr)
            return ExitCode.USAGE
        code = await follow(fleet, keys, choose_output(args.json), args.timeout, exit_on_alert=args.exit_on_alert)
        _say_unconfirmed(fleet, keys)
        return code


def _say_unconfirmed(fleet: Fleet, keys: list[RunKey]) -> None:
    """The runs no backend ever answered for: kept in this command only, never remembered."""
    from tf_tui.base.text import printable
    from tf_tui.core.format import short_id

    for key in keys:
        if not fleet.get(key).confirmed and not fleet.get(key).missing:
            where = fleet.session(key.backend).url
            print(
                f"tf-tui watch: {printable(short_id(key.train_id))} is unconfirmed: {where} never answered for it,"
                " so it is not remembered",
                file=sys.stderr,
            )


async def _status(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.headless.commands import show_status

    async with _fleet(settings, "status").without_stream() as fleet:
        return await show_status(fleet, args.json)


async def _models(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.headless.models import list_models

    async with _fleet(settings, "models").without_stream() as fleet:
        return await list_models(fleet, args.json)


async def _start(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.core.session import Session
    from tf_tui.core.start_choices import StartChoices
    from tf_tui.headless.commands import follow, start_run
    from tf_tui.headless.output import choose_output

    try:
        params = parse_params(args.param)
    except ValueError as error:
        print(f"tf-tui start: {error}", file=sys.stderr)
        return ExitCode.USAGE
    if args.like is None and (args.model is None or not args.dataset):
        return _usage("start needs --model and --dataset, or --like TRAIN_ID to start a run as another was")
    if args.like is None:
        backend = _one_backend(settings, "start", "a run starts on one backend")
        choices = StartChoices(args.model, tuple(args.dataset), args.outcome or DEFAULT_OUTCOME_PREFERENCE, params)
    else:
        liked = await _liked(settings, args, params)
        if liked is None:
            return ExitCode.USAGE
        backend, choices = liked
    if backend is None:
        return ExitCode.USAGE
    if backend.read_only:
        return _read_only_refused("start", backend.name)
    # The session (and its socket) opens first, so a watched run is subscribed from its first moment; it
    # follows that run only, not the remembered others.
    session = Session(
        settings.for_backend(backend),
        on_state_problem=_say_on_stderr("start"),
        headless=True,
        alerts=args.alerts or args.exit_on_alert,
    )
    async with _opened(session, restore=False):

        def follow_run(train_id: str) -> Awaitable[int]:
            # With --json the reply line is already on stdout; the follow output comes after it.
            return follow(session, [train_id], choose_output(args.json), args.timeout, exit_on_alert=args.exit_on_alert)

        return await start_run(
            session,
            choices.model,
            list(choices.datasets),
            choices.outcome or DEFAULT_OUTCOME_PREFERENCE,
            choices.params,
            as_json=args.json,
            follow_with=follow_run if args.watch else None,
        )


async def _liked(
    settings: Settings, args: argparse.Namespace, params: dict[str, Any]
) -> tuple[Backend, StartChoices] | None:
    """`--like`: the backend that knows the run, and the choices to start its like there; None (and said why)
    when there are none."""
    from tf_tui.core.fleet import UnknownRun
    from tf_tui.headless.start_like import NotLikeable, like_choices

    async with _fleet(settings, "start").without_stream() as fleet:
        try:
            key, choices = await like_choices(
                fleet, args.like, model=args.model, datasets=args.dataset, outcome=args.outcome, params=params
            )
        except (UnknownRun, NotLikeable) as error:
            print(f"tf-tui start --like: {error}", file=sys.stderr)
            return None
    return next(backend for backend in settings.fleet if backend.name == key.backend), choices


async def _stop(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.core.fleet import UnknownRun
    from tf_tui.headless.commands import stop_run

    confirm = None if args.yes or not sys.stdin.isatty() else _ask
    async with _fleet(settings, "stop").without_stream() as fleet:
        try:
            if await _on_read_only_backend(fleet, args.train_id, "stop"):
                return ExitCode.USAGE
            return await stop_run(fleet, args.train_id, confirm=confirm)
        except UnknownRun as unknown:  # as for one backend: said, exit 1
            print(f"tf-tui stop: {unknown}", file=sys.stderr)
            return ExitCode.FAILED


async def _logs(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.core.fleet import UnknownRun
    from tf_tui.headless.logs import print_log

    async with _fleet(settings, "logs").without_stream() as fleet:
        try:
            return await print_log(fleet, args.train_id, follow=args.follow)
        except UnknownRun as unknown:
            print(f"tf-tui logs: {unknown}", file=sys.stderr)
            return ExitCode.UNKNOWN_RUN


async def _metrics(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.core.fleet import UnknownRun
    from tf_tui.headless.metrics import MetricsFormat, print_metrics

    form = MetricsFormat.JSON if args.json else MetricsFormat.CSV if args.csv else MetricsFormat.TABLE
    async with _fleet(settings, "metrics").without_stream() as fleet:
        try:
            return await print_metrics(fleet, args.train_id, form, smooth=args.smooth)
        except UnknownRun as unknown:
            print(f"tf-tui metrics: {unknown}", file=sys.stderr)
            return ExitCode.UNKNOWN_RUN


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.base.protocol import parse_server_time
    from tf_tui.core.fleet import UnknownRun
    from tf_tui.headless.export import ExportRequest, export
    from tf_tui.headless.rows import RowFormat

    if args.all and args.train_ids:
        print("tf-tui export: give run ids or --all, not both", file=sys.stderr)
        return ExitCode.USAGE
    since = None if args.since is None else parse_server_time(args.since)
    if args.since is not None and since is None:
        print(f"tf-tui export: --since {args.since!r} is not a date (2026-12-01, or ISO with a time)", file=sys.stderr)
        return ExitCode.USAGE
    form = RowFormat.JSON if args.json else RowFormat.JSONL if args.jsonl else RowFormat.CSV
    request = ExportRequest(form, args.metrics, since, args.train_ids)
    async with _fleet(settings, "export").without_stream() as fleet:
        try:
            return await export(fleet, request)
        except UnknownRun as unknown:
            print(f"tf-tui export: {unknown}", file=sys.stderr)
            return ExitCode.UNKNOWN_RUN


def _one_backend(settings: Settings, command: str, why: str) -> Backend | None:
    """The one backend a command acts on; None (and said why) when several are configured."""
    if len(settings.fleet) > 1:
        names = ", ".join(backend.name for backend in settings.fleet)
        print(f"tf-tui {command}: {why}: say which with --backend NAME ({names})", file=sys.stderr)
        return None
    return settings.fleet[0]


async def _datasets(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.core.session import Session
    from tf_tui.headless.datasets import list_datasets

    backend = _one_backend(settings, "datasets", "datasets are listed from one backend")
    if backend is None:
        return ExitCode.USAGE
    async with Session(settings.for_backend(backend)).without_stream() as session:
        return await list_datasets(session, args.json)


async def _dataset(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.core.datasets import UploadPathError, upload_paths
    from tf_tui.core.session import Session
    from tf_tui.headless.datasets import upload_dataset

    try:
        paths = upload_paths(args.paths)
    except UploadPathError as error:
        print(f"tf-tui dataset upload: {error}", file=sys.stderr)
        return ExitCode.USAGE
    backend = _one_backend(settings, "dataset upload", "a dataset is uploaded to one backend")
    if backend is None:
        return ExitCode.USAGE
    if backend.read_only:
        return _read_only_refused("dataset upload", backend.name)
    async with Session(settings.for_backend(backend)).without_stream() as session:
        return await upload_dataset(session, paths, args.name, args.json)


async def _evaluate(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.headless.talents import evaluate_run

    async with _fleet(settings, "evaluate").without_stream() as fleet:
        if await _on_read_only_backend(fleet, args.train_id, "evaluate"):
            return ExitCode.USAGE
        return await evaluate_run(fleet, args.train_id, as_json=args.json)


async def _publish(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.headless.talents import publish_run

    async with _fleet(settings, "publish").without_stream() as fleet:
        if await _on_read_only_backend(fleet, args.train_id, "publish"):
            return ExitCode.USAGE
        return await publish_run(fleet, args.train_id, args.name, args.category, args.version, as_json=args.json)


async def _talents(settings: Settings, args: argparse.Namespace) -> int:
    from tf_tui.headless.talents import list_talents

    async with _fleet(settings, "talents").without_stream() as fleet:
        return await list_talents(fleet, as_json=args.json)


# The commands that change a backend, as they are named: refused where it is read-only.
CHANGING_COMMANDS = {
    "start": "start",
    "stop": "stop",
    "evaluate": "evaluate",
    "publish": "publish",
    "dataset": "dataset upload",
}


def _read_only_refused(command: str, backend: str | None = None) -> int:
    from tf_tui.core.read_only import refusal

    print(f"tf-tui {command}: {refusal(command, backend)} Nothing was sent.", file=sys.stderr)
    return ExitCode.USAGE


async def _on_read_only_backend(fleet: Fleet, typed_id: str, command: str) -> bool:
    """Whether the run is on a read-only backend of the fleet (said, if so). Some backends are read-only and
    some not: every one being read-only was refused before any was asked."""
    read_only = [name for name, session in fleet.sessions.items() if session.settings.read_only]
    if not read_only:
        return False
    key = await fleet.locate(typed_id)
    if key.backend not in read_only:
        return False
    _read_only_refused(command, key.backend)
    return True


@contextlib.asynccontextmanager
async def _opened(followed: Followed, *, restore: bool) -> AsyncIterator[Followed]:
    """A session or fleet open (with the remembered runs watched, or not), and closed after."""
    try:
        await followed.open(restore=restore)
        yield followed
    finally:
        await followed.close()


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit does not fail on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _say_on_stderr(command: str) -> Callable[[str], None]:
    """What goes wrong with the state file, said where a script's user sees it (once each)."""
    return lambda problem: print(f"tf-tui {command}: warning: {problem}", file=sys.stderr)


def _ask(question: str) -> bool:
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


_HEADLESS: dict[str, Callable[[Settings, argparse.Namespace], Awaitable[int]]] = {
    "watch": _watch,
    "status": _status,
    "models": _models,
    "start": _start,
    "stop": _stop,
    "logs": _logs,
    "metrics": _metrics,
    "datasets": _datasets,
    "dataset": _dataset,
    "evaluate": _evaluate,
    "publish": _publish,
    "talents": _talents,
    "export": _export,
}


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs; values are read as JSON when they parse (numbers, true, null), else as text."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise ValueError(f"--param {pair!r} is not KEY=VALUE")
        try:
            params[key.strip()] = json.loads(value)
        except ValueError:
            params[key.strip()] = value
    return params


def _serve(args: argparse.Namespace) -> int:
    if args.json and not args.status:
        return _usage("serve --json goes with --status")
    if args.stop or args.status:
        from tf_tui.core.local_server import local_data_dir, manage

        return manage(args.data_dir or local_data_dir(), stop=args.stop, token=args.token or None, as_json=args.json)
    # Imported here: the server's dependencies are the optional `server` extra.
    try:
        from tf_tui.common.atomic_file import LockTimeout
        from tf_tui.server.serve import ServeError, TlsFilesError, serve
        from tf_tui.server.settings import ServerSettings
    except ImportError as error:
        print(f"tf-tui serve needs the server extra (pip install 'tf-tui[server]'): {error}", file=sys.stderr)
        return ExitCode.USAGE
    if (args.tls_cert is None) != (args.tls_key is None):
        print("tf-tui serve: --tls-cert and --tls-key go together", file=sys.stderr)
        return ExitCode.USAGE
    # Read once, then gone from the environment, so the training processes never inherit a token.
    for variable in (SERVER_TOKEN_VARIABLE, TOKEN_VARIABLE):
        os.environ.pop(variable, None)
    from platformdirs import user_data_path

    data_dir = args.data_dir or user_data_path("tf-tui") / "server"
    settings = ServerSettings(
        data_dir=data_dir, token=args.token or None, max_concurrent=args.max_concurrent, idle_exit=args.idle_exit
    )
    tls = None if args.tls_cert is None else (args.tls_cert, args.tls_key)
    try:
        serve(settings, args.host, args.port, ready_fd=args.ready_fd, log_level=args.log_level, tls=tls)
    except TlsFilesError as error:
        print(f"tf-tui serve: {error}", file=sys.stderr)
        return ExitCode.USAGE
    except LockTimeout:
        print(
            f"tf-tui serve: another server is using {data_dir}; `tf-tui serve --status --data-dir {data_dir}`"
            " says which",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    except ServeError as error:
        print(f"tf-tui serve: {error}", file=sys.stderr)
        return ExitCode.FAILED
    return ExitCode.OK


def _dashboard_themes() -> list[str]:
    """Only the dashboard loads Textual, which alone knows the themes: the headless commands never check one."""
    from tf_tui.ui.launch import theme_names

    return theme_names()


def _dashboard_keys(settings: Settings) -> dict[str, str]:
    """The config file's [keys], checked against the dashboard's actions (Textual's, as the themes are)."""
    from tf_tui.ui.app import TfTuiApp
    from tf_tui.ui.keymap import checked_keymap

    return checked_keymap(settings.keys, TfTuiApp)


def _list_keys(keys: dict[str, str]) -> int:
    from tf_tui.ui.app import TfTuiApp
    from tf_tui.ui.keymap import keys_listing

    print(keys_listing(TfTuiApp, keys))
    return ExitCode.OK


def _run_app(settings: Settings) -> int:
    """The dashboard; then, once the terminal is restored (so it stays on screen), what goes on without it."""
    from tf_tui.ui.launch import run_dashboard

    ended = run_dashboard(settings)
    local = settings.fleet[0].local
    # The local server is left running on quit: it trains on, and stops itself once idle.
    if local is not None:
        from tf_tui.core.local_server import quit_note

        note: str | None = quit_note(local.data_dir, ended.going)
    else:
        note = _remote_quit_note(ended.going, ", ".join(backend.url for backend in settings.fleet))
    if note:
        print(f"tf-tui: {note}", file=sys.stderr)
    return ended.code


def _remote_quit_note(going: int, url: str) -> str | None:
    """Quitting never stops a run: it says so when some were going."""
    from tf_tui.core.format import plural

    return f"{plural(going, 'run')} {'keeps' if going == 1 else 'keep'} going on {url}" if going else None


def _usage(problem: str) -> int:
    print(f"tf-tui: {problem}", file=sys.stderr)
    return ExitCode.USAGE


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:  # NaN included
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _smoothing_weight(text: str) -> float:
    from tf_tui.core.smoothing import check_weight

    try:
        return check_weight(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError("must be from 0 up to (not including) 1") from None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
