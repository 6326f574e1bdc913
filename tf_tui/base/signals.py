"""Ending cleanly when asked to: SIGHUP (the SSH link dropped), SIGTERM and SIGINT.

Their default actions kill the process on the spot, leaving the terminal in the alternate screen with
the cursor hidden and mouse reporting on. Instead the signal ends the dashboard or the headless
command through its normal way out, which restores the terminal and closes the session. Nothing else
is signalled: processes this one started in sessions of their own (a detached local server) go on.
If the way out hangs (Textual's output thread can block for good on a terminal that hung up), the
process puts the terminal's modes back itself and ends anyway: the state file needs no last write,
every change is on disk already.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import termios
import threading
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

EXIT_SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
FORCED_EXIT_AFTER_S = 1.5
# Mouse reporting and bracketed paste off, the alternate screen left, the cursor shown.
RESTORE_SEQUENCE = b"\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h"
CURSOR_SHOWN = b"\x1b[?25h"  # all a headless command's progress bars change


def exit_status(signum: int) -> int:
    """The shell's convention for a process ended by a signal."""
    return 128 + signum


class TerminalModes:
    """The terminal as found before a full-screen app changed it (the same descriptors Textual uses)."""

    def __init__(self, sequence: bytes = RESTORE_SEQUENCE) -> None:
        self._sequence = sequence
        self._input = -1
        self._attributes: list[Any] | None = None  # None: not a terminal, nothing to put back
        with suppress(termios.error, OSError, ValueError):  # no stdin, a closed one, or not a terminal
            self._input = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1
            self._attributes = termios.tcgetattr(self._input)

    def restore(self) -> None:
        if self._attributes is None:
            return
        # Each part on its own: a terminal that is gone refuses both, and that is fine.
        with suppress(OSError, ValueError):
            os.write(sys.__stderr__.fileno() if sys.__stderr__ is not None else 2, self._sequence)
        with suppress(termios.error, OSError):
            termios.tcsetattr(self._input, termios.TCSANOW, self._attributes)


class ExitSignals:
    """Tells `on_signal` of the first exit signal, on the running loop; the last resort is a timer."""

    def __init__(self, on_signal: Callable[[int], object], terminal: TerminalModes | None = None) -> None:
        self.received: int | None = None
        self._on_signal = on_signal
        self._terminal = terminal
        self._last_resort: threading.Timer | None = None

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in EXIT_SIGNALS:
            loop.add_signal_handler(signum, self._received, signum)

    def finished(self) -> None:
        """The way out is done: the last resort is not needed. After a hangup the terminal may be gone,
        so what is still written (a note on the way out, the interpreter's last flush) goes nowhere
        rather than failing with EIO."""
        if self._last_resort is not None:
            self._last_resort.cancel()
        if self.received == signal.SIGHUP:
            nowhere = os.open(os.devnull, os.O_WRONLY)
            for descriptor in (1, 2):
                os.dup2(nowhere, descriptor)
            os.close(nowhere)

    def _received(self, signum: int) -> None:
        if self.received is not None:
            return  # already on the way out
        self.received = signum
        self._last_resort = threading.Timer(FORCED_EXIT_AFTER_S, self._force_exit, (exit_status(signum),))
        self._last_resort.daemon = True
        self._last_resort.start()
        self._on_signal(signum)

    def _force_exit(self, status: int) -> None:
        if self._terminal is not None:
            self._terminal.restore()
        os._exit(status)


async def run_until_signalled(work: Awaitable[int]) -> int:
    """Run a headless command; an exit signal cancels it, so its `finally` blocks and context managers
    run (the progress bars give the cursor back, the session closes), and it exits 128 + the signal."""
    task = asyncio.ensure_future(work)
    # The last resort too gives the cursor back: a loaded machine can take longer than it allows.
    signals = ExitSignals(lambda signum: task.cancel(), TerminalModes(CURSOR_SHOWN))
    signals.install()
    try:
        return await task
    except asyncio.CancelledError:
        if signals.received is None:
            raise
        return exit_status(signals.received)
    finally:
        signals.finished()
