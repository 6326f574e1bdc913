"""`tf-tui export`: every run of every backend as rows (CSV, JSON or JSON Lines), or with `--metrics`
every run's metrics history in long format, one row a point and metric.

Rows are written as the runs are read, in the runs' order (newest first): at most `MAX_READS_IN_FLIGHT`
runs' histories are read at once and held until written, so a thousand runs of two thousand points each
are exported in the memory a dozen take. A run's best loss comes from its history, and its held-out
metrics from its stored evaluation, where the backend keeps them (the reference server's extensions);
elsewhere they are empty. On a terminal a progress bar on stderr counts the runs read.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from tf_tui.base.capabilities import Extension
from tf_tui.base.exit_codes import ExitCode
from tf_tui.base.protocol import finite_number, parse_server_time
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, NotFound, RouteMissing
from tf_tui.core.evaluation import evaluation_from_json
from tf_tui.core.fleet import Fleet, RunKey
from tf_tui.core.history import plottable
from tf_tui.core.session import Session
from tf_tui.core.status_reader import MAX_READS_IN_FLIGHT
from tf_tui.core.store import Outcome, RunState
from tf_tui.headless.history_rows import POINT_COLUMNS, best_loss, history_rows
from tf_tui.headless.listing import created_at, list_runs
from tf_tui.headless.rows import RowFormat, RowWriter

RUN_COLUMNS = (
    "train_id",
    "backend",
    "base_model",
    "dataset_ids",
    "params",
    "outcome_preference",
    "status",
    "outcome",
    "progress",
    "final_loss",
    "best_loss",
    "held_out_loss",
    "evaluation",
    "created_at",
    "started_at",
    "ended_at",
    "duration_s",
    "error",
)
NESTED_COLUMNS = ("dataset_ids", "params", "evaluation")  # a list or a mapping: a cell of JSON in CSV


@dataclass(frozen=True)
class ExportRequest:
    form: RowFormat
    metrics: bool  # the histories, a row a point and metric, instead of the runs
    since: float | None = None  # only the runs made at or after this time
    train_ids: Sequence[str] = ()  # these runs only (ids or unique prefixes); none: every run


@dataclass
class Reading:
    """What was read of one run besides its status: its history and its stored evaluation, when kept."""

    history: list[Any] | None = None  # the stored history's entries, as the backend wrote them
    evaluation: dict[str, float] | None = None
    problems: list[str] = field(default_factory=list)


async def export(fleet: Fleet, request: ExportRequest, out: TextIO = sys.stdout) -> int:
    """Write the runs (or their histories) to `out`; exit 1 when a backend or a run could not be read, 4 when
    a run asked for by its id is unknown (the others are written)."""
    unknown = False
    if request.train_ids:
        keys = await fleet.locate_all(list(request.train_ids))
        await asyncio.gather(*(fleet.session(name).resync(_ids_on(name, keys)) for name in fleet.names))
        for key in [key for key in keys if fleet.get(key).missing]:
            unknown = True
            print(f"tf-tui export: the server does not know run {printable(key.train_id)}", file=sys.stderr)
            keys.remove(key)
        unlisted: list[str] = []
    else:
        listed = await list_runs(fleet, "export", every_known=True)
        keys, unlisted = listed.keys, listed.unlisted
    if request.since is not None:
        keys = [key for key in keys if created_at(fleet.get(key)) >= request.since]
    if request.metrics:
        writer = RowWriter(out, request.form, POINT_COLUMNS)
    else:
        writer = RowWriter(out, request.form, RUN_COLUMNS, nested=NESTED_COLUMNS)
    readers = {name: RunReader(session) for name, session in fleet.sessions.items()}
    failed = bool(unlisted)

    async def read(key: RunKey) -> Reading:
        return await readers[key.backend].read(key.train_id, evaluation=not request.metrics)

    # Closed however the loop ends (a closed pipe raises in it): the reads still out are then cancelled.
    reads = contextlib.aclosing(in_order(keys, read, MAX_READS_IN_FLIGHT))
    with progress_bar(len(keys)) as advance:
        async with reads as readings:
            async for key, reading in readings:
                run = fleet.get(key)
                for problem in reading.problems:
                    failed = True
                    print(f"tf-tui export: {printable(key.backend)}: {problem}", file=sys.stderr)
                if request.metrics:
                    began = parse_server_time(run.started_at)
                    writer.write_encoded(
                        history_rows(request.form, run.train_id, key.backend, reading.history or [], began)
                    )
                else:
                    row = run_row(key, run, reading)
                    writer.write([row[column] for column in RUN_COLUMNS])
                advance()
    writer.close()
    return ExitCode.UNKNOWN_RUN if unknown else ExitCode.FAILED if failed else ExitCode.OK


def _ids_on(backend: str, keys: Iterable[RunKey]) -> list[str]:
    return [key.train_id for key in keys if key.backend == backend]


class RunReader:
    """One backend's history and evaluation reads. Until the backend has answered one read of a route, that
    route is asked one run at a time: a backend without it (the deployed one) is asked once, not a
    thousand times, and the session's capabilities then remember it."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._probes = {extension: asyncio.Lock() for extension in (Extension.METRICS, Extension.STORED_EVALUATION)}
        self._answered: set[Extension] = set()

    async def read(self, train_id: str, *, evaluation: bool) -> Reading:
        reading = Reading()
        history = await self._ask(Extension.METRICS, lambda: self._session.api.metrics(train_id), reading)
        if history is not None:
            entries = history.get("points")
            if isinstance(entries, list):
                reading.history = entries
            else:
                reading.problems.append(f"the metrics history of {train_id} holds no list of points")
        run = self._session.store.runs.get(train_id)
        if evaluation and run is not None and run.outcome is Outcome.COMPLETED:
            stored_evaluation = await self._ask(
                Extension.STORED_EVALUATION, lambda: self._session.api.evaluation(train_id), reading
            )
            kept = None if stored_evaluation is None else stored_evaluation.get("evaluation")
            if isinstance(kept, dict):
                reading.evaluation = evaluation_from_json(kept, train_id).numbers()
        return reading

    async def _ask(
        self, extension: Extension, ask: Callable[[], Awaitable[dict[str, Any]]], reading: Reading
    ) -> dict[str, Any] | None:
        if extension in self._answered:
            return await self._answer(extension, ask, reading)
        async with self._probes[extension]:
            return await self._answer(extension, ask, reading)

    async def _answer(
        self, extension: Extension, ask: Callable[[], Awaitable[dict[str, Any]]], reading: Reading
    ) -> dict[str, Any] | None:
        capabilities = self._session.capabilities
        if capabilities.missing(extension) is not None:
            return None
        try:
            body = await ask()
        except RouteMissing as error:
            capabilities.lacks(extension, error.reason)
            return None
        except NotFound:
            self._answered.add(extension)
            return None  # the run's status says the server does not know it
        except ApiError as error:
            reading.problems.append(f"could not read {extension.value}: {error}")
            return None
        self._answered.add(extension)
        return body


