"""One server per data directory, and the address file by which a launcher finds it and knows it is ours.

A server holds `server.lock` in its data directory for its whole life: two servers on one database
would fail each other's runs at start-up. The kernel releases the lock when the process dies, even by
SIGKILL, so it can never be left held. Once it serves, the server writes `server.json` (its URL, pid and
a random instance id that `/health` repeats) and removes it on the way out; a launcher that finds the
file checks that the URL answers with that instance id, which a reused pid or port cannot fake.

Standard library only: the launcher imports this without the server's dependencies.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

ADDRESS_FILE = "server.json"
SERVER_LOCK_FILE = "server.lock"
LOCK_POLL_S = 0.05


@dataclass(frozen=True)
class ServerAddress:
    url: str
    pid: int
    instance: str


class LockTimeout(TimeoutError):
    pass


def new_instance_id() -> str:
    return secrets.token_hex(16)


def address_path(data_dir: Path) -> Path:
    return data_dir / ADDRESS_FILE


def read_address(data_dir: Path) -> ServerAddress | None:
    """The recorded address; None when there is none or it is not one (a torn or foreign file)."""
    try:
        document = json.loads(address_path(data_dir).read_text(encoding="utf-8"))
        address = ServerAddress(url=document["url"], pid=document["pid"], instance=document["instance"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    valid = isinstance(address.url, str) and isinstance(address.pid, int) and isinstance(address.instance, str)
    return address if valid else None


def write_address(data_dir: Path, address: ServerAddress) -> None:
    """Written whole or not at all: a reader never sees half a file."""
    path = address_path(data_dir)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(asdict(address)), encoding="utf-8")
    partial.replace(path)


def remove_address(data_dir: Path, instance: str) -> None:
    """Remove the file if it still names `instance`: never a newer server's."""
    recorded = read_address(data_dir)
    if recorded is not None and recorded.instance == instance:
        with suppress(FileNotFoundError):
            address_path(data_dir).unlink()


@contextmanager
def exclusive_lock(path: Path, wait: float | None = None) -> Iterator[None]:
    """flock on `path`, held until the block ends (or the process dies). `wait=None` waits as long as it
    takes; else LockTimeout after `wait` seconds. The file stays: removing it would let a process that had
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
