"""The state file: per backend, atomic, 0600, versioned, shared by several processes under a lock.

Whatever goes wrong (a bad file, a newer format, no permission, no space) is reported
once, never raised, never leaves a torn file, and never loses an id without saying so.
"""

from __future__ import annotations

import errno
import json
import logging
import multiprocessing
import os
import resource
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import DEADLINE_S, cli_environment, tf_tui_command
from tf_tui.common import atomic_file
from tf_tui.common.server_address import ServerAddress, new_instance_id, write_address
from tf_tui.core import state as state_module
from tf_tui.core.state import MAX_FILE_BYTES, MAX_RUNS_PER_BACKEND, StateFile

PROCESSES = 8
IDS_PER_PROCESS = 200


def problems_of(state: StateFile) -> list[str]:
    said: list[str] = []
    state.on_problem = said.append
    return said


def test_runs_are_remembered_per_backend_in_a_private_versioned_file(tmp_path):
    path = tmp_path / "nested" / "state.json"
    state = StateFile(path)
    state.add("http://a:8084/", "r1")
    state.add("http://a:8084", "r2")
    state.add("http://a:8084", "r1")
    state.add("http://b:8084", "r3")
    assert StateFile(path).active("http://a:8084") == ["r1", "r2"]
    assert StateFile(path).active("http://b:8084/") == ["r3"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document["version"] == 1
    state.remove("http://b:8084", "r3")
    assert "http://b:8084" not in json.loads(path.read_text())["backends"]
    # No temporary files left; the lock's sidecar stays (see atomic_file.exclusive_lock), private and empty.
    assert sorted(entry.name for entry in path.parent.iterdir()) == ["state.json", "state.json.lock"]
    lock = path.with_name("state.json.lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600 and lock.stat().st_size == 0
    assert state.problem is None


def test_two_writers_do_not_lose_each_others_runs(tmp_path):
    path = tmp_path / "state.json"
    dashboard, script = StateFile(path), StateFile(path)
    dashboard.add("http://a", "r1")
    script.add("http://a", "r2")
    dashboard.add("http://a", "r3")
    assert StateFile(path).active("http://a") == ["r1", "r2", "r3"]


def add_and_remove(path: Path, writer: int, start: multiprocessing.synchronize.Barrier) -> None:
    """One process: add 200 ids, removing every other one right after the next is added."""
    state = StateFile(path)
    start.wait()
    for number in range(IDS_PER_PROCESS):
        state.add("http://shared", f"{writer}-{number}")
        if number % 2:
            state.remove("http://shared", f"{writer}-{number - 1}")
    if state.problem is not None:
        raise RuntimeError(state.problem)


def test_eight_processes_adding_and_removing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "state.json"
    StateFile(path).add("http://shared", "there-before")
    # Forked, not spawned: a spawned writer imported the test modules again, most of this test's CPU.
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    writers = [context.Process(target=add_and_remove, args=(path, writer, start)) for writer in range(PROCESSES)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=90)
    assert [writer.exitcode for writer in writers] == [0] * PROCESSES
    expected = {"there-before"} | {
        f"{writer}-{number}" for writer in range(PROCESSES) for number in range(1, IDS_PER_PROCESS, 2)
    }
    remembered = StateFile(path).active("http://shared")
    assert len(remembered) == len(set(remembered))
    assert set(remembered) == expected


BAD_CONTENTS = {
    "truncated": b'{"version": 1, "backends": {"http://a": {"active": ["r1"',
    "garbage": b"\x00\xff\xfe not json at all",
    "empty": b"",
    "wrong shape": b"[]",
    "wrong types": b'{"version": 1, "backends": {"u": {"active": [1]}}}',
    "no version": b'{"backends": {}}',
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("content", BAD_CONTENTS.values(), ids=BAD_CONTENTS.keys())
def test_a_file_that_does_not_parse_is_kept_aside_when_a_run_is_recorded(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    state = StateFile(path)
    assert state.active("http://a") == []
    assert state.problem is not None and "moved aside when tf-tui next records a run" in state.problem
    assert path.read_bytes() == content  # reading alone changes nothing
    said = problems_of(state)
    state.add("http://a", "r2")
    aside = [entry for entry in tmp_path.iterdir() if entry.name.startswith("state.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content
    assert len(said) == 1 and str(aside[0]) in said[0]
    assert StateFile(path).active("http://a") == ["r2"]
    assert StateFile(path).problem is None


def test_a_second_bad_file_is_set_aside_beside_the_first_never_over_it(tmp_path):
    path = tmp_path / "state.json"
    for content in (b"first", b"second"):
        path.write_bytes(content)
        StateFile(path).add("http://a", "r1")
    aside = sorted(entry.read_bytes() for entry in tmp_path.iterdir() if ".corrupt-" in entry.name)
    assert aside == [b"first", b"second"]


def test_a_newer_format_is_never_overwritten(tmp_path):
    path = tmp_path / "state.json"
    newer = json.dumps({"version": 2, "profiles": {"default": {"http://a": ["r1"]}}}).encode()
    path.write_bytes(newer)
    state = StateFile(path)
    said = problems_of(state)
    assert state.problem is not None and "newer tf-tui (format 2" in state.problem
    state.add("http://a", "r2")
    state.add("http://a", "r3")
    assert path.read_bytes() == newer
    assert [entry.name for entry in tmp_path.iterdir() if entry.name != "state.json.lock"] == ["state.json"]
    assert state.active("http://a") == ["r2", "r3"]  # kept for this process, and said so
    assert said == []  # the same problem was already reported when the file was read
    assert "not remembered after this tf-tui exits" in state.problem


def test_a_file_that_cannot_be_read_is_left_alone(tmp_path):
    path = tmp_path / "state.json"
    path.mkdir()  # reading fails with EISDIR, whoever runs the test (root reads any mode)
    (path / "keep").write_text("x")
    state = StateFile(path)
    assert state.problem is not None and "cannot read the state file" in state.problem
    state.add("http://a", "r1")
    assert (path / "keep").read_text() == "x"
    assert state.active("http://a") == ["r1"]


@pytest.mark.parametrize("where", ["under a regular file", "in /proc"])
def test_an_unwritable_place_is_reported_once_and_the_ids_kept_in_memory(tmp_path, where):
    if where == "in /proc":
        path = Path("/proc/tf-tui-test/state.json")
    else:
        (tmp_path / "file").write_text("")
        path = tmp_path / "file" / "state.json"
    state = StateFile(path)
    said = problems_of(state)
    state.add("http://a", "r1")
    state.add("http://a", "r2")
    state.remove("http://a", "r1")
    assert len(said) == 1 and said[0].startswith(f"cannot write the state file {path}")
    assert "not remembered after this tf-tui exits" in said[0]
    assert state.active("http://a") == ["r2"]


def write_to_a_full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next temporary file is /dev/full: every write to it fails with ENOSPC, as on a full disk."""
    real_mkstemp = tempfile.mkstemp

    def full_mkstemp(**arguments: object) -> tuple[int, str]:
        descriptor, name = real_mkstemp(**arguments)
        os.close(descriptor)
        return os.open("/dev/full", os.O_WRONLY), name

    monkeypatch.setattr(atomic_file.tempfile, "mkstemp", full_mkstemp)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_keeps_the_old_file_whole_and_the_new_id_until_a_write_succeeds(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    StateFile(path).add("http://a", "r1")
    before = path.read_bytes()
    state = StateFile(path)
    said = problems_of(state)
    with monkeypatch.context() as patch:
        write_to_a_full_disk(patch)
        state.add("http://a", "r2")
    assert path.read_bytes() == before  # not torn, not emptied
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["state.json", "state.json.lock"]
    assert len(said) == 1 and os.strerror(errno.ENOSPC) in said[0]
    assert state.active("http://a") == ["r1", "r2"]
    StateFile(path).add("http://a", "r3")  # another process writes meanwhile
    state.add("http://b", "r4")  # space again: the change that failed is written with this one
    reread = StateFile(path)
    assert (reread.active("http://a"), reread.active("http://b")) == (["r1", "r3", "r2"], ["r4"])
    assert state.problem is None


def test_a_temporary_file_left_by_a_killed_writer_is_cleaned_up(tmp_path):
    path = tmp_path / "state.json"
    leftover = tmp_path / ".state.json.abc123.tmp"
    leftover.write_text('{"version": 1, "back')
    StateFile(path).add("http://a", "r1")
    assert not leftover.exists()


def test_a_change_on_disk_is_told_by_one_stat(tmp_path):
    path = tmp_path / "state.json"
    state = StateFile(path)
    assert not state.changed_on_disk()
    state.add("http://a", "r1")
    assert not state.changed_on_disk()  # its own write
    StateFile(path).add("http://a", "r2")
    assert state.changed_on_disk()
    assert state.active("http://a") == ["r1"]  # until it reads again
    state.reload()
    assert not state.changed_on_disk() and state.active("http://a") == ["r1", "r2"]
    path.unlink()
    assert state.changed_on_disk()


def test_a_failing_problem_listener_does_not_stop_the_state_file(tmp_path):
    (tmp_path / "file").write_text("")
    state = StateFile(tmp_path / "file" / "state.json")

    def broken(problem: str) -> None:
        raise RuntimeError(problem)

    state.on_problem = broken
    state.add("http://a", "r1")
    assert state.problem is not None and state.active("http://a") == ["r1"]


# --- a state file that is not one tf-tui wrote: a FIFO, a device, too big, too many runs --------------

HANG_DETECTOR_S = 30  # opening a FIFO for reading blocks until a writer comes: the test hangs, not fails


@pytest.mark.timeout(HANG_DETECTOR_S)
@pytest.mark.parametrize(
    ("make", "words"),
    [
        (os.mkfifo, "it is a FIFO, not a regular file"),
        (lambda path: path.symlink_to("/dev/zero"), "it is a character device, not a regular file"),
        (lambda path: path.write_bytes(b" " * (MAX_FILE_BYTES + 1)), "it is 16 MB, more than the 16 MB tf-tui reads"),
    ],
    ids=["fifo", "symlink to /dev/zero", "too big"],
)
def test_a_file_that_is_not_a_regular_file_or_too_big_is_said_and_left_as_it_is(tmp_path, make, words):
    path = tmp_path / "state.json"
    make(path)
    before = os.lstat(path)
    state = StateFile(path)
    assert state.problem == (
        f"cannot read the state file {path} ({words}); it is left as it is: move it away and tf-tui starts a new "
        "one; runs started or watched now are not remembered after this tf-tui exits"
    )
    state.add("http://a", "r1")
    assert state.active("http://a") == ["r1"]  # kept for this process, and said so
    after = os.lstat(path)
    assert (after.st_ino, after.st_mode, after.st_size) == (before.st_ino, before.st_mode, before.st_size)
    assert [entry.name for entry in tmp_path.iterdir() if entry.name != "state.json.lock"] == ["state.json"]


def test_a_symlink_to_a_state_file_is_read_through(tmp_path):
    real = tmp_path / "dotfiles" / "state.json"
    StateFile(real).add("http://a", "r1")
    link = tmp_path / "state.json"
    link.symlink_to(real)
    state = StateFile(link)
    assert state.active("http://a") == ["r1"] and state.problem is None


def test_beyond_the_bound_the_ended_runs_go_first_then_the_earliest_added_with_a_log_line(tmp_path, caplog):
    path = tmp_path / "state.json"
    state = StateFile(path)
    first = [f"r{number}" for number in range(MAX_RUNS_PER_BACKEND)]
    state.add_many("http://a", first)
    state.add("http://b", "other")
    state.ended = lambda train_id: train_id in ("r500", "r700")
    with caplog.at_level(logging.WARNING, logger="tf_tui.core.state"):
        state.add_many("http://a", ["new1", "new2", "new3"])
    expected = [*(ident for ident in first if ident not in ("r500", "r700", "r0")), "new1", "new2", "new3"]
    assert StateFile(path).active("http://a") == expected
    assert StateFile(path).active("http://b") == ["other"]  # each backend has its own bound
    assert [record.getMessage() for record in caplog.records] == [
        f"the state file {path} keeps at most {MAX_RUNS_PER_BACKEND} runs per backend: 3 of http://a are "
        "forgotten, those known to have ended first, then the earliest added (r500, r700, r0)"
    ]
    assert state.problem is None


def test_a_file_with_more_runs_than_the_bound_is_read_as_its_latest_and_cut_at_the_next_write(tmp_path, caplog):
    path = tmp_path / "state.json"
    ids = [f"r{number}" for number in range(MAX_RUNS_PER_BACKEND + 5)]
    path.write_text(json.dumps({"version": 1, "backends": {"http://a": {"active": ids}}}))
    before = path.read_bytes()
    with caplog.at_level(logging.WARNING, logger="tf_tui.core.state"):
        state = StateFile(path)
    assert state.active("http://a") == ids[5:]
    assert "5 of http://a are forgotten" in caplog.text and "(r0, r1, r2, …)" in caplog.text
    assert path.read_bytes() == before  # reading alone changes nothing
    state.add("http://b", "r1")
    assert json.loads(path.read_text())["backends"]["http://a"]["active"] == ids[5:]


def test_runs_removed_together_are_written_once(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    state = StateFile(path)
    state.add_many("http://a", ["r1", "r2", "r3"])
    writes = []
    real_write = state_module.write_json_atomically
    monkeypatch.setattr(state_module, "write_json_atomically", lambda *args: writes.append(1) or real_write(*args))
    state.remove_many("http://a", ["r1", "r3", "not-there"])
    assert StateFile(path).active("http://a") == ["r2"] and len(writes) == 1


def test_a_new_state_directory_is_private(tmp_path):
    old_umask = os.umask(0o022)  # the usual umask, which leaves a new directory readable by everyone
    try:
        StateFile(tmp_path / "state" / "tf-tui" / "state.json").add("http://a", "r1")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "state" / "tf-tui").stat().st_mode) == 0o700


# --- as a user runs it: `tf-tui status` in a process of its own -----------------------------------

MEMORY_CAP_BYTES = 2**30  # far more than `status` needs; a read without bounds hits it in seconds


def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))


@pytest.mark.parametrize(
    ("make", "words"),
    [(os.mkfifo, "a FIFO"), (lambda path: path.symlink_to("/dev/zero"), "a character device")],
    ids=["fifo", "symlink to /dev/zero"],
)
def test_status_on_a_fifo_or_a_device_says_so_at_once_and_lists_the_server(tmp_path, server, make, words):
    """Before: a FIFO blocked `open()` for good (the timeout here is the hang detector), /dev/zero grew the
    process to gigabytes (here capped at 1 GB, so that a regression fails fast instead of eating the machine)."""
    make(tmp_path / "state.json")
    result = subprocess.run(
        tf_tui_command(server.url, "status"),
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        env=cli_environment(tmp_path),
        preexec_fn=cap_memory,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"tf-tui status: warning: cannot read the state file {tmp_path / 'state.json'} (it is {words}, not a regular "
        "file); it is left as it is: move it away and tf-tui starts a new one" in result.stderr
    )
    assert "Traceback" not in result.stderr


def write_state(path: Path, backends: dict[str, list[str]]) -> None:
    document = {"version": 1, "backends": {key: {"active": ids} for key, ids in backends.items()}}
    path.write_text(json.dumps(document))


def test_an_older_files_local_key_is_read_as_the_url_of_the_server_recorded_in_that_data_dir(tmp_path):
    """Earlier versions kept the `--local` server's runs under `local:<data dir>`, apart from its URL: one
    server, two memories. Merged on read into the URL's, and written so with the next change."""
    data_dir = tmp_path / "local-server"
    data_dir.mkdir()
    write_address(data_dir, ServerAddress("http://127.0.0.1:40123", os.getpid(), new_instance_id()))
    path = tmp_path / "state.json"
    write_state(path, {f"local:{data_dir}": ["r1", "r2"], "http://127.0.0.1:40123": ["r2", "r3"]})
    state = StateFile(path)
    assert state.active("http://127.0.0.1:40123/") == ["r1", "r2", "r3"]
    state.add("http://127.0.0.1:40123", "r4")
    assert json.loads(path.read_text())["backends"] == {"http://127.0.0.1:40123": {"active": ["r1", "r2", "r3", "r4"]}}


def test_an_older_files_local_key_with_no_server_recorded_is_kept_until_one_is(tmp_path):
    data_dir = tmp_path / "local-server"
    path = tmp_path / "state.json"
    write_state(path, {f"local:{data_dir}": ["r1"]})
    StateFile(path).add("http://b:8084", "r2")  # another backend's change writes the file
    assert json.loads(path.read_text())["backends"][f"local:{data_dir}"] == {"active": ["r1"]}
    data_dir.mkdir()
    write_address(data_dir, ServerAddress("http://127.0.0.1:40124", os.getpid(), new_instance_id()))
    assert StateFile(path).active("http://127.0.0.1:40124") == ["r1"]


def test_one_backend_is_one_key_however_its_url_is_written(tmp_path):
    state = StateFile(tmp_path / "state.json")
    state.add("HTTP://Box:8084/", "r1")
    state.add("http://box:8084", "r2")
    assert StateFile(tmp_path / "state.json").active("http://BOX:8084") == ["r1", "r2"]


def test_a_backends_runs_move_to_its_new_url_in_one_write(tmp_path):
    """The `--local` server restarted on another port: its runs are the new URL's, none lost."""
    path = tmp_path / "state.json"
    state = StateFile(path)
    state.add_many("http://127.0.0.1:1111", ["r1", "r2"])
    state.add("http://127.0.0.1:2222", "r3")
    state.move("http://127.0.0.1:1111", "http://127.0.0.1:2222")
    assert json.loads(path.read_text())["backends"] == {"http://127.0.0.1:2222": {"active": ["r3", "r1", "r2"]}}
