"""Reading a small file of tf-tui's own (state, config, a token) that may have become something else.

A path can name a FIFO, a device or a symlink to one: a FIFO blocked `open()` for good, deaf to SIGTERM
and ctrl-c, and /dev/zero grew the process until the kernel killed it. So the file is opened without
blocking, and read only if the descriptor is a regular file and only up to a limit. A symlink to a
regular file is followed: dotfile managers link config files, and what is checked is the file opened.

Standard library only.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MB = 1024 * 1024
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class RefusedFile(OSError):
    """A file tf-tui does not read; `strerror` says why in words. An OSError, so that whoever already
    reports a file that cannot be read reports this one too."""


class NotARegularFile(RefusedFile):
    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(errno.EINVAL, f"it is {kind}, not a regular file", str(path))
        self.kind = kind


class FileTooBig(RefusedFile):
    def __init__(self, path: Path, size: int, limit: int) -> None:
        reason = f"it is {_megabytes(size)}, more than the {_megabytes(limit)} tf-tui reads"
        super().__init__(errno.EFBIG, reason, str(path))
        self.size = size
        self.limit = limit


def read_regular_file(path: Path, limit: int) -> bytes:
    """The file's bytes; `FileNotFoundError` and the other OSErrors as `open()` raises them, `NotARegularFile`
    for anything but a regular file, `FileTooBig` beyond `limit` bytes."""
    return read_regular_file_with_status(path, limit)[0]


def read_regular_file_with_status(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """`read_regular_file`, and the status of the very file read (even if `path` is replaced meanwhile)."""
    # O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; O_NOCTTY: a terminal
    # device opened here never becomes this process's controlling terminal.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise NotARegularFile(path, _kind(status.st_mode))
        if status.st_size > limit:
            raise FileTooBig(path, status.st_size, limit)
        content = _read_at_most(descriptor, limit + 1)  # the file may have grown since the fstat
        if len(content) > limit:
            raise FileTooBig(path, max(len(content), os.fstat(descriptor).st_size), limit)
        return content, status
    finally:
        os.close(descriptor)


def _read_at_most(descriptor: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = os.read(descriptor, min(left, MB))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    return next((kind for is_kind, kind in _KINDS if is_kind(mode)), "an unusual file")


def _megabytes(size: int) -> str:
    if size < MB // 10:
        return f"{size} bytes"
    return f"{size / MB:.1f}".removesuffix(".0") + " MB"


def is_newer_format(version: object, current: int) -> bool:
    """Whether a file's `version` says a newer tf-tui wrote it: such a file is left as it is, for that one."""
    return isinstance(version, int) and not isinstance(version, bool) and version > current
