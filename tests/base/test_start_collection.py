"""The collector held off for the dashboard's start, and what releasing it does and does not do."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tf_tui.base import start_collection


@pytest.fixture
def collector() -> Iterator[None]:
    """Whatever the test does, the collector is on afterwards and nothing is left frozen."""
    try:
        yield
    finally:
        start_collection.release()
        start_collection.connected()
        gc.unfreeze()
        gc.enable()


def test_a_release_after_the_hold_collects_again_and_leaves_the_start_s_objects_out(collector):
    start_collection.hold()
    assert not gc.isenabled()
    start_collection.release()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    frozen = gc.get_freeze_count()
    start_collection.release()  # the second time: nothing
    assert gc.get_freeze_count() == frozen


def test_a_collector_that_was_off_stays_off(collector):
    gc.disable()
    start_collection.hold()
    start_collection.release()
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_release_without_a_hold_freezes_nothing(collector):
    start_collection.release()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_once_connected_what_connecting_made_is_kept_out_too_once(collector):
    start_collection.hold()
    start_collection.release()
    frozen = gc.get_freeze_count()
    made_since = [[] for _ in range(1_000)]  # the network's libraries, the sessions
    start_collection.connected()
    assert gc.get_freeze_count() >= frozen + len(made_since)
    frozen = gc.get_freeze_count()
    made_since.append([])
    start_collection.connected()  # the second time: nothing
    assert gc.get_freeze_count() == frozen


def test_connected_without_the_start_kept_out_freezes_nothing(collector):
    frozen = gc.get_freeze_count()
    start_collection.connected()
    assert gc.get_freeze_count() == frozen
