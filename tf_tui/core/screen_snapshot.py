"""ScreenSnapshot: the runs the dashboard last showed, kept beside the state file, so that the next start paints
them at once: before the HTTP and WebSocket libraries are imported and before any network call.

`state.screen.json` beside `state.json`: for each backend (keyed as the state file keys them), its newest
`ROWS` runs with what their rows show (status, progress, step, loss, eta, model, dates) and the facts of
their start (datasets, parameters, outcome). Written when the dashboard quits and, while it runs, at most
every `SAVE_EVERY_S` when those rows changed. The run memory (`state.runs.json`) is not the source: it keeps
none of a run's progress, and up to 2,000 runs per backend, which take some tens of milliseconds to read
(it is read once the first screen is up).

A restored run is shown dim and marked (`RunState.from_snapshot`) until a report of it comes from its backend
(a status read, a frame); one that the backend's listing no longer names goes (`unlisted`). An id typed for
a backend that never answered for it is never written; a restored run with no report yet is written again
as it was (a dashboard that quits while its backend is down keeps what it had).

It is a cache: a file that is missing, too big, not JSON or of another version is ignored (said once in the
log) and replaced by the next save. Its values are checked for their type like a server's, and its texts go
through the same `printable` as a server's when shown.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from tf_tui.base.bounded_read import MB, read_regular_file
from tf_tui.base.protocol import parse_server_time
from tf_tui.common.atomic_file import exclusive_lock, write_json_atomically
from tf_tui.core.identity import backend_key
from tf_tui.core.store import RunState

if TYPE_CHECKING:
    from tf_tui.core.fleet import Fleet

VERSION = 1
ROWS = 50  # per backend: more than a terminal shows at once
SAVE_EVERY_S = 30.0
MAX_FILE_BYTES = 1 * MB  # 50 rows of a few backends are some tens of kB
MAX_TEXT = 200  # an id, a status or a model name longer than this was not written by tf-tui
DETAILS = ("step", "total_steps", "loss", "eta_s")  # what a row shows of a run's details
DATES = ("created_at", "started_at", "ended_at")
FACTS = ("dataset_ids", "params", "outcome")  # what the detail pane shows of how the run was started
log = logging.getLogger(__name__)

Rows = list[dict[str, Any]]


def screen_snapshot_path(state_file: Path) -> Path:
    """The snapshot's file: beside the state file, named after it."""
    return state_file.with_name(f"{state_file.stem}.screen.json")


class ScreenSnapshot:
    """Restores the runs a previous dashboard showed into a fleet's stores, and saves the fleet's newest runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(f"{path.name}.lock")
        self._saved: dict[str, Rows] | None = None  # as last written or read: a save that changes nothing is skipped

    def restore(self, fleet: Fleet) -> int:
        """Put the remembered runs of each backend of the fleet in its store, unconfirmed; how many. Never
        raises: a snapshot that cannot be read restores nothing."""
        backends = self._read()
        restored = 0
        for session in fleet.sessions.values():
            for row in backends.get(backend_key(session.state_key), []):
                run = _run(row)
                if run is not None and session.store.restore(run):
                    restored += 1
        return restored

    def save(self, fleet: Fleet) -> None:
        """Write each backend's newest runs (`rows_of`), if they changed since the last save. Never raises: a
        snapshot that cannot be written is only a slower next start."""
        rows = {
            backend_key(session.state_key): rows_of(session.store.runs.values()) for session in fleet.sessions.values()
        }
        if rows == self._saved:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with exclusive_lock(self._lock_path):
                # Another dashboard's backends stay: each dashboard replaces only its own.
                backends = {**self._read(), **rows}
                write_json_atomically(self.path, {"version": VERSION, "backends": backends})
            self._saved = rows
        except OSError as error:
            log.warning("cannot write the screen snapshot %s (%s)", self.path, error.strerror or error)

    def _read(self) -> dict[str, Rows]:
        try:
            document = json.loads(read_regular_file(self.path, MAX_FILE_BYTES))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as error:  # ValueError: not JSON, or not UTF-8
            log.warning("the screen snapshot %s is not used (%s)", self.path, error)
            return {}
        backends = document.get("backends") if isinstance(document, dict) else None
        if not isinstance(backends, dict) or document.get("version") != VERSION:
            log.warning("the screen snapshot %s is not one this tf-tui writes: not used", self.path)
            return {}
        return {key: rows for key, rows in backends.items() if isinstance(rows, list)}


def rows_of(runs: Iterable[RunState]) -> Rows:
    """The newest `ROWS` runs that a backend confirmed, now or before the snapshot was taken (by the server's
    dates, else by when they became known), as saved."""
    confirmed = [run for run in runs if run.confirmed or run.from_snapshot]
    known_order = {id(run): index for index, run in enumerate(confirmed)}

    def newest_first(run: RunState) -> tuple[float, int]:
        return parse_server_time(run.created_at or run.started_at) or float("-inf"), known_order[id(run)]

    return [_row(run) for run in sorted(confirmed, key=newest_first, reverse=True)[:ROWS]]


def unlisted(fleet: Fleet, backend: str, listed: Iterable[str]) -> list[str]:
    """The runs of `backend` still shown only from the snapshot that its listing did not name: gone from it."""
    names = set(listed)
    store = fleet.sessions[backend].store
    return [train_id for train_id, run in store.runs.items() if run.from_snapshot and train_id not in names]


def _row(run: RunState) -> dict[str, Any]:
    row: dict[str, Any] = {
        "train_id": run.train_id,
        "status": run.status,
        "progress": run.progress,
        "base_model": run.base_model,
        "missing": run.missing,
        "seen_change_at": run.seen_change_at,
        "details": {key: run.details[key] for key in DETAILS if key in run.details},
        "facts": {key: run.extra[key] for key in FACTS if key in run.extra},
    }
    row.update({date: getattr(run, date) for date in DATES})
    return {key: value for key, value in row.items() if value is not None}


def _run(row: object) -> RunState | None:
    """A run from a saved row; None for a row that makes no sense (it is only left out)."""
    if not isinstance(row, dict) or not _is_text(row.get("train_id")):
        return None
    details = row.get("details")
    progress, seen = row.get("progress"), row.get("seen_change_at")
    run = RunState(
        row["train_id"],
        status=_text(row.get("status")),
        progress=progress if _is_int(progress) and 0 <= progress <= 100 else None,
        base_model=_text(row.get("base_model")),
        missing=row.get("missing") is True,
        seen_change_at=float(seen) if _is_number(seen) else None,
        details={
            key: value
            for key, value in (details.items() if isinstance(details, dict) else ())
            if key in DETAILS and _is_number(value)
        },
        extra=_facts(row.get("facts")),
        from_snapshot=True,
    )
    for date in DATES:
        setattr(run, date, _text(row.get(date)))
    return run


def _facts(saved: object) -> dict[str, Any]:
    """The facts of a saved row that have the shape a status body gives them."""
    facts = saved if isinstance(saved, dict) else {}
    datasets, params, outcome = (facts.get(key) for key in FACTS)
    checked = {
        "dataset_ids": datasets if isinstance(datasets, list) and all(_is_text(each) for each in datasets) else None,
        "params": params if isinstance(params, dict) else None,
        "outcome": _text(outcome),
    }
    return {key: value for key, value in checked.items() if value is not None}


def _is_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and _is_text(value) else None


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # not NaN
