"""When the dashboard paints what changed: at once when updates are rare, spaced out under load."""

from __future__ import annotations

import time
from collections.abc import Callable

# Paints under load are at least this far apart. Textual refreshes the screen only when its message pump
# goes idle: at 100 updates/s it did so about 6 times a second whether we painted 47 or 19 times a second
# (counted over 12 s: 79 and 76 screen refreshes), so paints closer than this were work for nothing (the
# dashboard's CPU went from 19.9 % to 16.1 % of a core). A lone update is still painted at once.
MIN_INTERVAL_S = 0.05
# Under load, paints are spaced so that painting takes at most this share of the time: the rest is
# for reading the frames, and for the training the machine is there for.
BUSY_SHARE = 0.2


class FlushPacer:
    """Paints are never closer than `MIN_INTERVAL_S`, nor than their own cost allows; a paint after a quiet
    spell is immediate. The cost is measured on each paint, so the spacing follows the load."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_start = -1e9
        self._interval = MIN_INTERVAL_S

    def delay(self) -> float:
        """Seconds to wait before the next paint: 0 when it may happen now."""
        return max(0.0, self._last_start + self._interval - self._clock())

    def painting(self) -> Callable[[], None]:
        """Call as a paint starts; call what it returns as the paint ends."""
        started = self._clock()
        self._last_start = started

        def done() -> None:
            self._interval = max(MIN_INTERVAL_S, (self._clock() - started) / BUSY_SHARE)

        return done
