"""How `watch` shows runs: a rich progress bar per run on a terminal, else plain lines or JSON lines."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from typing import Any, Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.text import Text

from tf_tui.base.text import printable
from tf_tui.client.stream import ConnectionState, Phase
from tf_tui.core.alerts.rules import Alert
from tf_tui.core.alerts.watch import alert_line
from tf_tui.core.format import (
    eta_text,
    loss_text,
    message_text,
    progress_text,
    run_record,
    short_id,
    step_text,
    summary,
)
from tf_tui.core.store import Outcome, RunState


class WatchOutput(Protocol):
    """`backend` names the run's or the connection's backend when several are followed, else it is None."""

    def show(self, run: RunState, backend: str | None = None) -> None: ...
    def alert(self, alert: Alert, backend: str | None = None) -> None: ...
    def connection(self, state: ConnectionState, backend: str | None = None) -> None: ...
    def close(self) -> None: ...


def choose_output(as_json: bool, stream: TextIO | None = None) -> WatchOutput:
    stream = stream or sys.stdout
    if as_json:
        return JsonLines(stream)
    if stream.isatty():
        return ProgressBars(Console(file=stream))
    return PlainLines(stream)


class ConnectionReport:
    """Connection trouble goes to stderr, once per change of each backend, never as an exit; "live" only
    after trouble."""

    def __init__(self) -> None:
        self._last: dict[str | None, Phase] = {}
        self._troubled: set[str | None] = set()

    def connection(self, state: ConnectionState, backend: str | None = None) -> None:
        previous, self._last[backend] = self._last.get(backend), state.phase
        if state.phase is previous:
            return
        if state.phase in (Phase.RETRYING, Phase.FAILED):
            self._troubled.add(backend)
        elif state.phase is Phase.LIVE and backend in self._troubled:
            self._troubled.discard(backend)
        else:
            return
        where = "" if backend is None else f"{printable(backend)} "
        print(f"tf-tui: {where}websocket {state.explain()}", file=sys.stderr, flush=True)


class _LineOutput(ConnectionReport):
    """One line per change on a stream. The lines of one turn of the event loop go out together, flushed at
    its next turn: `watch` shows every run that changed in a turn (all 200 under a flood), and a flush per
    line was a write per line, and as many wake-ups of whatever reads them. A reader that left (`| head -1`)
    is found by that flush; its error is raised by the next call (`follow` makes one each turn), as a write
    of that call's own would have raised it."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._out = stream
        self._flush_due = False
        self._failed: OSError | None = None

    def connection(self, state: ConnectionState, backend: str | None = None) -> None:
        self._raise_failure()
        super().connection(state, backend)

    def close(self) -> None:
        self._raise_failure()
        self._out.flush()

    def _write(self, line: str) -> None:
        self._raise_failure()
        self._out.write(line + "\n")
        if self._flush_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside a loop: no later turn will flush it
            self._out.flush()
            return
        self._flush_due = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        try:
            self._out.flush()
        except OSError as error:  # raised here, it would reach the event loop's handler, not the command
            self._failed = error

    def _raise_failure(self) -> None:
        if self._failed is not None:
            raise self._failed


class JsonLines(_LineOutput):
    def show(self, run: RunState, backend: str | None = None) -> None:
        # json.dumps escapes every control character, so server text cannot reach the terminal raw.
        self._write(json.dumps(run_record(run, backend)))

    def alert(self, alert: Alert, backend: str | None = None) -> None:
        """`{"event": "alert", "rule": "divergence", ...}`: told from a run's record by its `event`."""
        record = ({} if backend is None else {"backend": backend}) | alert.record()
        self._write(json.dumps(record))


class PlainLines(_LineOutput):
    def show(self, run: RunState, backend: str | None = None) -> None:
        when = _clock(run.updated_at or 0)
        state = "not found on the server" if run.missing else summary(run)
        source = f" [{run.last_source.value}]" if run.last_source else ""
        self._write(f"{when} {_label(run, backend)} {state}{source}")

    def alert(self, alert: Alert, backend: str | None = None) -> None:
        self._write(f"{_clock(alert.at)} {_alert_text(alert, backend)}")


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%H:%M:%S")


def _alert_text(alert: Alert, backend: str | None) -> str:
    """`ALERT alert on 3f2a9c1e, divergence: the loss (9.1) has stayed ...`, after the backend's name when several
    are followed. Server text never reaches it raw: the numbers are the rules' and the id is printable."""
    where = "" if backend is None else f"{printable(backend, 20)} "
    return f"{where}ALERT {printable(alert_line(alert))}"


def _label(run: RunState, backend: str | None) -> str:
    """A run as a line names it: its short id, after its backend's name when several are followed."""
    return short_id(run.train_id) if backend is None else f"{printable(backend, 20)} {short_id(run.train_id)}"


def bar_info(run: RunState) -> str:
    """Beside a run's bar, what its dashboard row shows: step, loss and ETA; else its latest message."""
    if run.missing:
        return "not found on the server"
    figures = " ".join(part for part in (step_text(run), loss_text(run), eta_text(run)) if part)
    return figures or message_text(run, 60)


class ProgressBars(ConnectionReport):
    def __init__(self, console: Console) -> None:
        super().__init__()
        self._console = console
        self._progress = Progress(
            # markup=False everywhere: ids, statuses and messages come from the server.
            TextColumn("{task.fields[label]}", markup=False),
            BarColumn(),
            TextColumn("{task.fields[percent]}", markup=False),
            TextColumn("{task.fields[info]}", markup=False),
            console=console,
            auto_refresh=True,
            refresh_per_second=4,
        )
        self._tasks: dict[tuple[str | None, str], TaskID] = {}
        self._progress.start()

    def show(self, run: RunState, backend: str | None = None) -> None:
        label = f"{_label(run, backend)} {printable(run.status or 'waiting', 24):<14}"
        info = bar_info(run)
        # Rich keeps a task's own fields untyped (`**fields: Any`), beside its typed keywords.
        fields: dict[str, Any] = {"label": label, "percent": f"{progress_text(run):>4}", "info": info}
        task = (backend, run.train_id)
        if task not in self._tasks:
            self._tasks[task] = self._progress.add_task("", total=100, **fields)
        self._progress.update(self._tasks[task], completed=run.progress or 0, **fields)
        if run.outcome is not Outcome.GOING:
            self._progress.console.print(Text(f"{_label(run, backend)} {summary(run)}"))

    def alert(self, alert: Alert, backend: str | None = None) -> None:
        self._progress.console.print(Text(_alert_text(alert, backend), style="bold"))

    def close(self) -> None:
        self._progress.stop()
