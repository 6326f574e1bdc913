"""Files that several processes share: an exclusive lock, and writes a reader never sees torn.

The one implementation for the state file, the start choices and the local server's address file.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_POLL_S = 0.05


class LockTimeout(TimeoutError):
    pass


@contextmanager
def exclusive_lock(path: Path, wait: float | None = None) -> Iterator[None]:
    """flock on a sidecar file, held until the block ends. `wait=None` waits as long as it takes (the
    kernel's blocking wait: a waiter polling with a timeout starved for seconds behind seven busy writers);
    else LockTimeout after `wait` seconds. The kernel releases the lock of a process that dies, even by
    SIGKILL, so a lock is never left held. The file itself stays: removing it would let a process that had
    just opened it lock an inode no one else can see."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        _acquire(descriptor, wait)
        try:
            yield
        finally:
            # Unlocked, not only closed: a process another thread forked meanwhile shares the descriptor
            # until it execs or exits, and would hold the lock on until then.
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _acquire(descriptor: int, wait: float | None) -> None:
    if wait is None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(f"still held after {wait:.0f} s") from None
            time.sleep(LOCK_POLL_S)


def write_json_atomically(path: Path, document: object) -> None:
    """A temporary file, fsynced, renamed over `path`, mode 0600, and the rename made durable. Call it
    holding the file's lock."""
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
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """The rename is in the directory's entry: without this, a power cut can bring back the old file."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
