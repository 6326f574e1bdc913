"""WakeUp's wait: the moments are on the wall clock, Textual's timers on the monotonic one."""

from __future__ import annotations

from collections.abc import Callable

from tf_tui.ui.wake_up import LONGEST_WAIT_S, WakeUp

NOW = 1_000_000.0


class RecordingOwner:
    """Records the timers asked for instead of running them."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.callbacks: list[Callable[[], None]] = []

    def set_timer(self, delay: float, callback: Callable[[], None], *, name: str) -> RecordingTimer:
        self.waits.append(delay)
        self.callbacks.append(callback)
        return RecordingTimer()


class RecordingTimer:
    def stop(self) -> None:
        pass


def test_a_moment_an_hour_away_is_looked_at_within_a_minute_so_a_clock_jump_shows_soon():
    """A suspended laptop resumed an hour later: the wall clock jumped, the monotonic wait did not see it.
    An age due to turn in an hour must not wait that hour of monotonic time."""
    owner = RecordingOwner()
    clock = [NOW]
    turned: list[float] = []
    wake_up = WakeUp(owner, lambda: turned.append(clock[0]), lambda: clock[0])  # type: ignore[arg-type]
    wake_up.by(NOW + 3600)
    assert owner.waits == [LONGEST_WAIT_S]
    clock[0] = NOW + 3600 + LONGEST_WAIT_S  # the jump, then the wait
    owner.callbacks[-1]()
    assert turned == [clock[0]]  # the texts are looked at again, and say their next moments


def test_a_moment_within_the_longest_wait_is_waited_for_exactly():
    owner = RecordingOwner()
    wake_up = WakeUp(owner, lambda: None, lambda: NOW)  # type: ignore[arg-type]
    wake_up.by(NOW + 40)
    wake_up.by(NOW - 5)  # one already due: at once
    assert owner.waits == [40, 0]
