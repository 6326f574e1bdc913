"""The careful minimal client: the best a small client can do, what tf-tui's render path is measured against.

One line per run, styled with Rich. Updates are coalesced: the first change after a quiet spell is painted
at the event loop's next turn, and the next paint waits until 50 ms after the one before. A paint writes
only the rows whose text changed, each as one cursor move, its cells and an erase to the line's end, all in
one write: no full-screen redraw (but at the start and on a resize), no layout, no widget tree.

    python -m bench.minimal_client http://127.0.0.1:8084 [more backend URLs]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import termios
import time
import tty
from typing import Any

from rich.color import ColorSystem
from rich.style import Style

from bench.feed import follow

MIN_GAP_S = 0.05  # between two paints
BAR_CELLS = 20
ENTER, LEAVE = "\x1b[?1049h\x1b[?25l\x1b[2J", "\x1b[?25h\x1b[?1049l"
STATUS_STYLES = {"completed": Style(color="green"), "failed": Style(color="red"), "stopped": Style(color="yellow")}
ID, TRAINING, PERCENT = Style(bold=True), Style(color="cyan"), Style(bold=True)
FILLED, EMPTY, DIM = Style(color="green"), Style(color="grey30"), Style(dim=True)


def styled(parts: list[tuple[str, Style | None]]) -> str:
    """Text in Rich's styles, as the escapes a truecolor terminal reads (each part closes its own)."""
    return "".join(
        part if style is None else style.render(part, color_system=ColorSystem.TRUECOLOR) for part, style in parts
    )


def row(train_id: str, data: dict[str, Any] | None) -> str:
    """`00000001  training      37% ━━━━━━━━━━━━━━━━━━━━  37/100  0.1053`: what a run's line shows."""
    if data is None:
        return styled([(train_id[:8], ID), ("  listed", DIM)])
    details = data.get("details") or {}
    status, progress = str(data.get("status", "?"))[:12], data.get("progress")
    percent = progress if isinstance(progress, int) else 0
    filled = BAR_CELLS * max(0, min(percent, 100)) // 100
    step, total, loss = details.get("step"), details.get("total_steps"), details.get("loss")
    return styled(
        [
            (train_id[:8], ID),
            ("  ", None),
            (f"{status:<12}", STATUS_STYLES.get(status, TRAINING)),
            (f" {percent:>3}%", PERCENT),
            (" ", None),
            ("━" * filled, FILLED),
            ("━" * (BAR_CELLS - filled), EMPTY),
            (f"  {f'{step}/{total}' if step is not None else '':>9}", None),
            (f"  {loss:.4f}" if isinstance(loss, float) else "", None),
        ]
    )


class MinimalClient:
    """The runs, the lines the terminal shows for them, and the paint that brings the one to the other."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.order: list[str] = []  # runs as listed: run i is on screen line i + 2, under the title
        self.runs: dict[str, dict[str, Any] | None] = {}
        self.shown: dict[int, str] = {}  # screen line -> the text painted there
        self.changed: set[str] = set()
        self.height = shutil.get_terminal_size().lines
        self.last_paint = 0.0
        self.pending = False
        self.loop = asyncio.get_running_loop()

    def listed(self, train_ids: list[str]) -> None:
        fresh = [train_id for train_id in train_ids if train_id not in self.runs]
        self.order += fresh
        self.runs.update(dict.fromkeys(fresh))
        self.changed.update(fresh)
        self.schedule()

    def update(self, train_id: str, data: dict[str, Any]) -> None:
        known = self.runs.get(train_id) or {}
        self.runs[train_id] = {**known, **data}
        self.changed.add(train_id)
        self.schedule()

    def schedule(self) -> None:
        """Coalesce: one paint at the next turn, or once the gap since the last one has passed."""
        if self.pending:
            return
        self.pending = True
        wait = self.last_paint + MIN_GAP_S - time.monotonic()
        if wait > 0:
            self.loop.call_later(wait, self.paint)
        else:
            self.loop.call_soon(self.paint)

    def paint(self) -> None:
        self.pending, self.last_paint = False, time.monotonic()
        changed, self.changed = self.changed, set()
        lines = {1: styled([(f"minimal client: {len(self.order)} runs", ID)])}
        for index, train_id in enumerate(self.order[: max(0, self.height - 1)]):
            if train_id in changed:
                lines[index + 2] = row(train_id, self.runs[train_id])
        writes = [f"\x1b[{y};1H{text}\x1b[K" for y, text in lines.items() if self.shown.get(y) != text]
        self.shown.update(lines)
        if writes:
            os.write(sys.stdout.fileno(), "".join(writes).encode())

    def resized(self) -> None:
        """The one full redraw after the start: a new size may have moved or cut every line."""
        self.height = shutil.get_terminal_size().lines
        self.shown.clear()
        os.write(sys.stdout.fileno(), b"\x1b[2J")
        self.changed.update(self.order)
        self.schedule()


async def main(urls: list[str]) -> None:
    client = MinimalClient(urls)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        client.loop.add_signal_handler(signum, stop.set)
    client.loop.add_signal_handler(signal.SIGWINCH, client.resized)
    tasks = [asyncio.create_task(follow(url, client.listed, client.update)) for url in urls]
    await stop.wait()
    for task in tasks:
        task.cancel()


def run(urls: list[str]) -> None:
    """On the alternate screen, without echo, and the terminal as it was afterwards, however it ends."""
    saved = termios.tcgetattr(sys.stdin) if sys.stdin.isatty() else None
    if saved is not None:
        tty.setcbreak(sys.stdin)
    os.write(sys.stdout.fileno(), ENTER.encode())
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main(urls))
    finally:
        os.write(sys.stdout.fileno(), LEAVE.encode())
        if saved is not None:
            termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)


if __name__ == "__main__":
    run(sys.argv[1:])
