"""A small JSON file of entries per backend, beside the state file: the start dialog's last choices, the
view's choices (sort, grouping, the charts' smoothing and window).

Written like the state file (atomically, under a lock). Losing one costs only convenience: a problem
reading or writing it is logged, never raised, and never blocks what the user is doing. A file written by
a newer tf-tui (a higher format version) is left as it is: that tf-tui still reads it. So is one that is
not a regular file (a FIFO, a symlink to a device) or too big to be tf-tui's: it is never opened in a way
that blocks, never read past its bound, and never replaced.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tf_tui.base.bounded_read import MB, RefusedFile, is_newer_format, read_regular_file
from tf_tui.base.private_dir import make_private_dir
from tf_tui.common.atomic_file import exclusive_lock, write_json_atomically
from tf_tui.core.identity import backend_key, stored_key

VERSION = 1
MAX_FILE_BYTES = 1 * MB  # a few choices per backend
log = logging.getLogger(__name__)
_said_newer: set[Path] = set()  # files already said to be a newer tf-tui's: said once a process, not per read

Entry = dict[str, Any]


class PerBackendFile:
    """Entries filed by the backend's identity (`identity.backend_key`); `what` names them in messages."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what

    def entry(self, url: str) -> Entry:
        entry = (self._read() or {}).get(backend_key(url))
        return entry if isinstance(entry, dict) else {}

    def update(self, url: str, change: Callable[[Entry], Entry]) -> None:
        """Write `change` of the backend's entry as read under the lock, so no other process's write is lost."""
        key = backend_key(url)

        def changed(backends: dict[str, Any]) -> dict[str, Any]:
            entry = backends.get(key)
            return {key: change(entry if isinstance(entry, dict) else {})}

        self._update_all(changed)

    def move(self, old_url: str, new_url: str) -> None:
        """The backend now answers at `new_url` (the `--local` server started again on another port): its
        entry is the new URL's, unless the new URL has its own."""
        old, new = backend_key(old_url), backend_key(new_url)
        if old != new:
            self._update_all(lambda backends: {new: backends[old]} if old in backends and new not in backends else {})

    def _update_all(self, changed: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Write the entries `changed` gives for the backends read, under the lock; none given, nothing written."""
        try:
            make_private_dir(self.path.parent)
            with exclusive_lock(self.path.with_name(f"{self.path.name}.lock")):
                backends = self._read()
                if backends is None:
                    return
                entries = changed(backends)
                if entries:
                    write_json_atomically(self.path, {"version": VERSION, "backends": {**backends, **entries}})
        except OSError as error:
            log.warning("cannot write %s to %s: %s", self.what, self.path, error.strerror or error)

    def _read(self) -> dict[str, Any] | None:
        """The entries per backend; None for a file that must not be replaced: a newer tf-tui's, or one that
        is not a regular file or is too big to be this one's."""
        try:
            document = json.loads(read_regular_file(self.path, MAX_FILE_BYTES))
        except FileNotFoundError:
            return {}
        except RefusedFile as refused:
            log.warning("%s are not read from %s (%s): it is left as it is", self.what, self.path, refused.strerror)
            return None
        except (OSError, ValueError, RecursionError) as error:
            log.warning("cannot read %s from %s: %s", self.what, self.path, error)
            return {}
        version = document.get("version") if isinstance(document, dict) else None
        if is_newer_format(version, VERSION):
            if self.path not in _said_newer:
                _said_newer.add(self.path)
                log.warning(
                    "%s was written by a newer tf-tui (format %s, this one writes %s): %s are neither read from "
                    "it nor saved to it, and it is left as it is",
                    self.path,
                    version,
                    VERSION,
                    self.what,
                )
            return None
        if not isinstance(document, dict) or version != VERSION:
            return {}
        backends = document.get("backends")
        if not isinstance(backends, dict):
            return {}
        # An earlier version's `local:` key gives way to the URL's own entry when the file has both.
        names = {key: stored_key(key) for key in backends}
        renamed = {names[key]: entry for key, entry in backends.items() if names[key] != key}
        return {**renamed, **{key: entry for key, entry in backends.items() if names[key] == key}}
