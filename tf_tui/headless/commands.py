"""The headless commands, `watch`, `status`, `start` and `stop`, each driving a Session."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tf_tui.client.stream import Phase
from tf_tui.format import progress_text, short_id, summary
from tf_tui.headless.output import WatchOutput
from tf_tui.session import Session
from tf_tui.store import Outcome, RunState
from tf_tui.text import printable

EXIT_COMPLETED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_STOPPED = 3
EXIT_UNKNOWN_RUN = 4
EXIT_TIMEOUT = 5
IDLE_WAKE_S = 1.0  # wake at least this often to report connection changes and check the timeout


# The most urgent news first: it decides the exit status of several runs. A run still going (`follow`
# gives up on those with EXIT_TIMEOUT before asking) is news that nothing ended well yet.
WATCH_EXIT_CODES = {
    Outcome.FAILED: EXIT_FAILED,
    Outcome.MISSING: EXIT_UNKNOWN_RUN,
    Outcome.GOING: EXIT_TIMEOUT,
    Outcome.STOPPED: EXIT_STOPPED,
    Outcome.COMPLETED: EXIT_COMPLETED,
}


def exit_code(runs: list[RunState]) -> int:
    """failed beats unknown beats stopped beats completed: the most urgent news decides the exit status."""
    outcomes = {run.outcome for run in runs}
    return next((code for outcome, code in WATCH_EXIT_CODES.items() if outcome in outcomes), EXIT_COMPLETED)


async def follow(session: Session, train_ids: list[str], output: WatchOutput, timeout: float | None) -> int:
    """Show every change of the given runs until all have ended; the exit status says how they ended."""
    changed = asyncio.Event()
    session.on_change = changed.set
    deadline = None if timeout is None else time.monotonic() + timeout
    await session.watch(train_ids)
    try:
        while True:
            output.connection(session.connection)
            for train_id in sorted(session.store.take_changed() & set(train_ids)):
                run = session.store.runs[train_id]
                if run.status is not None or run.missing:  # nothing heard yet is nothing to show
                    output.show(run)
            runs = [session.store.ensure(train_id) for train_id in train_ids]
            if all(run.ended or run.missing for run in runs):
                return exit_code(runs)
            if session.connection.phase is Phase.FAILED:
                print(f"tf-tui watch: {session.connection.describe()}", file=sys.stderr)
                return EXIT_USAGE
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                print(f"tf-tui watch: gave up after {timeout:g} s with runs still going", file=sys.stderr)
                return EXIT_TIMEOUT
            wait = IDLE_WAKE_S if remaining is None else min(IDLE_WAKE_S, remaining)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)
            changed.clear()
    finally:
        output.close()


async def show_status(session: Session, as_json: bool, out: TextIO = sys.stdout) -> int:
    """Every run the server lists and every remembered one, with status and progress."""
    listed = await session.refresh_listing()
    remembered = session.state.active(session.state_key)
    ids = list(dict.fromkeys([*listed, *remembered]))
    # Listings carry no progress; read the ones that may still be going.
    await session.resync([train_id for train_id in ids if not session.store.ensure(train_id).ended])
    runs = [session.store.ensure(train_id) for train_id in ids]
    if as_json:
        print(json.dumps([_status_record(run, run.train_id in remembered) for run in runs], indent=2), file=out)
        return 0
    if not runs:
        print(f"No runs on {session.url}.", file=out)
        return 0
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("ID", "MODEL", "STATUS", "PROGRESS", "CREATED", "NOTE"):
        table.add_column(column)
    for run in runs:
        note = "not found" if run.missing else ("active (remembered)" if run.train_id in remembered else "")
        cells = (
            short_id(run.train_id),
            printable(run.base_model or "", 20),
            printable(run.status or "unknown", 30),
            progress_text(run),
            printable((run.created_at or "")[:19].replace("T", " ")),
            note,
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: server text is never read as markup
    Console(file=out, highlight=False).print(table)
    return 0


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
    reply = await session.start(model, datasets, params=params, outcome=outcome)
    train_id = reply["train_id"]
    print(json.dumps(reply) if as_json else printable(train_id), file=out, flush=True)
    if follow_with is None:
        return 0
    return await follow_with(train_id)


async def stop_run(
    session: Session, typed_id: str, *, confirm: Callable[[str], bool] | None, out: TextIO = sys.stdout
) -> int:
    """Stop a run named by its id or a unique prefix; with `confirm`, the user says yes to what it is first."""
    [train_id] = await session.resolve([typed_id])
    if confirm is not None:
        await session.resync([train_id])
        run = session.store.ensure(train_id)
        if run.missing:
            print(f"tf-tui stop: the server does not know run {printable(typed_id)}", file=sys.stderr)
            return 1
        if run.ended:
            print(f"tf-tui stop: run {printable(train_id)} had already ended ({summary(run)})", file=sys.stderr)
            return 1
        if not confirm(f"Stop run {short_id(train_id)} ({summary(run)})?"):
            print("Not stopped.", file=out)
            return 1
    outcome = await session.stop(train_id)
    print(printable(outcome.message), file=out if outcome.stopped else sys.stderr)
    run = session.store.ensure(train_id)
    if run.status is not None and not outcome.stopped:
        print(f"{short_id(train_id)} {summary(run)}", file=sys.stderr)
    return 0 if outcome.stopped else 1


def _status_record(run: RunState, remembered: bool) -> dict[str, Any]:
    return {
        "train_id": run.train_id,
        "base_model": run.base_model,
        "status": run.status,
        "kind": run.kind.value,
        "progress": run.progress,
        "details": run.details,
        "created_at": run.created_at,
        "remembered": remembered,
        "missing": run.missing,
    }
