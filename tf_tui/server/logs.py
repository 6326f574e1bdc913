"""A run's log as the reference server serves it: `GET /train/logs/{id}?offset=N`, an extension of the contract.

The trainer's output goes to `logs/ID.log` in the data dir as it trains. A reply is the log's bytes from
`offset`, at most LOG_CHUNK_BYTES of them, cut anywhere (inside a UTF-8 character too: the client decodes
across replies), and says in its headers where to ask next, how long the log is so far, and whether it
is complete: the run has ended and the reply reached the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tf_tui.server.db import Run
from tf_tui.server.paths import file_in
from tf_tui.server.wire import TERMINAL_STATUSES

LOG_CHUNK_BYTES = 64 * 1024  # per reply: a long log is read in many small replies, never held whole
NEXT_OFFSET = "X-Next-Offset"
LOG_SIZE = "X-Log-Size"
LOG_COMPLETE = "X-Log-Complete"


@dataclass(frozen=True)
class LogPart:
    data: bytes
    next_offset: int
    size: int  # the log's length when it was read
    complete: bool

    def headers(self) -> dict[str, str]:
        return {
            NEXT_OFFSET: str(self.next_offset),
            LOG_SIZE: str(self.size),
            LOG_COMPLETE: "true" if self.complete else "false",
        }


def read_log(directory: Path, run: Run, offset: int) -> LogPart:
    """The run's log from byte `offset`; an offset past the end reads nothing, and is no error. Raises
    `UnsafePath` when the log file leads outside `directory` (a symlink put there)."""
    # Read before the file: once a run has ended its trainer has exited, so the file read after is whole.
    ended = run.status in TERMINAL_STATUSES
    path = file_in(directory, run.id, ".log")
    try:
        # O_NOFOLLOW: a symlink swapped in after file_in's check is refused, not followed.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:  # queued, or stopped before it started: nothing written yet
        return LogPart(b"", offset, 0, ended)
    with os.fdopen(descriptor, "rb") as log:
        size = os.fstat(log.fileno()).st_size
        data = b""
        if offset < size:  # a seek far past the end is an error on some file systems
            log.seek(offset)
            data = log.read(LOG_CHUNK_BYTES)
    next_offset = offset + len(data)
    return LogPart(data, next_offset, size, ended and next_offset >= size)
