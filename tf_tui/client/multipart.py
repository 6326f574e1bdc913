"""The files of an upload as httpx's multipart encoding reads them: counted as they are sent, and refused
if one changes size meanwhile.

httpx frames the body and reads each file a chunk at a time (64 KiB), so no file is held whole in memory;
it learns a file's length from `fileno()`, so the body has a `Content-Length` and a server can refuse a
too-big upload at once. What httpx lacks is added here: the bytes sent, told as they go, and a check that
what was sent is the file as it was measured before the upload began.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, BinaryIO, cast

Progress = Callable[[int, int], None]  # (bytes sent, bytes in all)
# A part as httpx's `files=` takes it: the field's name, then the file's name and the file.
FilePart = tuple[str, tuple[str, IO[bytes]]]


class UnreadableFile(Exception):
    """A file that could not be read (any more) while its upload was prepared or sent; said in words."""


class _SentBytes:
    """The bytes of all an upload's files sent so far, told to `on_progress` as they grow."""

    def __init__(self, on_progress: Progress) -> None:
        self._on_progress = on_progress
        self._sent = 0
        self._total = 0

    def start(self, total: int) -> None:
        self._total = total
        self._on_progress(0, total)

    def add(self, count: int) -> None:
        if count:
            self._sent += count
            self._on_progress(self._sent, self._total)


class _FileReader:
    """One open file as httpx reads it for a multipart part: `read` a chunk at a time, `fileno` for its length."""

    def __init__(self, path: Path, file: BinaryIO, sent: _SentBytes) -> None:
        self.path = path
        self._file = file
        self._sent = sent
        self.size = self._current_size()
        self._read = 0
        self._unsent = 0  # the last chunk handed to httpx, not yet counted as sent

    def fileno(self) -> int:
        return self._file.fileno()

    def read(self, size: int = -1) -> bytes:
        # httpx asks for the next chunk only once it has written the last one to the connection.
        self._sent.add(self._unsent)
        try:
            chunk = self._file.read(size)
        except OSError as error:
            raise UnreadableFile(_cannot_read(self.path, error)) from None
        self._read += len(chunk)
        # Raised before the bytes too many (or the closing boundary after too few) are sent, so the
        # server never takes a body that is not what its Content-Length announced.
        if self._read > self.size or (not chunk and self._read < self.size):
            raise UnreadableFile(
                f"{self.path} changed size while it was being sent: it had {self.size} bytes when the upload "
                f"began and has {self._current_size()} now"
            )
        self._unsent = len(chunk)
        return chunk

    def _current_size(self) -> int:
        try:
            return os.fstat(self._file.fileno()).st_size
        except OSError as error:
            raise UnreadableFile(_cannot_read(self.path, error)) from None


@contextmanager
def multipart_files(field: str, paths: Sequence[Path], on_progress: Progress) -> Iterator[list[FilePart]]:
    """The files, opened and measured, as httpx's `files=`: each a part named `field` with its file name
    (httpx guesses its content type from it); `on_progress` hears the bytes of them sent. Closed after."""
    sent = _SentBytes(on_progress)
    with ExitStack() as files:
        readers = [_FileReader(path, files.enter_context(_opened(path)), sent) for path in paths]
        sent.start(sum(reader.size for reader in readers))
        # httpx types a file as IO[bytes], yet calls only `read` and `fileno` on it.
        yield [(field, (form_text(reader.path.name), cast(IO[bytes], reader))) for reader in readers]


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    try:
        file = path.open("rb")
    except OSError as error:
        raise UnreadableFile(_cannot_read(path, error)) from None
    with file:
        yield file


def form_text(text: str) -> str:
    """A name from the file system or the command line as httpx can encode it: bytes that are not UTF-8
    (held as lone surrogates) become question marks."""
    return text.encode(errors="replace").decode()


def _cannot_read(path: Path, error: OSError) -> str:
    return f"cannot read {path}: {error.strerror or error}"
