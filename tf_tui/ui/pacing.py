"""When the dashboard paints what changed: at once when updates are rare, spaced out under load."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import constants

FRAME_PERIOD_S = 1 / constants.MAX_FPS  # the terminal's frame rate, as Textual draws it
# Under load, paints are spaced so that painting takes at most this share of the time: the rest is
# for reading the frames, and for the training the machine is there for.
BUSY_SHARE = 0.2


class FlushPacer:
    """Paints are never closer than a frame, nor than their own cost allows; a paint after a quiet spell
    is immediate. The cost is measured on each paint, so the spacing follows the load."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_start = -1e9
        self._interval = FRAME_PERIOD_S

    def delay(self) -> float:
        """Seconds to wait before the next paint: 0 when it may happen now."""
        return max(0.0, self._last_start + self._interval - self._clock())

    def painting(self) -> Callable[[], None]:
        """Call as a paint starts; call what it returns as the paint ends."""
        started = self._clock()
        self._last_start = started

        def done() -> None:
            self._interval = max(FRAME_PERIOD_S, (self._clock() - started) / BUSY_SHARE)

        return done
