"""A run's log that grows at a fixed rate, served as the reference server serves a log (`tf_tui/server/logs.py`).

Every line has the same length and starts with its number (`#000012345`), so the log is a function of the
time alone: no line is stored, any byte range is made on demand, and a line read on a screen names the
moment it was written. Line `n` (from 0) exists once `n + 1` lines have been written.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

LINE = "#%09d 2026-12-07T22:04:40 INFO trainer: step %09d loss %6.4f lr 3.0e-04 tokens/s 12345.6 grad 0.987\n"
LINE_BYTES = len(LINE % (0, 0, 4.0))
CHUNK_BYTES = 64 * 1024  # per reply, as the reference server's LOG_CHUNK_BYTES
NUMBER = re.compile(r"#(\d{9}) 2026-12-07T22:04:40 INFO")  # a line as a screen shows it


def line(number: int) -> str:
    return LINE % (number, number // 10, 4.0 / (1 + number / 1000))


@dataclass(frozen=True)
class LogPart:
    """One reply: the bytes from an offset, where to ask next, and the log's length when it was read."""

    data: bytes
    next_offset: int
    size: int


class GrowingLog:
    """`rate` lines a second from `start()`, until `stop()`."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.began: float | None = None  # time.monotonic() of the start
        self._stopped_at: int | None = None  # lines written when it stopped

    def start(self) -> None:
        if self.began is None:
            self.began = time.monotonic()

    def stop(self) -> int:
        """Write no more; how many lines were written."""
        self._stopped_at = self.lines()
        return self._stopped_at

    def lines(self) -> int:
        """How many lines have been written so far."""
        if self._stopped_at is not None:
            return self._stopped_at
        if self.began is None:
            return 0
        return int((time.monotonic() - self.began) * self.rate)

    def written_at(self, number: int) -> float:
        """When line `number` was written (time.monotonic())."""
        assert self.began is not None
        return self.began + (number + 1) / self.rate

    def part(self, offset: int) -> LogPart:
        """At most CHUNK_BYTES from `offset`, cut anywhere, as the reference server cuts its replies."""
        size = self.lines() * LINE_BYTES
        end = min(size, offset + CHUNK_BYTES)
        if offset >= end:
            return LogPart(b"", offset, size)
        first, last = offset // LINE_BYTES, (end - 1) // LINE_BYTES
        text = "".join(line(number) for number in range(first, last + 1)).encode()
        start = first * LINE_BYTES
        return LogPart(text[offset - start : end - start], end, size)
