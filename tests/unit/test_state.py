"""The state file: per backend, atomic, 0600, versioned; a bad file is set aside, never fatal."""

from __future__ import annotations

import json
import stat

from tf_tui.state import StateFile


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
    assert [entry.name for entry in path.parent.iterdir()] == ["state.json"]  # no temp files left


def test_two_writers_do_not_lose_each_others_runs(tmp_path):
    path = tmp_path / "state.json"
    dashboard, script = StateFile(path), StateFile(path)
    dashboard.add("http://a", "r1")
    script.add("http://a", "r2")
    dashboard.add("http://a", "r3")
    assert StateFile(path).active("http://a") == ["r1", "r2", "r3"]


def test_a_corrupt_file_is_moved_aside_and_reported(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"version": 1, "backends": {"http://a": {"active": ["r1"')
    state = StateFile(path)
    assert state.active("http://a") == []
    assert state.problem is not None and "unreadable" in state.problem
    aside = [entry for entry in tmp_path.iterdir() if entry.name.startswith("state.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_text().startswith('{"version": 1')
    state.add("http://a", "r2")
    assert StateFile(path).active("http://a") == ["r2"]


def test_a_wrong_shape_or_version_is_set_aside_too(tmp_path):
    for content in ('{"version": 99, "backends": {}}', "[]", '{"version": 1, "backends": {"u": {"active": [1]}}}'):
        path = tmp_path / "state.json"
        path.write_text(content)
        assert StateFile(path).problem is not None
        assert not path.exists()


def test_an_unwritable_place_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    state = StateFile(blocker / "state.json")
    state.add("http://a", "r1")
    assert state.problem is not None and "cannot write" in state.problem