async def in_order(
    keys: Sequence[RunKey], read: Callable[[RunKey], Coroutine[Any, Any, Reading]], window: int
) -> AsyncGenerator[tuple[RunKey, Reading], None]:
    """Each run with what `read` made of it, in the runs' order, at most `window` reads out at once."""
    pending: deque[tuple[RunKey, asyncio.Task[Reading]]] = deque()
    try:
        for key in keys:
            pending.append((key, asyncio.create_task(read(key))))
            if len(pending) >= window:
                first, task = pending.popleft()
                yield first, await task
        while pending:
            first, task = pending.popleft()
            yield first, await task
    finally:  # the reader stopped early (a closed pipe): the reads still out are not wanted
        for _, task in pending:
            task.cancel()
        await asyncio.gather(*(task for _, task in pending), return_exceptions=True)


def run_row(key: RunKey, run: RunState, reading: Reading) -> dict[str, Any]:
    """A run as one row: what it was started with, how it ended, its losses and its durations."""
    facts = run.facts()
    result = run.result or {}
    return {
        "train_id": run.train_id,
        "backend": key.backend,
        "base_model": run.base_model,
        "dataset_ids": None if facts.dataset_ids is None else list(facts.dataset_ids),
        "params": facts.params,
        "outcome_preference": facts.outcome_preference,
        "status": run.status,
        "outcome": run.outcome.value,
        "progress": run.progress,
        "final_loss": _first_number(result.get("final_loss"), run.details.get("loss")),
        "best_loss": best_loss(reading.history or []),
        "held_out_loss": _first_number(result.get("held_out_loss"), run.details.get("eval_loss")),
        "evaluation": reading.evaluation,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "duration_s": _duration(run),
        "error": run.error,
    }


def _first_number(*values: object) -> float | None:
    """The first of the values that is a number (server text: anything else counts as absent)."""
    return next((number for value in values if (number := plottable(value)) is not None), None)


def _duration(run: RunState) -> float | None:
    """How long the run trained: as its result says, else from its dates once it ended."""
    said = finite_number((run.result or {}).get("duration_s"))
    if said is not None:
        return said
    began, ended = parse_server_time(run.started_at), parse_server_time(run.ended_at)
    return None if began is None or ended is None else round(ended - began, 3)


@contextlib.contextmanager
def progress_bar(total: int, err: TextIO | None = None) -> Iterator[Callable[[], None]]:
    """A bar on stderr counting the runs read, when stderr is a terminal and there is more than one run."""
    err = err or sys.stderr
    if total < 2 or not err.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("reading runs"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(file=err), transient=True) as bar:
        task = bar.add_task("runs", total=total)
        yield lambda: bar.advance(task)
