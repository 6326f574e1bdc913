"""The reference server's address file: written whole and private, read back or refused, removed only by
the instance it names."""

from __future__ import annotations

import os
import stat

import pytest

from tf_tui.common.server_address import ADDRESS_FILE, ServerAddress, read_address, remove_address, write_address

ADDRESS = ServerAddress(url="http://127.0.0.1:8084", pid=1234, instance="abc")


def test_an_address_reads_back_as_written_private_and_durable(tmp_path, monkeypatch):
    synced: list[bool] = []
    real_fsync = os.fsync
    monkeypatch.setattr(
        os,
        "fsync",
        lambda descriptor: synced.append(stat.S_ISDIR(os.fstat(descriptor).st_mode)) or real_fsync(descriptor),
    )
    write_address(tmp_path, ADDRESS)
    assert read_address(tmp_path) == ADDRESS
    assert [path.name for path in tmp_path.iterdir()] == [ADDRESS_FILE]  # no partial file left behind
    assert stat.S_IMODE((tmp_path / ADDRESS_FILE).stat().st_mode) == 0o600
    assert synced == [False, True]  # the file's bytes, then the directory's entry for the rename


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
