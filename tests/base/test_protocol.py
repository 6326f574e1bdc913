"""The wire parser: every shape of the contract, and anything else, without raising."""

from __future__ import annotations

import json
import time

import pytest

from tf_tui.base.protocol import (
    Ignored,
    Pong,
    RunAnnounced,
    RunUpdate,
    ServerError,
    StatusKind,
    SubscriptionConfirmed,
    SystemUpdate,
    TalentEvent,
    classify_status,
    parse_frame,
    parse_server_time,
    parse_status,
)


def frame(**fields) -> str:
    return json.dumps(fields)


def test_progress_update():
    event = parse_frame(
        frame(
            type="training_update",
            train_id="r1",
            timestamp="2026-11-29T00:54:54.123",
            data={"progress": 30, "status": "preprocessing", "details": {"message": "Preprocessing training data"}},
        )
    )
    assert event == RunUpdate(
        "r1", "preprocessing", 30, {"message": "Preprocessing training data"}, timestamp="2026-11-29T00:54:54.123"
    )


def test_completion_without_details_and_failure_with_error_in_result():
    done = parse_frame(
        frame(
            type="training_update",
            train_id="r1",
            data={"progress": 100, "status": "completed", "success": True, "result": {"a": 1}},
        )
    )
    assert isinstance(done, RunUpdate) and done.details == {} and done.result == {"a": 1} and done.error is None
    failed = parse_frame(
        frame(
            type="training_update",
            train_id="r1",
            data={"progress": 100, "status": "failed", "success": False, "result": {"error": "CUDA out of memory"}},
        )
    )
    assert isinstance(failed, RunUpdate) and failed.error == "CUDA out of memory"


def test_the_other_frame_types():
    assert parse_frame(
        frame(type="subscription_confirmed", train_id="r1", status="subscribed")
    ) == SubscriptionConfirmed("r1", "subscribed")
    assert parse_frame(frame(type="pong", timestamp="t")) == Pong("t")
    assert parse_frame(frame(type="error", message="Unknown message type: X")) == ServerError("Unknown message type: X")
    for silent in ({}, {"message": None}, {"message": ""}, {"message": "  "}):
        assert parse_frame(frame(type="error", **silent)) == ServerError(None)
    assert parse_frame(frame(type="system_update", data={"event": "model_download_progress"})) == SystemUpdate(
        {"event": "model_download_progress"}
    )
    assert parse_frame(frame(type="talent_event", event="talent_published", data={"id": 1})) == TalentEvent(
        "talent_published", {"id": 1}
    )


def test_run_announcements_of_the_reference_server():
    started = frame(
        type="system_update",
        data={"event": "training_started", "train_id": "r1", "base_model": "tiny", "status": "starting"},
        timestamp="2026-11-29T15:00:00",
    )
    assert parse_frame(started) == RunAnnounced("training_started", "r1", "tiny", "starting", "2026-11-29T15:00:00")
    ended = frame(type="system_update", data={"event": "training_ended", "train_id": "r1", "status": "stopped"})
    assert parse_frame(ended) == RunAnnounced("training_ended", "r1", None, "stopped", None)


@pytest.mark.parametrize("train_id", [None, "", 7, ["r1"]])
def test_a_run_announcement_without_a_run_id_is_ignored(train_id):
    event = parse_frame(frame(type="system_update", data={"event": "training_started", "train_id": train_id}))
    assert event == Ignored("training_started without a train_id")


@pytest.mark.parametrize("event", [{"nested": "bottom"}, ["training_started"], 7, None])
def test_a_system_update_whose_event_is_not_a_word_stays_a_system_update(event):
    # Found by `make soak`: an object here was looked up in a set and raised TypeError.
    data = {"event": event, "train_id": "r1"}
    assert parse_frame(frame(type="system_update", data=data)) == SystemUpdate(data)


def test_a_system_update_of_another_event_stays_a_system_update():
    queue = {"event": "training_queue", "running": ["r1"], "queued": []}
    assert parse_frame(frame(type="system_update", data=queue)) == SystemUpdate(queue)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00\x01", "binary"),
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON list"),
        ("null", "JSON NoneType"),
        (frame(type="mystery"), "unknown frame type 'mystery'"),
        (frame(no_type=1), "unknown frame type None"),
        (frame(type="training_update", data={}), "without a train_id"),
        (frame(type="training_update", train_id="r1", data="30%"), "without a data object"),
        (frame(type="subscription_confirmed", train_id=5), "without a train_id"),
    ],
)
def test_anything_else_is_ignored_with_a_reason(raw, reason):
    event = parse_frame(raw)
    assert isinstance(event, Ignored) and reason in event.reason


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        (30, 30),
        (30.7, 30),
        (150, 100),
        (-5, 0),
        ("30", None),
        (True, None),
        (None, None),
        (float("nan"), None),
        (float("inf"), None),
        (10**400, None),
    ],
)
def test_progress_is_a_percentage_or_unknown(progress, expected):
    event = parse_frame(frame(type="training_update", train_id="r1", data={"progress": progress, "status": "training"}))
    assert isinstance(event, RunUpdate) and event.progress == expected


