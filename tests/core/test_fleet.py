"""The fleet's merged view of its sessions: runs keyed by backend and id, changes, connection states."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import client_settings
from tf_tui.base.protocol import RunUpdate
from tf_tui.client.stream import Phase
from tf_tui.core.config import Backend
from tf_tui.core.fleet import Fleet, FleetError, RunKey
from tf_tui.core.session import Session
from tf_tui.core.store import Source


@pytest.fixture
async def fleet(tmp_path):
    # Never opened: the sessions are only stores here, no socket and no request is made.
    backends = (Backend("gpu1", "http://127.0.0.1:9"), Backend("gpu2", "http://127.0.0.2:9"))
    made = Fleet.from_settings(replace(client_settings("http://127.0.0.1:9", tmp_path), backends=backends))
    yield made
    await made.close()


def test_the_same_run_id_on_two_backends_is_two_runs(fleet):
    changes = []
    fleet.on_change = lambda: changes.append(True)
    fleet.session("gpu2").store.describe("run-1", base_model="tiny")
    fleet.session("gpu1").store.describe("run-1", base_model="small")
    fleet.session("gpu1").store.apply(RunUpdate("run-2", "training", 10), Source.WS, 1.0)
    assert [(run.backend, run.run.train_id, run.run.base_model) for run in fleet.runs()] == [
        ("gpu1", "run-1", "small"),
        ("gpu1", "run-2", None),
        ("gpu2", "run-1", "tiny"),
    ]
    assert fleet.take_changed() == {RunKey("gpu1", "run-1"), RunKey("gpu1", "run-2"), RunKey("gpu2", "run-1")}
    assert fleet.take_changed() == set()
    fleet.session("gpu2").store.apply(RunUpdate("run-1", "failed", 50), Source.WS, 2.0)
    assert fleet.take_changed() == {RunKey("gpu2", "run-1")}
    assert fleet.get(RunKey("gpu1", "run-1")).status is None and fleet.get(RunKey("gpu2", "run-1")).ended


def test_runs_learned_later_come_after_and_forgotten_ones_leave(fleet):
    fleet.session("gpu2").store.describe("b")
    assert [run.key for run in fleet.runs()] == [RunKey("gpu2", "b")]
    fleet.session("gpu1").store.describe("a")
    assert [run.key for run in fleet.runs()] == [RunKey("gpu2", "b"), RunKey("gpu1", "a")]
    fleet.session("gpu2").store.forget("b")
    assert [run.key for run in fleet.runs()] == [RunKey("gpu1", "a")]


def test_some_runs_come_in_the_order_the_fleet_learned_of_them(fleet):
    for backend, train_id in (("gpu2", "b"), ("gpu1", "a"), ("gpu1", "c")):
        fleet.session(backend).store.describe(train_id)
        fleet.runs()  # learned one at a time
    asked = [RunKey("gpu1", "c"), RunKey("gpu2", "b"), RunKey("gpu2", "unknown")]
    assert [run.key for run in fleet.runs_of(asked)] == [RunKey("gpu2", "b"), RunKey("gpu1", "c")]
    fleet.session("gpu2").store.forget("b")
    assert [run.key for run in fleet.runs_of(asked)] == [RunKey("gpu1", "c")]


def test_each_backend_has_its_own_connection_and_state_key(fleet):
    assert fleet.names == ["gpu1", "gpu2"] and not fleet.single
    assert {name: state.phase for name, state in fleet.connections().items()} == {
        "gpu1": Phase.CONNECTING,
        "gpu2": Phase.CONNECTING,
    }
    assert [session.state_key for session in fleet.sessions.values()] == ["http://127.0.0.1:9", "http://127.0.0.2:9"]
    with pytest.raises(FleetError, match="no backend named 'gpu3' is followed \\(gpu1, gpu2\\)"):
        fleet.session("gpu3")


def test_a_session_change_tells_the_fleet(fleet):
    told = []
    fleet.on_change = lambda: told.append("changed")
    session: Session = fleet.session("gpu2")
    session.on_change()
    assert told == ["changed"]
