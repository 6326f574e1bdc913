"""The local state file, tf-tui's localStorage: the active training ids per backend URL.

JSON, versioned, written atomically (a temp file renamed over the old one) with mode 0600. A run
stays in it until it ends or the server answers 404 for it; a network error never removes one. A
file that cannot be read or parsed is renamed aside (so nothing is lost) and reported, not fatal.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

VERSION = 1
log = logging.getLogger(__name__)


class StateFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None  # what went wrong reading it, in words, for the user
        self._backends: dict[str, list[str]] = self._load()

    def active(self, url: str) -> list[str]:
        return list(self._backends.get(_key(url), []))

    def add(self, url: str, train_id: str) -> None:
        self._modify(url, lambda ids: ids if train_id in ids else [*ids, train_id])

    def remove(self, url: str, train_id: str) -> None:
        self._modify(url, lambda ids: [ident for ident in ids if ident != train_id])

    def _modify(self, url: str, change: Callable[[list[str]], list[str]]) -> None:
        # Read again first: another tf-tui (a headless `start`, a second dashboard) may have written.
        if self.path.exists():
            self._backends = self._load()
        before = self._backends.get(_key(url), [])
        after = change(before)
        if after == before:
            return
        if after:
            self._backends[_key(url)] = after
        else:
            self._backends.pop(_key(url), None)
        self._save()

    def _load(self) -> dict[str, list[str]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            self.problem = f"cannot read the state file {self.path}: {error.strerror}"
            log.warning(self.problem)
            return {}
        try:
            return _parse(json.loads(text))
        except (ValueError, TypeError) as error:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                self.path.rename(aside)
                kept = f"it was moved to {aside}"
            except OSError as rename_error:
                kept = f"it could not be moved aside ({rename_error.strerror}) and was left as it is"
            self.problem = f"the state file {self.path} was unreadable ({error}); {kept}"
            log.warning(self.problem)
            return {}

    def _save(self) -> None:
        document = {"version": VERSION, "backends": {url: {"active": ids} for url, ids in self._backends.items()}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # mkstemp creates the file with mode 0600, and the rename keeps it.
            descriptor, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    json.dump(document, handle, indent=2)
                    handle.flush()
                    os.fsync(handle.fileno())
                Path(temporary).replace(self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            self.problem = f"cannot write the state file {self.path}: {error.strerror}"
            log.warning(self.problem)
        else:
            self.problem = None


def _parse(document: Any) -> dict[str, list[str]]:
    if not isinstance(document, dict) or not isinstance(document.get("backends"), dict):
        raise ValueError("not a tf-tui state document")
    if document.get("version") != VERSION:
        raise ValueError(f"unsupported version {document.get('version')!r}")
    backends: dict[str, list[str]] = {}
    for url, entry in document["backends"].items():
        ids = entry.get("active") if isinstance(entry, dict) else None
        if not isinstance(ids, list) or not all(isinstance(ident, str) for ident in ids):
            raise ValueError(f"bad entry for {url}")
        backends[_key(url)] = list(dict.fromkeys(ids))
    return backends


def _key(url: str) -> str:
    return url.rstrip("/")
