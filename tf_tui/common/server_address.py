"""One server per data directory, and the address file by which a launcher finds it and knows it is ours.

A server holds `server.lock` in its data directory for its whole life: two servers on one database
would fail each other's runs at start-up. The kernel releases the lock when the process dies, even by
SIGKILL, so it can never be left held. Once it serves, the server writes `server.json` (its URL, pid and
a random instance id that `/health` repeats) and removes it on the way out; a launcher that finds the
file checks that the URL answers with that instance id, which a reused pid or port cannot fake.
"""

from __future__ import annotations

import json
import secrets
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from tf_tui.common.atomic_file import write_json_atomically

ADDRESS_FILE = "server.json"
SERVER_LOCK_FILE = "server.lock"


@dataclass(frozen=True)
class ServerAddress:
    url: str
    pid: int
    instance: str


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
    """Written whole or not at all: a reader never sees half a file. Only the server that holds the data
    directory's lock writes it, so no further lock is needed."""
    write_json_atomically(address_path(data_dir), asdict(address))


def remove_address(data_dir: Path, instance: str) -> None:
    """Remove the file if it still names `instance`: never a newer server's."""
    recorded = read_address(data_dir)
    if recorded is not None and recorded.instance == instance:
        with suppress(FileNotFoundError):
            address_path(data_dir).unlink()