def test_status_bodies_in_every_shape():
    live = parse_status("r1", {"status": "training", "progress": 50, "started_at": "2026-11-29T00:54:54"})
    assert isinstance(live, RunUpdate) and (live.status, live.progress) == ("training", 50)
    after_restart = parse_status(
        "r1", {"status": "pending", "outcome": "balanced", "created_at": "2026-11-29 00:54:54"}
    )
    assert isinstance(after_restart, RunUpdate) and after_restart.progress is None
    assert after_restart.extra == {"outcome": "balanced", "created_at": "2026-11-29 00:54:54"}
    failed = parse_status("r1", {"status": "failed", "progress": 0, "error": "boom"})
    assert isinstance(failed, RunUpdate) and failed.error == "boom"
    assert isinstance(parse_status("r1", ["status"]), Ignored)
    assert isinstance(parse_status("r1", {"progress": 5}), Ignored)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("completed", StatusKind.TERMINAL),
        ("Failed", StatusKind.TERMINAL),
        (" stopped ", StatusKind.TERMINAL),
        ("preprocessing", StatusKind.ACTIVE),
        ("pending", StatusKind.ACTIVE),
        ("queued", StatusKind.ACTIVE),
        ("Loading model and tokenizer", StatusKind.UNKNOWN),
        ("Training step 10/100", StatusKind.UNKNOWN),
        (None, StatusKind.UNKNOWN),
    ],
)
def test_free_text_statuses_are_classified(status, kind):
    assert classify_status(status) is kind


def test_json_infinities_and_huge_numbers_do_not_raise():
    event = parse_frame(
        '{"type": "training_update", "train_id": "r1", "data": {"progress": Infinity, "status": "training",'
        ' "details": {"loss": 1e999, "eta_s": NaN, "step": 1}}}'
    )
    assert isinstance(event, RunUpdate) and event.progress is None


def test_a_status_body_brings_the_runs_dates_and_everything_else_it_carries():
    body = {
        "train_id": "r1",
        "status": "completed",
        "progress": 100,
        "details": {"step": 1500, "total_steps": 1500, "loss": 1.2345},
        "params": {"max_steps": 1500, "learning_rate": 0.003},
        "result": {"final_loss": 1.2, "duration_s": 3.5},
        "created_at": "2026-11-29T00:54:50.5",
        "started_at": "2026-11-29T00:54:51",
        "completed_at": "2026-11-29T00:54:54.123456",
    }
    read = parse_status("r1", body)
    assert isinstance(read, RunUpdate)
    assert (read.created_at, read.started_at, read.ended_at) == (
        "2026-11-29T00:54:50.5",
        "2026-11-29T00:54:51",
        "2026-11-29T00:54:54.123456",
    )
    assert read.extra["params"] == {"max_steps": 1500, "learning_rate": 0.003}
    assert read.details["loss"] == 1.2345 and read.result == {"final_loss": 1.2, "duration_s": 3.5}
    stopped = parse_status("r1", {"status": "stopped", "stopped_at": "2026-11-29 00:55:00"})
    assert isinstance(stopped, RunUpdate) and stopped.ended_at == "2026-11-29 00:55:00"
    bare = parse_status("r1", {"status": "completed"})  # the dates are extras: none is required
    assert isinstance(bare, RunUpdate) and (bare.created_at, bare.started_at, bare.ended_at) == (None, None, None)


def test_server_dates_in_every_shape_the_backends_write(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert parse_server_time("2026-11-29T00:54:54.500") == 1795913694.5  # naive local ISO
        assert parse_server_time("2026-11-29 00:54:54") == 1795913694.0  # SQLite text
        assert parse_server_time("2026-11-29T01:54:54+01:00") == 1795913694.0
    finally:
        monkeypatch.undo()
        time.tzset()
    for junk in (None, "", "yesterday", "2026-13-45T99:00:00"):
        assert parse_server_time(junk) is None
