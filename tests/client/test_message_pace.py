"""MessagePace on a fake clock: a batch goes at once, the next waits for the window's end, a quiet spell resets."""

from __future__ import annotations

from tf_tui.client.pace import MessagePace


class Time:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


async def test_a_batch_goes_at_once_and_the_next_waits_for_the_window_to_end():
    time = Time()
    pace = MessagePace(3, 1.0, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        await pace.wait()
    assert time.slept == []
    time.now += 0.25
    await pace.wait()  # the fourth, a quarter into the window: waits out the rest of it
    assert time.slept == [0.75]
    for _ in range(2):
        await pace.wait()
    assert time.slept == [0.75]  # the new window's room


async def test_messages_spread_out_never_wait():
    time = Time()
    pace = MessagePace(2, 1.0, clock=time.clock, sleep=time.sleep)
    for _ in range(10):
        await pace.wait()
        time.now += 0.5
    assert time.slept == []
