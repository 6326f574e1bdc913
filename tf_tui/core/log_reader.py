"""A run's log, read from the backend reply by reply and made into lines safe to show.

The backend sends the log's bytes cut anywhere (`GET /train/logs/{id}?offset=N`, the reference server's
extension): they are decoded across replies, so a character split between two replies comes out whole,
and only whole lines are given out, so an escape sequence split between two replies is removed whole.
"""

from __future__ import annotations

import codecs

from tf_tui.base.capabilities import Capabilities, Extension
from tf_tui.base.text import printable_log_line
from tf_tui.client.api import RouteMissing
from tf_tui.core.ports import BackendApi

POLL_S = 1.0  # how often a log is read again while its run goes
MAX_LINE_CHARS = 8192  # a longer line is given out as it is so far: a log without newlines still shows
REPLIES_PER_READ = 16  # a read gives up its turn after this many replies, so a long log is shown as it comes


class LogLines:
    """Bytes as they come to whole, printable lines; the last line once the log is complete."""

    def __init__(self, *, drop_first: bool = False) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._drop_first = drop_first  # the log is read from its middle: its first line is a part of one

    def feed(self, data: bytes, *, final: bool = False) -> list[str]:
        pieces = (self._partial + self._decoder.decode(data, final)).split("\n")
        self._partial = pieces.pop()
        if (final or len(self._partial) > MAX_LINE_CHARS) and self._partial:
            pieces.append(self._partial)
            self._partial = ""
        if self._drop_first and pieces:
            self._drop_first = False
            pieces.pop(0)
        return [printable_log_line(piece.removesuffix("\r")) for piece in pieces]


class LogReader:
    """Where one run's log has been read to, and what it said so far, as lines.

    `tail_bytes`: a longer log is read from that many bytes before its end (`skipped` says how many were
    not). A backend without the route is remembered in `capabilities` before RouteMissing is raised.
    """

    def __init__(
        self, api: BackendApi, train_id: str, capabilities: Capabilities, *, tail_bytes: int | None = None
    ) -> None:
        self.train_id = train_id
        self.offset = 0
        self.skipped = 0
        self.complete = False  # the run has ended and every line of its log was given out
        self.more = False  # the backend had more than the last read took
        self._api = api
        self._capabilities = capabilities
        self._tail_bytes = tail_bytes
        self._lines = LogLines()

    async def read(self) -> list[str]:
        """The lines written since the last read (up to REPLIES_PER_READ replies' worth; `more` says if
        the backend had more). Raises ApiError; RouteMissing when the backend has no log route."""
        lines: list[str] = []
        for _ in range(REPLIES_PER_READ):
            try:
                chunk = await self._api.log(self.train_id, self.offset)
            except RouteMissing as error:
                self._capabilities.lacks(Extension.LOGS, error.reason)
                raise
            if self.offset == 0 and self._tail_bytes is not None and (chunk.size or 0) > self._tail_bytes:
                self.offset = self.skipped = (chunk.size or 0) - self._tail_bytes
                self._lines = LogLines(drop_first=True)
                continue
            lines += self._lines.feed(chunk.data, final=chunk.complete)
            self.offset, self.complete = chunk.next_offset, chunk.complete
            self.more = not chunk.complete and chunk.size is not None and chunk.next_offset < chunk.size
            if not self.more:
                break
        return lines
