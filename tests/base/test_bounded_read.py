"""A small file of tf-tui's own is read only if it is a regular file, only up to a limit, never blocking."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tf_tui.base.bounded_read import (
    FileTooBig,
    NotARegularFile,
    read_regular_file,
    read_regular_file_with_status,
)

HANG_DETECTOR_S = 30  # opening a FIFO for reading blocks until a writer comes: the test hangs, not fails


def test_a_regular_file_is_read_directly_or_through_a_symlink(tmp_path):
    path = tmp_path / "state.json"
    path.write_bytes(b"{}")
    link = tmp_path / "linked.json"
    link.symlink_to(path)
    assert read_regular_file(path, 2) == b"{}"
    content, status = read_regular_file_with_status(link, 2)
    assert content == b"{}" and status.st_ino == path.stat().st_ino  # the file read, not the link


@pytest.mark.timeout(HANG_DETECTOR_S)
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "state.json"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile) as refused:
        read_regular_file(fifo, 100)
    assert refused.value.strerror == "it is a FIFO, not a regular file"
    assert isinstance(refused.value, OSError) and refused.value.filename == str(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # left as it is


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda path: path.symlink_to("/dev/zero"), "a character device"),
        (lambda path: path.mkdir(), "a directory"),
    ],
    ids=["symlink to /dev/zero", "directory"],
)
def test_anything_but_a_regular_file_is_refused_before_a_byte_is_read(tmp_path, make, kind):
    path = tmp_path / "config.toml"
    make(path)
    with pytest.raises(NotARegularFile, match=f"it is {kind}, not a regular file"):
        read_regular_file(path, 100)


def test_a_file_bigger_than_the_limit_is_refused_with_its_size_and_the_limit(tmp_path):
    path = tmp_path / "state.json"
    path.write_bytes(b"x" * (3 * 1024 * 1024))
    assert len(read_regular_file(path, 3 * 1024 * 1024)) == 3 * 1024 * 1024
    with pytest.raises(FileTooBig) as refused:
        read_regular_file(path, 2 * 1024 * 1024)
    assert refused.value.strerror == "it is 3 MB, more than the 2 MB tf-tui reads"
    assert (refused.value.size, refused.value.limit) == (3 * 1024 * 1024, 2 * 1024 * 1024)


def test_a_file_longer_than_its_size_says_is_still_read_only_up_to_the_limit():
    """A /proc file is regular and says size 0, whatever it holds: the read itself is bounded too."""
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0 and len(status.read_bytes()) > 100
    with pytest.raises(FileTooBig, match="more than the 100 bytes tf-tui reads"):
        read_regular_file(status, 100)
