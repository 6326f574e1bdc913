"""The screen snapshot: the runs a dashboard showed, restored unconfirmed at the next start; a cache that
never blocks or breaks a start."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest

from tests.conftest import client_settings
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.config import Backend
from tf_tui.core.fleet import Fleet
from tf_tui.core.identity import backend_key
from tf_tui.core.run_memory import run_memory_path
from tf_tui.core.screen_snapshot import ROWS, ScreenSnapshot, screen_snapshot_path, unlisted
from tf_tui.core.store import RunFacts, Source

URL = "http://127.0.0.1:9"  # never reached: the sessions are only stores here


@pytest.fixture
async def make_fleet(tmp_path):
    made: list[Fleet] = []

    def make(*backends: Backend) -> Fleet:
        settings = client_settings(URL, tmp_path)
        fleet = Fleet.from_settings(replace(settings, backends=backends) if backends else settings)
        made.append(fleet)
        return fleet

    yield make
    for fleet in made:
        await fleet.close()


def snapshot_of(tmp_path) -> ScreenSnapshot:
    return ScreenSnapshot(screen_snapshot_path(tmp_path / "state.json"))


def report(fleet: Fleet, train_id: str, status: str, progress: int, **details: object) -> None:
    session = fleet.sessions[fleet.names[0]]
    session.store.apply(RunUpdate(train_id, status, progress, details=dict(details)), Source.WS, 100.0)


def test_the_snapshot_lies_beside_the_state_file(tmp_path):
    assert screen_snapshot_path(tmp_path / "state.json") == tmp_path / "state.screen.json"


def test_what_one_dashboard_showed_the_next_restores_unconfirmed(tmp_path, make_fleet):
    first = make_fleet()
    report(first, "run-a", "training", 37, step=370, total_steps=1000, loss=1.25, eta_s=12.0)
    report(first, "run-b", "completed", 100)
    started = RunFacts(dataset_ids=("d1", "d2"), params={"max_steps": 1000}, outcome_preference="quality")
    first.sessions[first.names[0]].store.add_facts("run-a", started)
    first.sessions[first.names[0]].store.ensure("typed-id")  # an id no backend answered for
    snapshot_of(tmp_path).save(first)

    second = make_fleet()
    assert snapshot_of(tmp_path).restore(second) == 2
    runs = second.sessions[second.names[0]].store.runs
    assert set(runs) == {"run-a", "run-b"}
    restored = runs["run-a"]
    assert (restored.status, restored.progress, restored.details) == (
        "training",
        37,
        {"step": 370, "total_steps": 1000, "loss": 1.25, "eta_s": 12.0},
    )
    assert restored.extra == {"dataset_ids": ["d1", "d2"], "params": {"max_steps": 1000}, "outcome": "quality"}
    assert restored.from_snapshot and not restored.confirmed
    assert runs["run-b"].ended
    assert {key.train_id for key in second.take_changed()} == {"run-a", "run-b"}  # painted at once


def test_a_report_confirms_a_restored_run(tmp_path, make_fleet):
    first = make_fleet()
    report(first, "run-a", "training", 37)
    snapshot_of(tmp_path).save(first)
    second = make_fleet()
    snapshot_of(tmp_path).restore(second)
    report(second, "run-a", "training", 40)
    run = second.sessions[second.names[0]].store.runs["run-a"]
    assert not run.from_snapshot and run.progress == 40


def test_a_dashboard_that_quits_before_its_backend_answers_keeps_what_it_had(tmp_path, make_fleet):
    first = make_fleet()
    report(first, "run-a", "training", 37)
    snapshot_of(tmp_path).save(first)
    offline = make_fleet()
    snapshot_of(tmp_path).restore(offline)
    snapshot_of(tmp_path).save(offline)
    third = make_fleet()
    assert snapshot_of(tmp_path).restore(third) == 1


def test_only_the_newest_rows_are_kept(tmp_path, make_fleet):
    fleet = make_fleet()
    store = fleet.sessions[fleet.names[0]].store
    for index in range(ROWS + 20):
        store.apply(RunUpdate(f"run-{index:03}", "training", 1), Source.WS, 1.0)
        store.describe(f"run-{index:03}", created_at=f"2026-12-01T00:{index // 60:02}:{index % 60:02}")
    snapshot_of(tmp_path).save(fleet)
    later = make_fleet()
    assert snapshot_of(tmp_path).restore(later) == ROWS
    kept = set(later.sessions[later.names[0]].store.runs)
    assert kept == {f"run-{index:03}" for index in range(20, ROWS + 20)}


def test_each_backend_gets_its_own_rows_back(tmp_path, make_fleet):
    backends = (Backend("gpu1", "http://127.0.0.1:9"), Backend("gpu2", "http://127.0.0.2:9"))
    fleet = make_fleet(*backends)
    fleet.session("gpu1").store.apply(RunUpdate("run-1", "training", 5), Source.WS, 1.0)
    fleet.session("gpu2").store.apply(RunUpdate("run-2", "training", 6), Source.WS, 1.0)
    snapshot_of(tmp_path).save(fleet)
    later = make_fleet(*backends)
    snapshot_of(tmp_path).restore(later)
    assert set(later.session("gpu1").store.runs) == {"run-1"}
    assert set(later.session("gpu2").store.runs) == {"run-2"}


def test_a_save_that_changes_nothing_writes_nothing(tmp_path, make_fleet):
    fleet = make_fleet()
    report(fleet, "run-a", "training", 37)
    snapshot = snapshot_of(tmp_path)
    snapshot.save(fleet)
    snapshot.path.unlink()
    snapshot.save(fleet)
    assert not snapshot.path.exists()
    report(fleet, "run-a", "training", 38)
    snapshot.save(fleet)
    assert snapshot.path.exists()


def test_runs_the_listing_no_longer_names_are_the_snapshot_s_own_unconfirmed_ones(tmp_path, make_fleet):
    first = make_fleet()
    report(first, "kept", "training", 37)
    report(first, "gone", "completed", 100)
    snapshot_of(tmp_path).save(first)
    second = make_fleet()
    snapshot_of(tmp_path).restore(second)
    report(second, "live-only", "training", 1)  # confirmed, and not listed either: not the snapshot's to drop
    assert unlisted(second, second.names[0], ["kept"]) == ["gone"]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe not utf-8",
        b"{not json",
        b"[1, 2, 3]",
        b'{"version": 99, "backends": {}}',
        b'{"version": 1, "backends": []}',
        b"[" * 100_000,  # too deep for the decoder
    ],
    ids=["empty", "not-utf8", "not-json", "a-list", "newer-version", "backends-not-an-object", "too-deep"],
)
def test_a_snapshot_that_does_not_parse_restores_nothing_and_is_replaced(tmp_path, make_fleet, content):
    snapshot = snapshot_of(tmp_path)
    snapshot.path.write_bytes(content)
    fleet = make_fleet()
    assert snapshot.restore(fleet) == 0
    report(fleet, "run-a", "training", 37)
    snapshot.save(fleet)
    assert snapshot_of(tmp_path).restore(make_fleet()) == 1


def test_rows_that_make_no_sense_are_left_out(tmp_path, make_fleet):
    rows = [
        "not a row",
        {"status": "training"},  # no id
        {"train_id": "x" * 1000},  # no tf-tui id is that long
        {"train_id": "run-a", "progress": "37", "details": {"loss": "low", "step": True, "eta_s": 3}, "missing": 1},
        {"train_id": "run-b", "progress": 400, "status": ["training"], "seen_change_at": "yesterday"},
    ]
    document = {"version": 1, "backends": {backend_key(URL): rows}}
    snapshot_of(tmp_path).path.write_text(json.dumps(document))
    fleet = make_fleet()
    assert snapshot_of(tmp_path).restore(fleet) == 2
    runs = fleet.sessions[fleet.names[0]].store.runs
    assert (runs["run-a"].progress, runs["run-a"].details, runs["run-a"].missing) == (None, {"eta_s": 3}, False)
    assert (runs["run-b"].progress, runs["run-b"].status, runs["run-b"].seen_change_at) == (None, None, None)


def test_a_snapshot_that_is_not_a_regular_file_never_blocks_the_start(tmp_path, make_fleet):
    snapshot = snapshot_of(tmp_path)
    os.mkfifo(snapshot.path)  # opened for reading, a FIFO without a writer would block for ever
    assert snapshot.restore(make_fleet()) == 0


def test_a_snapshot_far_bigger_than_tf_tui_writes_is_not_read(tmp_path, make_fleet):
    snapshot = snapshot_of(tmp_path)
    row = {"train_id": "run-a", "status": "training"}
    snapshot.path.write_text(json.dumps({"version": 1, "backends": {backend_key(URL): [row] * 100_000}}))
    assert snapshot.restore(make_fleet()) == 0


def test_a_snapshot_that_cannot_be_written_is_only_a_slower_next_start(tmp_path, make_fleet):
    fleet = make_fleet()
    report(fleet, "run-a", "training", 37)
    blocked = ScreenSnapshot(tmp_path / "a-file" / "state.screen.json")
    (tmp_path / "a-file").write_text("in the way of the directory")
    blocked.save(fleet)  # says so in the log; raises nothing
    assert not blocked.path.exists()


def test_the_run_memory_is_not_read_for_the_first_screen(tmp_path, make_fleet):
    # Thousands of runs take tens of milliseconds to read: the restored rows carry their facts themselves. A
    # memory that does not parse is said (in the event log) when it is read: not while the snapshot is restored.
    first = make_fleet()
    report(first, "run-a", "training", 37)
    snapshot_of(tmp_path).save(first)
    run_memory_path(tmp_path / "state.json").write_text("{not json")
    second = make_fleet()
    snapshot_of(tmp_path).restore(second)
    session = second.sessions[second.names[0]]
    assert not [entry for entry in session.events.entries if "run memory" in entry.text]
    session.store.ensure("run-b")  # a run new to the store: what was remembered of it is asked for
    assert [entry for entry in session.events.entries if "run memory" in entry.text]
