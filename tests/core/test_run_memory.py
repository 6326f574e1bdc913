"""The run memory: what tf-tui knew of runs, kept per backend beside the state file, bounded, shared by
processes, and given back to a run the store meets again."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.conftest import client_settings
from tf_tui.base.protocol import RunUpdate
from tf_tui.core import run_memory
from tf_tui.core.local_backend import move_memory
from tf_tui.core.run_memory import RunMemory, run_memory_path
from tf_tui.core.state import StateFile
from tf_tui.core.store import RunFacts, RunStore, Source

URL = "http://gpu1:8084"
SENT = RunFacts(
    base_model="tiny",
    dataset_ids=("d1", "d2"),
    params={"max_steps": 40},
    outcome_preference="quality",
    created_at="2026-11-29T01:00:00",
)


def test_the_file_sits_beside_the_state_file(tmp_path):
    assert run_memory_path(tmp_path / "state.json") == tmp_path / "state.runs.json"


def test_what_one_process_remembered_the_next_recalls_under_the_same_backend_only(tmp_path):
    path = tmp_path / "state.runs.json"
    RunMemory(path, URL).remember({"r1": SENT})
    assert RunMemory(path, URL + "/").recall("r1") == SENT  # keyed as the state file keys backends
    assert RunMemory(path, "http://gpu2:8084").recall("r1") is None
    assert path.stat().st_mode & 0o777 == 0o600


def test_later_facts_add_to_earlier_ones_and_nothing_new_writes_nothing(tmp_path):
    path = tmp_path / "state.runs.json"
    memory = RunMemory(path, URL)
    memory.remember({"r1": SENT})
    memory.remember({"r1": RunFacts(ended_at="2026-11-29T01:00:10")})
    assert RunMemory(path, URL).recall("r1") == RunFacts(**{**SENT.__dict__, "ended_at": "2026-11-29T01:00:10"})
    written = path.stat().st_mtime_ns
    memory.remember({"r1": RunFacts(base_model="tiny"), "r2": RunFacts()})
    assert path.stat().st_mtime_ns == written


def test_two_processes_each_keep_what_the_other_wrote(tmp_path):
    path = tmp_path / "state.runs.json"
    first, second = RunMemory(path, URL), RunMemory(path, URL)  # both read the file before either wrote
    first.remember({"r1": SENT})
    second.remember({"r2": RunFacts(base_model="small")})
    again = RunMemory(path, URL)
    assert (again.recall("r1"), again.recall("r2")) == (SENT, RunFacts(base_model="small"))


def test_only_the_newest_runs_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(run_memory, "RUNS_PER_BACKEND", 3)
    path = tmp_path / "state.runs.json"
    memory = RunMemory(path, URL)
    for number in range(5):
        memory.remember({f"r{number}": RunFacts(base_model=f"m{number}")})
    memory.remember({"r2": RunFacts(ended_at="2026-11-29T01:00:10")})  # known already: it keeps its place
    kept = json.loads(path.read_text())["backends"][URL]
    assert list(kept) == ["r2", "r3", "r4"]
    assert RunMemory(path, URL).recall("r0") is None


def test_a_file_that_is_not_json_is_started_anew_and_said_once(tmp_path):
    path = tmp_path / "state.runs.json"
    path.write_text("{not json")
    problems: list[str] = []
    memory = RunMemory(path, URL, problems.append)
    memory.remember({"r1": SENT})
    assert RunMemory(path, URL).recall("r1") == SENT
    assert len(problems) == 2 and all("is not JSON" in problem for problem in problems)
    assert "started anew" in problems[1]


def test_a_file_of_a_newer_tf_tui_is_left_as_it_is(tmp_path):
    path = tmp_path / "state.runs.json"
    newer = json.dumps({"version": 99, "backends": {}})
    path.write_text(newer)
    problems: list[str] = []
    memory = RunMemory(path, URL, problems.append)
    memory.remember({"r1": SENT})
    assert path.read_text() == newer
    assert memory.recall("r1") == SENT  # kept for this process
    assert len(problems) == 1 and "newer tf-tui" in problems[0]


def test_a_run_new_to_the_store_starts_from_what_was_remembered_and_the_server_adds_to_it():
    store = RunStore(recall={"r1": SENT}.get)
    run = store.ensure("r1")
    assert (run.base_model, run.created_at) == ("tiny", "2026-11-29T01:00:00")
    assert run.extra == {"dataset_ids": ["d1", "d2"], "params": {"max_steps": 40}, "outcome": "quality"}
    store.apply(RunUpdate("r1", "completed", 95, ended_at="2026-11-29T01:00:10"), Source.POLL, 1.0)
    assert run.facts() == RunFacts(**{**SENT.__dict__, "ended_at": "2026-11-29T01:00:10"})


@pytest.mark.timeout(30)  # opening a FIFO for reading blocks until a writer comes: the test hangs, not fails
def test_a_fifo_in_the_files_place_is_said_and_left_as_it_is(tmp_path):
    path = run_memory_path(tmp_path / "state.json")
    os.mkfifo(path)
    problems: list[str] = []
    memory = RunMemory(path, URL, problems.append)
    memory.remember({"r1": SENT})
    assert memory.recall("r1") == SENT  # kept for this process, never written there
    assert stat.S_ISFIFO(path.lstat().st_mode)
    assert problems and "it is a FIFO, not a regular file" in problems[0]


def test_what_was_known_moves_with_a_local_server_that_came_back_on_another_port(tmp_path):
    """It had stayed under the old URL: a relaunch on the new port showed runs without model or datasets."""
    settings = client_settings("http://127.0.0.1:4000", tmp_path)
    path = run_memory_path(settings.state_file)
    RunMemory(path, "http://127.0.0.1:4000").remember({"r1": SENT})
    RunMemory(path, "http://127.0.0.1:5000").remember({"r2": SENT})

    move_memory(StateFile(settings.state_file), settings, "http://127.0.0.1:4000", "http://127.0.0.1:5000")
    move_memory(StateFile(settings.state_file), settings, "http://127.0.0.1:5000", "http://127.0.0.1:6000")

    assert RunMemory(path, "http://127.0.0.1:6000").recall("r2") == SENT
    # The new URL had runs of its own when the first move came: they are kept, and the old ones not mixed in.
    assert RunMemory(path, "http://127.0.0.1:6000").recall("r1") is None
