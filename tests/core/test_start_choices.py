"""The start dialog's remembered choices: per backend, and never an error that reaches the user."""

from __future__ import annotations

import json
import logging
import os
import stat

import pytest

from tf_tui.common.server_address import ServerAddress, new_instance_id, write_address
from tf_tui.core.backend_file import MAX_FILE_BYTES
from tf_tui.core.start_choices import StartChoices, StartChoicesFile


def test_choices_are_kept_per_backend(tmp_path):
    path = tmp_path / "start-choices.json"
    StartChoicesFile(path).remember("http://a:8084/", StartChoices("small", ("d1", "d2"), "speed", {"max_steps": 9}))
    StartChoicesFile(path).remember("http://b:8084", StartChoices("tiny", ("d3",), "quality", {}))
    again = StartChoicesFile(path)
    assert again.get("http://a:8084") == StartChoices("small", ("d1", "d2"), "speed", {"max_steps": 9})
    assert again.get("http://b:8084/").model == "tiny"
    assert again.get("http://c:8084") == StartChoices()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [leftover.name for leftover in tmp_path.iterdir() if leftover.name.endswith(".tmp")] == []


def test_a_dataset_just_uploaded_becomes_the_one_ticked_and_the_rest_stays(tmp_path):
    path = tmp_path / "start-choices.json"
    StartChoicesFile(path).remember("http://a:8084", StartChoices("small", ("d1", "d2"), "speed", {"max_steps": 9}))
    StartChoicesFile(path).prefer_dataset("http://a:8084/", "new")
    StartChoicesFile(path).prefer_dataset("http://b:8084", "other")  # a backend with no choices yet
    assert StartChoicesFile(path).get("http://a:8084") == StartChoices("small", ("new",), "speed", {"max_steps": 9})
    assert StartChoicesFile(path).get("http://b:8084") == StartChoices(datasets=("other",))


def test_a_damaged_or_foreign_file_gives_defaults_and_is_replaced_by_the_next_choice(tmp_path):
    path = tmp_path / "start-choices.json"
    for content in (b"\xff not json", b'{"version": 1, "backends": {"http://a:8084": {"model": 3, "datasets": "x"}}}'):
        path.write_bytes(content)
        assert StartChoicesFile(path).get("http://a:8084") == StartChoices()
    StartChoicesFile(path).remember("http://a:8084", StartChoices("tiny"))
    assert StartChoicesFile(path).get("http://a:8084").model == "tiny"


def test_a_file_that_cannot_be_written_is_not_an_error(tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    choices = StartChoicesFile(blocked / "start-choices.json")
    choices.remember("http://a:8084", StartChoices("tiny"))
    assert choices.get("http://a:8084") == StartChoices()


def test_a_file_from_a_newer_tf_tui_is_left_as_it_is_and_said_once(tmp_path, caplog):
    path = tmp_path / "start-choices.json"
    newer = b'{"version": 2, "backends": {"http://a:8084": {"model": {"name": "tiny", "revision": 3}}}}'
    path.write_bytes(newer)
    with caplog.at_level(logging.WARNING, logger="tf_tui.core.start_choices"):
        for _ in range(2):  # two start dialogs, one after the other
            choices = StartChoicesFile(path)
            assert choices.get("http://a:8084") == StartChoices()
            choices.remember("http://a:8084", StartChoices("small", ("d1",)))
    assert path.read_bytes() == newer
    said = [record.getMessage() for record in caplog.records if "newer tf-tui" in record.getMessage()]
    assert len(said) == 1 and "left as it is" in said[0]


@pytest.mark.timeout(30)  # opening a FIFO for reading blocks until a writer comes: the test hangs, not fails
@pytest.mark.parametrize(
    ("make", "words"),
    [
        (os.mkfifo, "it is a FIFO, not a regular file"),
        (lambda path: path.symlink_to("/dev/zero"), "it is a character device, not a regular file"),
        (lambda path: path.write_bytes(b" " * (MAX_FILE_BYTES + 1)), "it is 1 MB, more than the 1 MB tf-tui reads"),
    ],
    ids=["fifo", "symlink to /dev/zero", "too big"],
)
def test_a_file_that_is_not_a_regular_file_or_too_big_gives_defaults_and_is_never_replaced(
    tmp_path, caplog, make, words
):
    path = tmp_path / "state" / "start-choices.json"
    path.parent.mkdir()
    make(path)
    before = os.lstat(path)
    choices = StartChoicesFile(path)
    with caplog.at_level(logging.WARNING, logger="tf_tui.core.start_choices"):
        assert choices.get("http://a:8084") == StartChoices()
        choices.remember("http://a:8084", StartChoices("tiny"))
    after = os.lstat(path)
    assert (after.st_ino, after.st_mode, after.st_size) == (before.st_ino, before.st_mode, before.st_size)
    assert f"the start dialog's choices are not read from {path} ({words}): it is left as it is" in caplog.text


def test_a_new_directory_for_the_choices_is_private(tmp_path):
    old_umask = os.umask(0o022)  # the usual umask, which leaves a new directory readable by everyone
    try:
        StartChoicesFile(tmp_path / "tf-tui" / "start-choices.json").remember("http://a", StartChoices("tiny"))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "tf-tui").stat().st_mode) == 0o700


def test_an_older_local_key_is_the_recorded_servers_url_and_choices_move_with_the_server(tmp_path):
    data_dir = tmp_path / "local-server"
    data_dir.mkdir()
    write_address(data_dir, ServerAddress("http://127.0.0.1:40125", os.getpid(), new_instance_id()))
    path = tmp_path / "start-choices.json"
    path.write_text(json.dumps({"version": 1, "backends": {f"local:{data_dir}": {"model": "small"}}}))
    assert StartChoicesFile(path).get("http://127.0.0.1:40125/").model == "small"
    StartChoicesFile(path).move("http://127.0.0.1:40125", "http://127.0.0.1:40126")
    assert StartChoicesFile(path).get("http://127.0.0.1:40126").model == "small"
