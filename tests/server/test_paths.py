"""Ids name files inside their folder and nowhere else."""

from __future__ import annotations

import pytest

from tf_tui.server.paths import UnsafePath, file_in


@pytest.mark.parametrize(
    "name", ["../x", "..", "/etc/passwd", "a/b", "a\\b", "a\x00b", ".hidden", "-rf", "", "a.b", "x" * 129, "é"]
)
def test_a_name_that_is_not_a_plain_id_is_refused(tmp_path, name):
    with pytest.raises(UnsafePath):
        file_in(tmp_path, name, ".jsonl")


def test_plain_ids_name_files_in_the_folder(tmp_path):
    assert file_in(tmp_path, "builtin-units", ".jsonl") == tmp_path / "builtin-units.jsonl"
    assert file_in(tmp_path, "0b7c4c9e-1d2f-4a8e-9f3a-2c1d5e6f7a8b", ".log").parent == tmp_path


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    folder, outside = tmp_path / "datasets", tmp_path / "outside.jsonl"
    folder.mkdir()
    outside.write_text("secret")
    (folder / "planted.jsonl").symlink_to(outside)
    with pytest.raises(UnsafePath, match="leads outside"):
        file_in(folder, "planted", ".jsonl")
    (folder / "inner.jsonl").write_text("fine")
    (folder / "alias.jsonl").symlink_to(folder / "inner.jsonl")
    assert file_in(folder, "alias", ".jsonl") == folder / "alias.jsonl"
