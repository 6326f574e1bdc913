"""RunMemory: what tf-tui knew of each run, kept beside the state file, for the backends that forget it.

The deployed backend forgets most of a run: its `/dashboard` names only its five newest runs (with their
model and creation time), its status endpoint carries neither model, datasets, parameters nor outcome
preference, and after a restart it knows no run's progress. What tf-tui learnt of a run (what it sent to
start it, what a listing or a status read said) is kept here, per backend, and given back to the run
store when the run is next met: a relaunch, `status` and `watch --json` show what was shown before.

JSON beside the state file (`state.runs.json` beside `state.json`), versioned, mode 0600, written as the
state file is: read-modify-write under an exclusive lock, atomically, so that several tf-tui processes
share it. Bounded: the newest `RUNS_PER_BACKEND` runs of each backend, the one remembered first dropped
first. The backends are keyed by their identity, as the state file keys them (`identity.backend_key`).

It is a memory, not the user's data: a file that does not parse is started anew, one written by a newer
tf-tui is left as it is (and nothing is written), and a write that fails keeps the facts in memory. Each
problem is said once, to `on_problem`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tf_tui.base.bounded_read import is_newer_format, read_regular_file
from tf_tui.common.atomic_file import exclusive_lock, write_json_atomically
from tf_tui.core.identity import backend_key
from tf_tui.core.store import RunFacts

VERSION = 1
RUNS_PER_BACKEND = 2_000
MAX_FILE_BYTES = 64 * 1024 * 1024  # far above what the bound lets it grow to: a bigger file is not tf-tui's
NOT_KEPT = "what tf-tui learns of runs now is not kept after it exits"
log = logging.getLogger(__name__)

# Each backend's runs, by id, the one remembered first first.
Remembered = dict[str, dict[str, RunFacts]]


class MemoryUnusable(Exception):
    """The file cannot be used as it is. `replace`: it does not parse, so a new one may be written over it."""

    def __init__(self, problem: str, *, replace: bool) -> None:
        super().__init__(problem)
        self.problem = problem
        self.replace = replace


def run_memory_path(state_file: Path) -> Path:
    """The memory's file: beside the state file, named after it."""
    return state_file.with_name(f"{state_file.stem}.runs.json")


class RunMemory:
    """One backend's part of the file: read once, when first asked (up to 2,000 runs of each backend, some tens
    of milliseconds that the dashboard's first screen does not wait for), and written (merged with what other
    processes wrote) when `remember` learns something new."""

    def __init__(self, path: Path, backend: str, on_problem: Callable[[str], None] = log.warning) -> None:
        """`on_problem` is told each new problem once, in words."""
        self.path = path
        self.backend = backend_key(backend)
        self.on_problem = on_problem
        self._lock_path = path.with_name(f"{path.name}.lock")
        self._problem: str | None = None
        self._read_runs: dict[str, RunFacts] | None = None  # None: not read yet

    @property
    def _runs(self) -> dict[str, RunFacts]:
        if self._read_runs is None:
            self._read_runs = {}
            try:
                self._read_runs = _read(self.path).get(self.backend, {})
            except MemoryUnusable as unusable:
                self._report(
                    f"{unusable.problem}; it is started anew when tf-tui next keeps a run"
                    if unusable.replace
                    else f"{unusable.problem}; {NOT_KEPT}"
                )
        return self._read_runs

    @_runs.setter
    def _runs(self, runs: dict[str, RunFacts]) -> None:
        self._read_runs = runs

    def recall(self, train_id: str) -> RunFacts | None:
        return self._runs.get(train_id)

    def known(self) -> list[str]:
        """The ids of the backend's runs it keeps facts of, the one remembered first first."""
        return list(self._runs)

    def remember(self, facts: Mapping[str, RunFacts]) -> None:
        """Keep what these facts add to what is known of their runs: one locked write, and none when they
        add nothing."""
        learnt = {
            train_id: merged
            for train_id, said in facts.items()
            if not said.empty
            and (merged := said.over(self._runs.get(train_id, RunFacts()))) != self._runs.get(train_id)
        }
        if not learnt:
            return
        self._runs = _bounded({**self._runs, **learnt})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with exclusive_lock(self._lock_path):
                try:
                    backends = _read(self.path)
                except MemoryUnusable as unusable:
                    if not unusable.replace:
                        raise
                    self._report(f"{unusable.problem}; it is started anew")
                    backends = {}
                on_disk = backends.get(self.backend, {})
                runs = _bounded(
                    {**on_disk, **{key: fact.over(on_disk.get(key, RunFacts())) for key, fact in learnt.items()}}
                )
                backends[self.backend] = runs
                write_json_atomically(self.path, _document(backends))
            self._runs = runs
        except MemoryUnusable as unusable:
            self._report(f"{unusable.problem}; {NOT_KEPT}")
        except OSError as error:
            self._report(f"cannot write the run memory {self.path} ({error.strerror or error}); {NOT_KEPT}")

    def _report(self, problem: str) -> None:
        if problem == self._problem:
            return
        self._problem = problem
        try:
            self.on_problem(problem)
        except Exception:  # whoever shows it must not cost the memory its work
            log.exception("reporting a run memory problem failed")


