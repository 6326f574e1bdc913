"""A program on a real pseudo-terminal of fixed size, its output read as it comes and fed to a terminal
emulator (pyte), so the harness sees what a person would see and when: which run rows are on screen,
and when each row's percentage first reads a value. Keys can be typed to it, and its output can be read no
faster than a slow link carries it (`read_rate`, as `pv -L` does between a program and its terminal)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pyte
from ptyprocess import PtyProcess

COLUMNS, LINES = 120, 40
READ_TICK_S = 0.05  # a throttled terminal is read this often
# A run's row on any of the clients: its 8-character id, then (anywhere after it) its percentage.
ROW = re.compile(r"(?<![0-9a-f-])([0-9a-f]{8}) .*?(\d{1,3})%")


def isolated_environment(home: Path, **extra: str) -> dict[str, str]:
    """The environment with every directory a client reads or writes under `home`, and a usual terminal."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TF_TUI_")}
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        environment[variable] = str(home / variable.lower())
    environment.pop("NO_COLOR", None)
    environment.pop("TEXTUAL", None)
    environment.update(
        TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8", TF_TUI_CONFIG=str(home / "none.toml")
    )
    environment.update(extra)
    return environment


@dataclass
class Screen:
    """What has been seen so far: bytes read, and for each run (by its short id) when each new highest
    percentage first became readable."""

    bytes_read: int = 0
    shown: dict[str, list[tuple[float, int]]] = field(default_factory=dict)  # short id -> [(at, percent)]
    lines: dict[int, str] = field(default_factory=dict)  # screen line -> the short id of the row on it now
    text_seen_at: float | None = None  # when `wait_text` was first on screen

    def visible(self) -> set[str]:
        return set(self.lines.values())

    def highest(self, short: str) -> int:
        seen = self.shown.get(short)
        return seen[-1][1] if seen else -1


ChangedLines = Callable[[dict[int, str], float], None]  # screen lines that changed (y -> text), and when


class Terminal:
    """One client process on a pseudo-terminal; `async with` starts it and always kills it (and its group).

    `on_lines` hears every read's changed screen lines. `read_rate`: bytes a second read from the terminal at
    most, in slices every READ_TICK_S; what the program writes beyond that waits in the pty and then in the
    program, as it does behind a slow SSH link."""

    def __init__(
        self,
        argv: list[str],
        environment: dict[str, str],
        *,
        cwd: Path,
        wait_text: str | None = None,
        on_lines: ChangedLines | None = None,
        read_rate: float | None = None,
    ) -> None:
        self.argv = argv
        self.environment = environment
        self.cwd = cwd
        self.wait_text = wait_text
        self.screen = Screen()
        self.started_at = 0.0
        self._emulator = pyte.Screen(COLUMNS, LINES)
        self._stream = pyte.ByteStream(self._emulator)
        self._process: PtyProcess | None = None
        self._closed = asyncio.Event()
        self._read = asyncio.Event()
        self.last_read_at = 0.0
        self._on_lines = on_lines
        self._read_rate = read_rate
        self._relay: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return int(self._process.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process (and of its children that have ended), in seconds."""
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system + times.children_user + times.children_system)

    def rss(self) -> int:
        return int(psutil.Process(self.pid).memory_info().rss)

    async def __aenter__(self) -> Terminal:
        self.started_at = time.monotonic()
        self._process = PtyProcess.spawn(
            self.argv, env=self.environment, cwd=str(self.cwd), dimensions=(LINES, COLUMNS)
        )
        os.set_blocking(self._process.fd, False)
        if self._read_rate is None:
            asyncio.get_running_loop().add_reader(self._process.fd, self._readable)
        else:
            self._relay = asyncio.create_task(self._read_slowly(self._read_rate))
        return self

    async def __aexit__(self, *_: object) -> None:
        self.kill()

    def kill(self) -> None:
        if self._process is None:
            return
        if self._relay is not None:
            self._relay.cancel()
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(self._process.fd)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)  # spawned as a session leader: its group is its own
        with contextlib.suppress(Exception):
            self._process.close(force=True)
        self._process = None
        self._closed.set()

    async def wait(self, condition: Callable[[], bool], timeout: float, what: str) -> float:
        """When the read that made `condition` hold came (it is checked after each read); TimeoutError
        naming `what` if it does not hold within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self._closed.is_set():
                raise RuntimeError(f"{self.argv[0]} ended while waiting for {what}:\n{self.text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not seen in {timeout:.0f}s; the screen:\n{self.text()}")
            self._read.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._read.wait(), 0.1)
        return self.last_read_at

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self._emulator.display)

    def lines(self) -> list[str]:
        """The screen's lines as they read now."""
        return list(self._emulator.display)

    def backgrounds(self, y: int) -> list[str]:
        """The background colour of each cell of line `y`: what tells the selected row from the others."""
        row = self._emulator.buffer[y]
        return [row[x].bg for x in range(COLUMNS)]

    def type(self, keys: bytes) -> float:
        """Send keys as a person types them; returns when they were sent (`time.monotonic()`)."""
        assert self._process is not None
        sent_at = time.monotonic()
        os.write(self._process.fd, keys)
        return sent_at

    async def ended(self, timeout: float) -> None:
        """Until the program has exited (its end of the pty closed); TimeoutError after `timeout` seconds."""
        await asyncio.wait_for(self._closed.wait(), timeout)

    def _readable(self) -> None:
        self._read_some(1 << 16)

    async def _read_slowly(self, rate: float) -> None:
        """Read at most `rate` bytes a second, a slice each tick. A link idle for a while carries no more for
        it afterwards: what was not used of a tick is lost but for one tick's worth."""
        allowed, last = 0.0, time.monotonic()
        while not self._closed.is_set():
            await asyncio.sleep(READ_TICK_S)
            now = time.monotonic()
            allowed = min(allowed + (now - last) * rate, 2 * READ_TICK_S * rate)
            last = now
            if allowed >= 1:
                allowed -= self._read_some(int(allowed))

    def _read_some(self, limit: int) -> int:
        """Read and show at most `limit` bytes; how many were read."""
        assert self._process is not None
        try:
            data = os.read(self._process.fd, limit)
        except BlockingIOError:
            return 0
        except OSError:  # EIO: the process is gone and the pty closed
            data = b""
        at = time.monotonic()
        if not data:
            if self._relay is None:
                asyncio.get_running_loop().remove_reader(self._process.fd)
            self._closed.set()
            return 0
        self.screen.bytes_read += len(data)
        self._stream.feed(data)
        self._scan(at)
        self.last_read_at = at
        self._read.set()
        return len(data)

    def _scan(self, at: float) -> None:
        emulator, screen = self._emulator, self.screen
        changed = {y: "".join(emulator.buffer[y][x].data for x in range(COLUMNS)) for y in sorted(emulator.dirty)}
        emulator.dirty.clear()
        if self._on_lines is not None:
            self._on_lines(changed, at)
        for y, line in changed.items():
            if self.wait_text is not None and screen.text_seen_at is None and self.wait_text in line:
                screen.text_seen_at = at
            match = ROW.search(line)
            if match is None:
                screen.lines.pop(y, None)
                continue
            short, percent = match.group(1), int(match.group(2))
            screen.lines[y] = short
            if percent > screen.highest(short):
                screen.shown.setdefault(short, []).append((at, percent))
