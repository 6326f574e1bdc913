"""The reference server's idle rule: it ends itself after the idle time with nothing going, and not before."""

from __future__ import annotations

from tf_tui.server.idle import IdleWatch


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_watch(busy: list[bool]) -> tuple[IdleWatch, FakeClock, list[str]]:
    clock = FakeClock()
    ended: list[str] = []
    watch = IdleWatch(60.0, busy=lambda: busy[0], on_idle=lambda: ended.append("idle"), clock=clock)
    return watch, clock, ended


def test_an_idle_server_ends_after_the_idle_time_and_not_before():
    watch, clock, ended = make_watch([False])
    clock.now = 59.9
    assert not watch.check() and ended == []
    clock.now = 60.0
    assert watch.check() and ended == ["idle"]


def test_a_run_going_or_a_client_keeps_the_server_up_and_idle_time_counts_from_when_it_ended():
    busy = [True]
    watch, clock, ended = make_watch(busy)
    clock.now = 1000.0
    assert not watch.check()  # busy far past the idle time
    busy[0] = False
    clock.now = 1059.0
    assert not watch.check()
    clock.now = 1060.0
    assert watch.check() and ended == ["idle"]


def test_a_request_restarts_the_idle_time():
    watch, clock, _ = make_watch([False])
    clock.now = 50.0
    watch.touch()
    clock.now = 100.0
    assert not watch.check()
    clock.now = 110.0
    assert watch.check()
