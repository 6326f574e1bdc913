"""The local state file, tf-tui's localStorage: the active training ids per backend, filed by its
identity (`identity.backend_key`: the normalised URL; an earlier version's `local:<data dir>` key is
merged on read into the URL of the server recorded there, and written so with the next change).

JSON, versioned, mode 0600. A run stays in it until it ends or the server answers 404 for it; a
network error never removes one. Several tf-tui processes share it (a dashboard, a cron job's
`start`, a `watch`), so every change is a read-modify-write under an exclusive lock, and every write
is atomic (a temporary file, fsynced, renamed over the old one): a reader never sees a torn file and
a writer never drops another's change.

Nothing the user had is destroyed:
- a file that does not parse (truncated, garbage) is renamed aside, under the lock, before a new one
  is written;
- a file written by a newer tf-tui, or one that cannot be read, is left as it is: this process does
  not write it. So is one that is not a regular file (a FIFO, a symlink to a device) or is bigger than
  `MAX_FILE_BYTES`: it is never opened in a way that blocks, and never read past that size;
- a change that cannot be written (no space left, no permission) is kept in memory, shown by
  `active()`, written with the next change that succeeds, and reported.
Each problem is reported once, in words, to `on_problem`.

A run is recorded only once its backend confirmed it (see `Session`): an id typed for a backend that
could not be reached is never written, so no later dashboard shows a row for it.

A backend keeps at most `MAX_RUNS_PER_BACKEND` runs. The file holds no times and no ended runs (a run
leaves it when it is seen to end), only the order runs were added in; so beyond the bound the runs its
owner knows to have ended go first, then the earliest added, which are the likeliest to be over. A run
forgotten so is still found by the dashboard's listing of the server's active runs.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tf_tui.base.bounded_read import MB, RefusedFile, is_newer_format, read_regular_file_with_status
from tf_tui.base.private_dir import make_private_dir
from tf_tui.common.atomic_file import exclusive_lock, write_json_atomically
from tf_tui.core.identity import backend_key, stored_key

VERSION = 1
# A thousand runs of each of a few backends is some 40 kB: a file this big was not written by tf-tui.
MAX_FILE_BYTES = 16 * MB
MAX_RUNS_PER_BACKEND = 1000
NOT_REMEMBERED = "runs started or watched now are not remembered after this tf-tui exits"
log = logging.getLogger(__name__)

# Inode, size and modification time: one stat tells whether the file was replaced or written.
Signature = tuple[int, int, int]


class StateFileUnusable(Exception):
    """The file cannot be used as it is. `set_aside`: it does not parse, so it may be renamed aside."""

    def __init__(self, problem: str, *, set_aside: bool) -> None:
        super().__init__(problem)
        self.problem = problem
        self.set_aside = set_aside


class StateFile:
    """Owns the file on disk and the changes not yet written to it: the active runs per backend."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None  # the last problem, in words, until a write succeeds
        self.on_problem: Callable[[str], None] = log.warning  # told each new problem once
        # Whether its owner knows a run to have ended: such runs are forgotten first beyond the bound.
        self.ended: Callable[[str], bool] = lambda train_id: False
        self._lock_path = path.with_name(f"{path.name}.lock")
        self._on_disk: dict[str, list[str]] = {}
        self._signature: Signature | None = None  # of the file as last read or written
        self._unsaved: dict[tuple[str, str], bool] = {}  # (backend, train id) -> active, not yet written
        self.reload()

    def active(self, url: str) -> list[str]:
        return self._bounded(_with_changes(self._on_disk, self._unsaved))[0].get(backend_key(url), [])

    def backends(self) -> list[str]:
        """The backends (by identity) that have runs in the file or waiting to be written to it."""
        return list(dict.fromkeys([*self._on_disk, *(backend for backend, _ in self._unsaved)]))

    def remembers(self, url: str, train_id: str) -> bool:
        """Whether the run is among the backend's active ones, as `active` says, without building the list."""
        key = backend_key(url)
        unsaved = self._unsaved.get((key, train_id))
        return unsaved if unsaved is not None else train_id in self._on_disk.get(key, ())

    def add(self, url: str, train_id: str) -> None:
        self.update(url, {train_id: True})

    def add_many(self, url: str, train_ids: Iterable[str]) -> None:
        """Add several runs in one read-modify-write: one lock, one fsynced write, however many runs."""
        self.update(url, dict.fromkeys(train_ids, True))

    def remove(self, url: str, train_id: str) -> None:
        self.update(url, {train_id: False})

    def remove_many(self, url: str, train_ids: Iterable[str]) -> None:
        """Remove several runs in one read-modify-write: each write rewrites the whole file."""
        self.update(url, dict.fromkeys(train_ids, False))

    def update(self, url: str, changes: dict[str, bool]) -> None:
        """Add (True) and remove (False) runs of one backend in one read-modify-write."""
        key = backend_key(url)
        self._change({(key, train_id): active for train_id, active in changes.items()})

    def move(self, old_url: str, new_url: str) -> None:
        """The backend now answers at `new_url` (the `--local` server started again on another port): its
        runs are the new URL's, after those the new URL had, in one write."""
        old, new = backend_key(old_url), backend_key(new_url)
        if old == new:
            return
        self.reload()  # the runs another process recorded under the old URL move too
        moved = self.active(old)
        if not moved:
            return
        self._change(
            {**{(old, train_id): False for train_id in moved}, **{(new, train_id): True for train_id in moved}}
        )

    def changed_on_disk(self) -> bool:
        """Whether another process wrote, replaced or removed the file since it was last read: one stat."""
        return _signature(self.path) != self._signature

    def reload(self) -> None:
        """Read the file again. Only reads: a file that does not parse is set aside by the next write."""
        try:
            self._on_disk = self._read()
            if not self._unsaved:
                self.problem = None
        except StateFileUnusable as unusable:
            self._on_disk = {}
            then = "it will be moved aside when tf-tui next records a run" if unusable.set_aside else NOT_REMEMBERED
            self._report(f"{unusable.problem}; {then}")

    def _change(self, changes: dict[tuple[str, str], bool]) -> None:
        self._unsaved.update(changes)
        try:
            make_private_dir(self.path.parent)
            with exclusive_lock(self._lock_path):
                self._on_disk = self._read_for_update()
                wanted, forgotten = self._bounded(_with_changes(self._on_disk, self._unsaved))
                self._say_forgotten(forgotten)
                if wanted != self._on_disk:
                    self._write(wanted)
                    self._on_disk = wanted
        except StateFileUnusable as unusable:
            self._report(f"{unusable.problem}; {NOT_REMEMBERED}")
        except OSError as error:
            self._report(f"cannot write the state file {self.path} ({error.strerror or error}); {NOT_REMEMBERED}")
        else:
            if self.problem is not None:
                log.info("the state file %s is written again", self.path)
            self._unsaved.clear()
            self.problem = None

    def _read(self) -> dict[str, list[str]]:
        try:
            raw, status = read_regular_file_with_status(self.path, MAX_FILE_BYTES)
        except FileNotFoundError:
            self._signature = None
            return {}
        except RefusedFile as refused:
            self._signature = _signature(self.path)
            raise StateFileUnusable(
                f"cannot read the state file {self.path} ({refused.strerror}); it is left as it is: move it away "
                "and tf-tui starts a new one",
                set_aside=False,
            ) from refused
        except OSError as error:
            self._signature = _signature(self.path)
            raise StateFileUnusable(
                f"cannot read the state file {self.path} ({error.strerror or error}); it is left as it is",
                set_aside=False,
            ) from error
        # The signature of the very file read, even if it is replaced meanwhile.
        self._signature = _signature_of(status)
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError) as error:  # ValueError covers invalid UTF-8 too
            raise StateFileUnusable(f"the state file {self.path} is not JSON ({error})", set_aside=True) from error
        version = document.get("version") if isinstance(document, dict) else None
        if is_newer_format(version, VERSION):
            raise StateFileUnusable(
                f"the state file {self.path} was written by a newer tf-tui (format {version}, this one reads "
                f"{VERSION}); it is left as it is",
                set_aside=False,
            )
        try:
            backends = _parse(document)
        except ValueError as error:
            raise StateFileUnusable(f"the state file {self.path} is not valid ({error})", set_aside=True) from error
        bounded, forgotten = self._bounded(backends)  # a file an older tf-tui, or a person, let grow
        self._say_forgotten(forgotten)
        return bounded

    def _read_for_update(self) -> dict[str, list[str]]:
        """Read under the lock; a file that does not parse is renamed aside so that it can be replaced."""
        try:
            return self._read()
        except StateFileUnusable as unusable:
            if not unusable.set_aside:
                raise
            aside = _aside_path(self.path)
            try:
                self.path.rename(aside)
            except OSError as error:
                raise StateFileUnusable(
                    f"{unusable.problem} and could not be moved aside ({error.strerror}); it is left as it is",
                    set_aside=False,
                ) from error
            self._report(f"{unusable.problem}; it was moved to {aside} and a new one started")
            self._signature = None
            return {}

    def _write(self, backends: dict[str, list[str]]) -> None:
        document = {"version": VERSION, "backends": {url: {"active": ids} for url, ids in backends.items()}}
        write_json_atomically(self.path, document)
        self._signature = _signature(self.path)

    def _bounded(self, backends: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """At most `MAX_RUNS_PER_BACKEND` runs of each backend, and those forgotten to keep to it."""
        kept: dict[str, list[str]] = {}
        forgotten: dict[str, list[str]] = {}
        for url, ids in backends.items():
            kept[url], dropped = _at_most(ids, MAX_RUNS_PER_BACKEND, self.ended)
            if dropped:
                forgotten[url] = dropped
        return kept, forgotten

    def _say_forgotten(self, forgotten: dict[str, list[str]]) -> None:
        for url, dropped in forgotten.items():
            log.warning(
                "the state file %s keeps at most %d runs per backend: %d of %s are forgotten, those known to have "
                "ended first, then the earliest added (%s)",
                self.path,
                MAX_RUNS_PER_BACKEND,
                len(dropped),
                url,
                ", ".join(dropped[:3]) + (", …" if len(dropped) > 3 else ""),
            )

    def _report(self, problem: str) -> None:
        if problem == self.problem:
            return  # said once: the same failure on every write is one problem
        self.problem = problem
        try:
            self.on_problem(problem)
        except Exception:  # whoever shows it must not cost the state file its work
            log.exception("reporting a state file problem failed")


def _with_changes(backends: dict[str, list[str]], changes: dict[tuple[str, str], bool]) -> dict[str, list[str]]:
    # Dicts, not lists: a list's `in` and `remove` made each change cost as much as the whole backend's runs.
    merged = {url: dict.fromkeys(ids) for url, ids in backends.items()}
    for (url, train_id), active in changes.items():
        ids = merged.setdefault(url, {})
        if active:
            ids.setdefault(train_id)  # one already there keeps its place
        else:
            ids.pop(train_id, None)
    return {url: list(ids) for url, ids in merged.items() if ids}


def _at_most(ids: list[str], limit: int, ended: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """`ids` cut to `limit`, and those cut: the ended ones first, then the earliest (the list is in order added)."""
    excess = len(ids) - limit
    if excess <= 0:
        return ids, []
    dropped = dict.fromkeys([train_id for train_id in ids if ended(train_id)][:excess])
    dropped.update(dict.fromkeys([train_id for train_id in ids if train_id not in dropped][: excess - len(dropped)]))
    return [train_id for train_id in ids if train_id not in dropped], list(dropped)


def _parse(document: Any) -> dict[str, list[str]]:
    if not isinstance(document, dict) or not isinstance(document.get("backends"), dict):
        raise ValueError("not a tf-tui state document")
    if document.get("version") != VERSION:
        raise ValueError(f"unsupported version {document.get('version')!r}")
    # Several keys may name one backend (an earlier version's `local:` key and the URL): merged, in file order.
    backends: dict[str, dict[str, None]] = {}
    for url, entry in document["backends"].items():
        ids = entry.get("active") if isinstance(entry, dict) else None
        if not isinstance(ids, list) or not all(isinstance(ident, str) for ident in ids):
            raise ValueError(f"bad entry for {url}")
        if ids:
            backends.setdefault(stored_key(url), {}).update(dict.fromkeys(ids))
    return {key: list(ids) for key, ids in backends.items()}


def _aside_path(path: Path) -> Path:
    """A name next to the file that is free (renaming onto a taken one would destroy what is there)."""
    base = f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}"
    aside, number = path.with_name(base), 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{base}-{number}")
    return aside


def _signature(path: Path) -> Signature | None:
    try:
        return _signature_of(path.stat())
    except OSError:
        return None


def _signature_of(status: os.stat_result) -> Signature:
    return (status.st_ino, status.st_size, status.st_mtime_ns)
