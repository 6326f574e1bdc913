"""SIGHUP, SIGTERM and SIGINT end tf-tui promptly on a real pseudo-terminal, against the real server:
the terminal restored, the state file intact, nothing left running in the process's session."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.conftest import wait_until
from tests.terminal import FIRST_SCREEN, isolated_environment, module_command, spawn
from tf_tui.base.signals import CURSOR_SHOWN, RESTORE_SEQUENCE
from tf_tui.core.state import StateFile

EXIT_DEADLINE_S = 10.0  # liveness, not speed: the time taken is recorded in the test report
RESTORED = {
    "the alternate screen left": b"\x1b[?1049l",
    "the cursor shown": b"\x1b[?25h",
    "mouse reporting off": b"\x1b[?1000l",
}
SIGNALS = [signal.SIGHUP, signal.SIGTERM, signal.SIGINT]


def session_members(session_id: int) -> list[int]:
    """Pids of the processes still in a session (the dashboard's, as an SSH login's shell would be)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if int(fields[3]) == session_id:  # after the command name: state, ppid, pgrp, session
            members.append(int(stat.parent.name))
    return members


def remembering(tmp_path: Path, url: str, train_id: str) -> dict[str, str]:
    state_file = tmp_path / "state.json"
    StateFile(state_file).add(url, train_id)
    return isolated_environment(tmp_path, TF_TUI_STATE_FILE=str(state_file), TF_TUI_LOG_FILE=str(tmp_path / "log"))


def assert_state_intact(tmp_path: Path, url: str, train_id: str) -> None:
    assert StateFile(tmp_path / "state.json").active(url) == [train_id]
    assert sorted(entry.name for entry in tmp_path.glob("state.json*")) == ["state.json", "state.json.lock"]


def wait_until_gone(dashboard: pexpect.spawn) -> float:
    """Seconds until the process ended, failing at the deadline."""
    wait_until(lambda: not dashboard.isalive(), "the process ends after the signal", timeout=EXIT_DEADLINE_S)
    return time.monotonic()


@pytest.mark.parametrize("signum", SIGNALS, ids=[signum.name for signum in SIGNALS])
async def test_a_signal_ends_the_dashboard_with_the_terminal_restored(
    server, endless_run, tmp_path, signum, record_property
):
    train_id = await endless_run()
    dashboard = spawn(module_command("--url", server.url), remembering(tmp_path, server.url, train_id))
    dashboard.expect_exact(FIRST_SCREEN)
    dashboard.expect_exact(train_id[:8])  # the remembered run, restored
    asked = time.monotonic()
    dashboard.kill(signum)
    dashboard.expect(pexpect.EOF, timeout=EXIT_DEADLINE_S)
    tail = dashboard.before
    took = wait_until_gone(dashboard) - asked
    record_property(f"exit_seconds_after_{signum.name}", round(took, 2))
    dashboard.close()
    assert dashboard.exitstatus == 128 + signum, tail[-500:]
    for what, sequence in RESTORED.items():
        assert sequence in tail, f"{what}: {tail[-300:]!r}"
    assert b"Traceback" not in tail
    assert_state_intact(tmp_path, server.url, train_id)
    assert session_members(dashboard.pid) == []


async def test_a_dropped_terminal_ends_the_dashboard(server, endless_run, tmp_path, record_property):
    """The SSH link drops: the terminal's master side closes and the kernel sends SIGHUP."""
    train_id = await endless_run()
    dashboard = spawn(module_command("--url", server.url), remembering(tmp_path, server.url, train_id))
    dashboard.expect_exact(train_id[:8])
    dropped = time.monotonic()
    dashboard.ptyproc.fileobj.close()  # the hangup, and nothing else: no signal of our own
    took = wait_until_gone(dashboard) - dropped
    record_property("exit_seconds_after_hangup", round(took, 2))
    assert dashboard.exitstatus == 128 + signal.SIGHUP
    assert_state_intact(tmp_path, server.url, train_id)
    assert session_members(dashboard.pid) == []


@pytest.mark.parametrize("signum", SIGNALS, ids=[signum.name for signum in SIGNALS])
async def test_a_signal_ends_watch_with_the_cursor_back(server, endless_run, tmp_path, signum, record_property):
    train_id = await endless_run()
    watching = spawn(module_command("--url", server.url, "watch"), remembering(tmp_path, server.url, train_id))
    watching.expect_exact("training")
    asked = time.monotonic()
    watching.kill(signum)
    watching.expect(pexpect.EOF, timeout=EXIT_DEADLINE_S)
    tail = watching.before
    took = wait_until_gone(watching) - asked
    record_property(f"watch_exit_seconds_after_{signum.name}", round(took, 2))
    watching.close()
    assert watching.exitstatus == 128 + signum, tail[-500:]
    assert b"\x1b[?25h" in tail and b"Traceback" not in tail
    assert_state_intact(tmp_path, server.url, train_id)
    assert session_members(watching.pid) == []


def test_a_way_out_that_hangs_is_cut_short_with_the_terminal_restored(tmp_path, record_property):
    """The last resort alone: a process whose way out never comes still ends, and restores the terminal."""
    hangs = (
        "import asyncio\n"
        "from tf_tui.base.signals import ExitSignals, TerminalModes\n"
        "async def main():\n"
        "    ExitSignals(lambda signum: None, TerminalModes()).install()  # the way out: nothing\n"
        "    print('ready', flush=True)\n"
        "    await asyncio.Event().wait()\n"
        "asyncio.run(main())\n"
    )
    process = spawn([sys.executable, "-c", hangs], isolated_environment(tmp_path))
    process.expect_exact("ready")
    asked = time.monotonic()
    process.kill(signal.SIGTERM)
    process.expect(pexpect.EOF, timeout=EXIT_DEADLINE_S)
    took = wait_until_gone(process) - asked
    record_property("forced_exit_seconds", round(took, 2))
    process.close()
    assert process.exitstatus == 128 + signal.SIGTERM
    assert RESTORE_SEQUENCE in process.before


def test_a_headless_way_out_that_hangs_is_cut_short_with_the_cursor_back(tmp_path):
    """A headless command whose cancellation never ends (a loaded machine, a close that waits) still
    ends at the last resort, and gives back the cursor its progress bars hid."""
    hangs = (
        "import asyncio, sys\n"
        "from tf_tui.base.signals import run_until_signalled\n"
        "async def work():\n"
        "    sys.stdout.write('\\x1b[?25lready\\n'); sys.stdout.flush()\n"
        "    while True:\n"
        "        try:\n"
        "            await asyncio.Event().wait()\n"
        "        except asyncio.CancelledError:\n"
        "            pass  # the way out: never\n"
        "asyncio.run(run_until_signalled(work()))\n"
    )
    process = spawn([sys.executable, "-c", hangs], isolated_environment(tmp_path))
    process.expect_exact("ready")
    process.kill(signal.SIGTERM)
    process.expect(pexpect.EOF, timeout=EXIT_DEADLINE_S)
    wait_until_gone(process)
    process.close()
    assert process.exitstatus == 128 + signal.SIGTERM
    assert CURSOR_SHOWN in process.before
