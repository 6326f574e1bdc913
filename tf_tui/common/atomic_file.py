"""Files that several tf-tui processes share: an exclusive lock, and writes a reader never sees torn."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """flock on a sidecar file, released when the descriptor closes, which the kernel also does for a
    process that dies (even by SIGKILL): a lock is never left held, so it needs no timeout (a waiter
    polling with one starved for seconds behind seven busy writers; the kernel's blocking wait did not).
    The file itself stays: removing it would let a writer that had just opened it lock an inode no one
    else can see."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def write_json_atomically(path: Path, document: object) -> None:
    """A temporary file, fsynced, renamed over `path`, mode 0600. Call it holding the file's lock."""
    # A writer killed between creating its temporary file and renaming it left that file behind;
    # every writer holds the lock while its own exists, so whatever is there now is such a leftover.
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        leftover.unlink(missing_ok=True)
    # mkstemp creates the file with mode 0600, and the rename keeps it.
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
