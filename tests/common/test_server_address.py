"""The reference server's address file, its one-server-per-data-dir lock, and its idle rule."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tf_tui.common.server_address import (
    ADDRESS_FILE,
    LockTimeout,
    ServerAddress,
    exclusive_lock,
    read_address,
    remove_address,
    write_address,
)
from tf_tui.server.idle import IdleWatch

ADDRESS = ServerAddress(url="http://127.0.0.1:8084", pid=1234, instance="abc")


def test_an_address_reads_back_as_written(tmp_path):
    write_address(tmp_path, ADDRESS)
    assert read_address(tmp_path) == ADDRESS
    assert [path.name for path in tmp_path.iterdir()] == [ADDRESS_FILE]  # no partial file left behind


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"\xff\xfe", b"[]", b'{"url": "u", "pid": "1", "instance": "i"}', b'{"url": "u", "pid": 1}'],
)
def test_a_torn_or_foreign_address_file_reads_as_none(tmp_path, content):
    (tmp_path / ADDRESS_FILE).write_bytes(content)
    assert read_address(tmp_path) is None


def test_an_address_is_removed_only_by_the_instance_it_names(tmp_path):
    write_address(tmp_path, ADDRESS)
    remove_address(tmp_path, "another instance")
    assert read_address(tmp_path) == ADDRESS
    remove_address(tmp_path, ADDRESS.instance)
    assert read_address(tmp_path) is None
    remove_address(tmp_path, ADDRESS.instance)  # gone already: nothing to do, no error


def test_a_held_lock_times_out_for_a_second_holder_and_is_free_after(tmp_path):
    lock = tmp_path / "server.lock"
    with exclusive_lock(lock, wait=0), pytest.raises(LockTimeout), exclusive_lock(lock, wait=0.2):
        pass
    with exclusive_lock(lock, wait=0):
        pass


def test_a_lock_does_not_live_on_in_a_process_started_while_it_was_held(tmp_path):
    # A launcher's lock must not be kept by the detached server it starts.
    lock = tmp_path / "launch.lock"
    with exclusive_lock(lock, wait=0):
        child = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE, close_fds=False
        )
    try:
        # Not wait=0: any fork in this process (another thread's subprocess) holds the descriptor until its
        # exec. The child here lives until told, so a lock it had inherited would never come free.
        with exclusive_lock(lock, wait=30):
            assert child.poll() is None
    finally:
        child.communicate(b"")


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
