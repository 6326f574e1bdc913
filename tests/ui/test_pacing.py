"""The pacer: a lone update is painted at once; under load paints are spaced by their cost, and never
closer than its floor. A fake clock: the pacer's arithmetic, not the machine's speed."""

from __future__ import annotations

from tf_tui.ui.pacing import BUSY_SHARE, MIN_INTERVAL_S, FlushPacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def paint(pacer: FlushPacer, clock: Clock, cost: float) -> None:
    done = pacer.painting()
    clock.now += cost
    done()


def test_the_first_paint_and_one_after_a_quiet_spell_are_at_once():
    clock = Clock()
    pacer = FlushPacer(clock)
    assert pacer.delay() == 0
    paint(pacer, clock, 0.001)
    clock.now += 0.2  # the everyday case: updates 200 ms apart
    assert pacer.delay() == 0


def test_cheap_paints_close_together_wait_for_the_floor():
    clock = Clock()
    pacer = FlushPacer(clock)
    paint(pacer, clock, 0.001)
    assert abs(pacer.delay() - (MIN_INTERVAL_S - 0.001)) < 1e-9


def test_a_costly_paint_spaces_the_next_by_its_cost():
    clock = Clock()
    pacer = FlushPacer(clock)
    paint(pacer, clock, 0.04)
    assert abs(pacer.delay() - (0.04 / BUSY_SHARE - 0.04)) < 1e-9
