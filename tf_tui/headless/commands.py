"""The headless commands, `watch`, `status`, `start` and `stop`, each driving a Session."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tf_tui.base.exit_codes import ExitCode
from tf_tui.base.ids import DatasetIdError
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError
from tf_tui.client.stream import Phase
from tf_tui.core.alerts.rules import Rule
from tf_tui.core.datasets import named_datasets
from tf_tui.core.fleet import Fleet, RunKey, as_fleet
from tf_tui.core.format import local_time, progress_text, run_record, short_id, summary
from tf_tui.core.session import Session
from tf_tui.core.store import Outcome, RunState
from tf_tui.headless.listing import list_runs
from tf_tui.headless.output import WatchOutput

IDLE_WAKE_S = 1.0  # wake at least this often to report connection changes and check the timeout


# The most urgent news first: it decides the exit status of several runs. A run still going (`follow`
# gives up on those with TIMEOUT before asking) is news that nothing ended well yet.
WATCH_EXIT_CODES = {
    Outcome.FAILED: ExitCode.FAILED,
    Outcome.MISSING: ExitCode.UNKNOWN_RUN,
    Outcome.GOING: ExitCode.TIMEOUT,
    Outcome.STOPPED: ExitCode.STOPPED,
    Outcome.COMPLETED: ExitCode.OK,
}


def exit_code(runs: list[RunState]) -> int:
    """failed beats unknown beats stopped beats completed: the most urgent news decides the exit status."""
    outcomes = {run.outcome for run in runs}
    return next((code for outcome, code in WATCH_EXIT_CODES.items() if outcome in outcomes), ExitCode.OK)


def _keys(fleet: Fleet, runs: Sequence[str | RunKey]) -> list[RunKey]:
    """Runs as keys: a bare id is a run of the first backend (the one a single-backend caller follows)."""
    first = fleet.names[0]
    return [run if isinstance(run, RunKey) else RunKey(first, run) for run in runs]


async def follow(
    source: Session | Fleet,
    runs: Sequence[str | RunKey],
    output: WatchOutput,
    timeout: float | None,
    *,
    exit_on_alert: bool = False,
) -> int:
    """Show every change of the given runs until all have ended; the exit status says how they ended.

    Across a fleet the exit status is decided over every run by the same precedence. A backend that
    failed for good (a refused token) is said at once; the others' runs are followed to their end.
    The alerts of sessions that watch the runs' health are shown as they fire; with `exit_on_alert`, the
    first one ends the command with `ExitCode.ALERT`, once any stop its rule asked for has had its answer.
    """
    fleet = as_fleet(source)
    keys = _keys(fleet, runs)
    wanted = set(keys)
    named = not fleet.single
    changed = asyncio.Event()
    fleet.on_change = changed.set
    deadline = None if timeout is None else time.monotonic() + timeout
    await fleet.watch(keys)
    failed: dict[str, str] = {}
    alerted: set[tuple[RunKey, Rule]] = set()
    try:
        while True:
            for name, state in fleet.connections().items():
                output.connection(state, name if named else None)
                if state.phase is Phase.FAILED and name not in failed:
                    failed[name] = state.describe()
                    where = f"{name}: " if named else ""
                    print(f"tf-tui watch: {where}{failed[name]}", file=sys.stderr)
            fired = False
            for key in sorted(fleet.take_changed() & wanted):
                run = fleet.get(key)
                if run.status is not None or run.missing:  # nothing heard yet is nothing to show
                    output.show(run, key.backend if named else None)
                for alert in run.alerts.values():
                    if (key, alert.rule) not in alerted:
                        alerted.add((key, alert.rule))
                        output.alert(alert, key.backend if named else None)
                        fired = True
            if fired and exit_on_alert:
                await asyncio.gather(
                    *(session.health.settled() for session in fleet.sessions.values() if session.health)
                )
                return ExitCode.ALERT
            going = [key for key in keys if fleet.get(key).outcome is Outcome.GOING]
            if all(key.backend in failed for key in going):
                if any(fleet.session(key.backend).not_talent_factory for key in going):
                    return ExitCode.NOT_TALENT_FACTORY
                if going:
                    return ExitCode.USAGE
                return exit_code([fleet.get(key) for key in keys])
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                print(f"tf-tui watch: gave up after {timeout:g} s with runs still going", file=sys.stderr)
                return ExitCode.TIMEOUT
            wait = IDLE_WAKE_S if remaining is None else min(IDLE_WAKE_S, remaining)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)
            changed.clear()
    finally:
        output.close()


async def show_status(source: Session | Fleet, as_json: bool, out: TextIO = sys.stdout) -> int:
    """Every run each backend lists and every remembered one, with status and progress.

    A backend that cannot be asked is said on stderr, the others' runs are still shown, and the exit
    status is then 1.
    """
    fleet = as_fleet(source)
    listed = await list_runs(fleet, "status")
    keys = listed.keys
    remembered = set(fleet.remembered())  # after the reads: a run they found ended is no longer remembered
    code = ExitCode.FAILED if listed.unlisted else ExitCode.OK
    if as_json:
        records = [_status_record(key.backend, fleet.get(key), key in remembered) for key in keys]
        print(json.dumps(records, indent=2), file=out)
        return code
    if not keys:
        where = ", ".join(session.url for session in fleet.sessions.values())
        print(f"No runs on {where}.", file=out)
        return code
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in (() if fleet.single else ("BACKEND",)) + ("ID", "MODEL", "STATUS", "PROGRESS", "CREATED", "NOTE"):
        table.add_column(column)
    for key in keys:
        run = fleet.get(key)
        note = "not found" if run.missing else ("active (remembered)" if key in remembered else "")
        cells = (
            *(() if fleet.single else (printable(key.backend, 20),)),
            short_id(run.train_id),
            printable(run.base_model or "", 20),
            printable(run.status or "unknown", 30),
            progress_text(run),
            local_time(run.created_at),
            note,
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: server text is never read as markup
    Console(file=out, highlight=False).print(table)
    return code


async def start_run(
    session: Session,
    model: str,
    datasets: list[str],
    outcome: str,
    params: dict[str, Any],
    *,
    as_json: bool,
    follow_with: Callable[[str], Awaitable[int]] | None,
    out: TextIO = sys.stdout,
) -> int:
    """Start a run, its datasets checked first against the backend's list (a unique prefix is completed):
    the deployed backend starts a run on any id, and the run then fails without a word."""
    try:
        dataset_ids = await named_datasets(session.api, datasets)
    except DatasetIdError as error:
        print(f"tf-tui start: {error}", file=sys.stderr)
        return ExitCode.USAGE
    started = await session.start(model, dataset_ids, params=params, outcome=outcome)
    print(json.dumps(started.reply) if as_json else printable(started.train_id), file=out, flush=True)
    if follow_with is None:
        return ExitCode.OK
    return await follow_with(started.train_id)


async def stop_run(
    source: Session | Fleet, typed_id: str, *, confirm: Callable[[str], bool] | None, out: TextIO = sys.stdout
) -> int:
    """Stop a run named by its id or a unique prefix, on whichever backend knows it (refused if several
    do); with `confirm`, the user says yes to what it is first. The run is read first either way, and an
    ended one is never asked to stop. Exit 0 only when the server confirmed the stop."""
    fleet = as_fleet(source)
    key = await fleet.locate(typed_id)
    session, train_id = fleet.session(key.backend), key.train_id
    where = "" if fleet.single else f" on {key.backend}"
    if confirm is not None:
        try:
            run = await session.read(train_id)
        except ApiError as error:
            print(
                f"tf-tui stop: could not read run {printable(train_id)}, so it was not stopped: {error}",
                file=sys.stderr,
            )
            return ExitCode.FAILED
        # Nothing to ask about a run that is unknown or ended: the stop below says so without sending it.
        if (
            not run.missing
            and not run.ended
            and not confirm(f"Stop run {short_id(train_id)}{printable(where)} ({summary(run)})?")
        ):
            print("Not stopped.", file=out)
            return ExitCode.FAILED
    outcome = await session.stop(train_id)  # reads the run again: it may have ended while the user answered
    if outcome.stopped:
        print(printable(outcome.said) + printable(where), file=out)
        return ExitCode.OK
    # This command exits now: it cannot follow the run on, as the dashboard does after a failed stop.
    watch = f"`tf-tui watch {short_id(train_id)}`"
    after = (
        f" This backend can keep training after a failed stop: {watch} shows whether it does."
        if outcome.may_train_on
        else ""
    )
    backend = "" if fleet.single else f"{printable(key.backend)}: "
    print(f"tf-tui stop: {backend}{printable(outcome.said)}{after}", file=sys.stderr)
    return ExitCode.FAILED


def _status_record(backend: str, run: RunState, remembered: bool) -> dict[str, object]:
    return {**run_record(run, backend), "remembered": remembered}
