"""At most one repaint per REPAINT_INTERVAL_S for what may change many times a second (a chart, the
comparison): the first change is painted at once, the ones after it together when the interval is up."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message_pump import MessagePump
from textual.timer import Timer

# A chart's draw is the costliest paint of the dashboard (about 10 ms, and some 500 bytes of braille to
# the terminal): at 0.5 s it was a fifth of the CPU and a third of the bytes of watching five runs. A
# curve two seconds behind is what system monitors show (nvitop's and btop's default interval).
REPAINT_INTERVAL_S = 2.0


class Throttled:
    """`request()` as often as things change; `paint` is called at once, or later with every request
    made meanwhile folded into one. `now()` paints at once whatever the interval (another run shown)."""

    def __init__(
        self, owner: MessagePump, paint: Callable[[], object], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._owner = owner  # whose timer waits: it goes with the owner
        self._paint = paint
        self._clock = clock
        self._painted_at = float("-inf")
        self._timer: Timer | None = None

    def request(self) -> None:
        if self._timer is not None:
            return  # a paint is due already: it will show this change too
        wait = self._painted_at + REPAINT_INTERVAL_S - self._clock()
        if wait <= 0:
            self.now()
        else:
            self._timer = self._owner.set_timer(wait, self.now)

    def now(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._painted_at = self._clock()
        self._paint()