def move_run_memory(path: Path, old_url: str, new_url: str) -> None:
    """The backend now answers at `new_url` (the `--local` server started again on another port): what was
    known of its runs is the new URL's, unless the new URL has its own. A memory that cannot be read or
    written stays as it is (it is a memory: the runs are learnt again)."""
    old, new = backend_key(old_url), backend_key(new_url)
    if old == new:
        return
    try:
        with exclusive_lock(path.with_name(f"{path.name}.lock")):
            backends = _read(path)
            if old in backends and new not in backends:
                backends[new] = backends.pop(old)
                write_json_atomically(path, _document(backends))
    except (MemoryUnusable, OSError) as error:
        log.warning("the run memory %s was not moved to %s: %s", path, new_url, error)


def _bounded(runs: dict[str, RunFacts]) -> dict[str, RunFacts]:
    """The newest `RUNS_PER_BACKEND` runs: those remembered first go first."""
    return dict(list(runs.items())[-RUNS_PER_BACKEND:])


def _read(path: Path) -> Remembered:
    try:
        # Bounded, and never blocking on a FIFO: a file that is not a regular one is left as it is.
        raw = read_regular_file(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise MemoryUnusable(
            f"cannot read the run memory {path} ({error.strerror or error}); it is left as it is", replace=False
        ) from error
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as error:  # ValueError covers invalid UTF-8 too
        raise MemoryUnusable(f"the run memory {path} is not JSON ({error})", replace=True) from error
    version = document.get("version") if isinstance(document, dict) else None
    if is_newer_format(version, VERSION):
        raise MemoryUnusable(
            f"the run memory {path} was written by a newer tf-tui (format {version}, this one reads {VERSION}); "
            "it is left as it is",
            replace=False,
        )
    if version != VERSION or not isinstance(document.get("backends"), dict):
        raise MemoryUnusable(f"the run memory {path} is not a tf-tui run memory", replace=True)
    return {
        backend_key(backend): {
            train_id: facts
            for train_id, entry in runs.items()
            if (facts := _facts(entry)) is not None  # an entry that makes no sense is only forgotten
        }
        for backend, runs in document["backends"].items()
        if isinstance(runs, dict)
    }


def _facts(entry: object) -> RunFacts | None:
    if not isinstance(entry, dict):
        return None
    datasets, params = entry.get("dataset_ids"), entry.get("params")
    return RunFacts(
        base_model=_text(entry.get("base_model")),
        dataset_ids=tuple(datasets)
        if isinstance(datasets, list) and all(isinstance(d, str) for d in datasets)
        else None,
        params=params if isinstance(params, dict) else None,
        outcome_preference=_text(entry.get("outcome_preference")),
        created_at=_text(entry.get("created_at")),
        started_at=_text(entry.get("started_at")),
        ended_at=_text(entry.get("ended_at")),
    )


def _document(backends: Remembered) -> dict[str, Any]:
    return {
        "version": VERSION,
        "backends": {
            backend: {train_id: _entry(facts) for train_id, facts in runs.items()} for backend, runs in backends.items()
        },
    }


def _entry(facts: RunFacts) -> dict[str, Any]:
    return {key: value for key, value in asdict(facts).items() if value is not None}  # a tuple is written as a list


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
