"""An upload's request body: multipart/form-data read from the files while it is sent, bytes counted.

The body is never held whole in memory (a file is read a chunk at a time as the connection takes it),
its length is known up front (a `Content-Length`, so a server can refuse a too-big upload at once),
and it can be sent only once: `chunks()` is a generator, which httpx refuses to iterate a second time
(`StreamConsumed`). An upload is not idempotent, so nothing may resend it after part of it went out.
"""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 64 * 1024

Progress = Callable[[int, int], None]  # (bytes sent, bytes in all)


class UnreadableFile(Exception):
    """A file that could not be read (any more) while its upload was prepared or sent; said in words."""


@dataclass(frozen=True)
class _FilePart:
    field: str
    path: Path
    size: int
    head: bytes  # the part's boundary and headers


class MultipartBody:
    """Form fields and files as one multipart/form-data body; `headers` go with `chunks()`."""

    def __init__(self, files: Sequence[tuple[str, Path]], fields: dict[str, str], on_progress: Progress) -> None:
        self._boundary = secrets.token_hex(16)
        self._on_progress = on_progress
        self._fields = b"".join(
            self._head(f'form-data; name="{_quoted(name)}"') + value.encode(errors="replace") + b"\r\n"
            for name, value in fields.items()
        )
        self._files = [self._file_part(field, path) for field, path in files]
        self._tail = f"--{self._boundary}--\r\n".encode()
        self.total = len(self._fields) + sum(len(part.head) + part.size + 2 for part in self._files) + len(self._tail)
        self.headers = {
            "Content-Type": f"multipart/form-data; boundary={self._boundary}",
            "Content-Length": str(self.total),
        }

    def _head(self, disposition: str, content_type: str | None = None) -> bytes:
        lines = [f"--{self._boundary}", f"Content-Disposition: {disposition}"]
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        # A name from the file system or the command line may hold bytes that are not UTF-8.
        return ("\r\n".join(lines) + "\r\n\r\n").encode(errors="replace")

    def _file_part(self, field: str, path: Path) -> _FilePart:
        try:
            size = path.stat().st_size
        except OSError as error:
            raise UnreadableFile(f"cannot read {path}: {error.strerror or error}") from None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        disposition = f'form-data; name="{_quoted(field)}"; filename="{_quoted(path.name)}"'
        return _FilePart(field, path, size, self._head(disposition, content_type))

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body, a chunk at a time; each chunk counts as sent once the connection asks for the next."""
        sent = 0

        def count(chunk: bytes) -> None:
            nonlocal sent
            sent += len(chunk)
            self._on_progress(sent, self.total)

        self._on_progress(0, self.total)
        if self._fields:
            yield self._fields
            count(self._fields)
        for part in self._files:
            yield part.head
            count(part.head)
            async for chunk in _file_chunks(part):
                yield chunk
                count(chunk)
            yield b"\r\n"
            count(b"\r\n")
        yield self._tail
        count(self._tail)


async def _file_chunks(part: _FilePart) -> AsyncIterator[bytes]:
    """Exactly the size announced in Content-Length: a file that shrank meanwhile is an error, and what a
    growing file gained since is left out."""
    left = part.size
    try:
        with part.path.open("rb") as file:
            while left > 0:
                chunk = file.read(min(CHUNK_BYTES, left))
                if not chunk:
                    raise UnreadableFile(f"{part.path} became shorter while it was being sent")
                left -= len(chunk)
                yield chunk
    except OSError as error:
        raise UnreadableFile(f"cannot read {part.path}: {error.strerror or error}") from None


def _quoted(value: str) -> str:
    """A name inside a quoted header parameter, as browsers write it: quotes and line breaks escaped."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
