"""One timer for text that changes with the time alone (an age, a `stale` mark, a countdown): it fires at
the moment the next such text on screen reads otherwise, not every second, and not at all while none will.

An idle dashboard then costs nothing between those moments: ages shown to the minute turn once a minute,
and a run's `stale` mark comes the moment it is due.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from textual.message_pump import MessagePump
from textual.timer import Timer

# The moments are on the wall clock, the timer's wait on the monotonic one: after the wall clock jumps
# (a suspended laptop resumed, a clock set right), a wait worked out before would come late by the jump.
# Waking at least this often bounds that at a look a minute, which finds nothing changed while none did.
LONGEST_WAIT_S = 60.0


class WakeUp:
    """`by(moment)` as each text on screen says when it next changes; `turned` is called at the earliest of
    those moments, and says the next ones again (with `by`). A later moment than the one waited for keeps
    the earlier wake-up: one that comes early finds nothing changed, and costs a look."""

    def __init__(self, owner: MessagePump, turned: Callable[[], None], clock: Callable[[], float]) -> None:
        self._owner = owner  # whose timer waits: it goes with the owner
        self._turned = turned
        self._clock = clock  # the clock the moments are on (the dashboard's, which tests set)
        self._timer: Timer | None = None
        self.at = math.inf  # the moment waited for; none while infinite

    def by(self, moment: float | None) -> None:
        """Wake up at `moment` at the latest (None: no text needs it)."""
        if moment is None or moment >= self.at:
            return
        if self._timer is not None:
            self._timer.stop()
        self.at = moment
        wait = min(max(0.0, moment - self._clock()), LONGEST_WAIT_S)
        self._timer = self._owner.set_timer(wait, self._wake, name="wake-up")

    def _wake(self) -> None:
        self._timer, self.at = None, math.inf
        self._turned()
