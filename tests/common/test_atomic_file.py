"""The one locked atomic write: a lock that times out when asked to and never outlives its block in a
child process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tf_tui.common.atomic_file import LockTimeout, exclusive_lock


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
