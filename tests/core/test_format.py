"""How runs read: the value helpers shared by the dashboard row and `watch`'s progress bars, and ages."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from tf_tui.base.protocol import RunUpdate
from tf_tui.core.format import (
    age_value,
    ago,
    ago_changes_at,
    eta_text,
    eta_value,
    loss_text,
    loss_value,
    progress_text,
    run_record,
    step_text,
    step_value,
    summary,
)
from tf_tui.core.store import RunState, RunStore, Source

NOW = 1_795_900_000.0


def test_values_and_their_labelled_forms():
    store = RunStore()
    details = {"step": 370, "total_steps": 1000, "loss": 1.23456, "eta_s": 12.2}
    store.apply(RunUpdate("r1", "training", 37, details), Source.WS, NOW)
    run = store.runs["r1"]
    assert (step_value(run), loss_value(run), eta_value(run)) == ("370/1000", "1.2346", "12s")
    assert (step_text(run), loss_text(run), eta_text(run)) == ("step 370/1000", "loss 1.2346", "eta 12s")
    assert summary(run) == "training 37% step 370/1000 loss 1.2346 eta 12s"
    empty = store.ensure("r2")
    assert (step_value(empty), loss_value(empty), eta_value(empty), loss_text(empty)) == ("", "", "", "")


def test_an_age_is_when_the_run_changed_by_what_was_seen_else_by_the_servers_dates():
    store = RunStore()
    store.apply(RunUpdate("live", "training", 10), Source.WS, NOW - 5)
    assert age_value(store.runs["live"], NOW) == "<1m ago"
    ended = datetime.fromtimestamp(NOW - 3600 * 3).isoformat()  # naive local, as the server writes it
    store.apply(RunUpdate("past", "completed", 100, ended_at=ended), Source.POLL, NOW - 1)
    assert age_value(store.runs["past"], NOW) == "3h00m ago"
    created = datetime.fromtimestamp(NOW - 125).isoformat(sep=" ", timespec="seconds")  # SQLite text
    store.apply(RunUpdate("listed", "failed", 0, created_at=created), Source.POLL, NOW - 1)
    assert age_value(store.runs["listed"], NOW) == "2m ago"
    store.apply(RunUpdate("undated", "completed", 100), Source.POLL, NOW - 1)
    assert age_value(store.runs["undated"], NOW) == "—"


@pytest.mark.parametrize("seconds", [-5.0, 0.0, 30.0, 59.9, 60.0, 61.0, 3599.4, 3599.6, 3600.0, 3659.4, 3659.6, 7200.3])
def test_an_age_says_when_it_next_reads_otherwise_and_reads_the_same_until_then(seconds):
    """What the dashboard's wake-ups rely on: the age is repainted at that moment, not every second."""
    since = NOW - 7200  # a moment in the past, on the wall clock's scale
    now = since + seconds
    turn = ago_changes_at(since, now)
    assert turn > now
    assert ago(turn - 1e-3 - since) == ago(seconds)
    assert ago(turn - since) != ago(seconds)
    assert turn - max(now, since) <= 60  # a minute at most (a date ahead of the clock reads as now)


def test_a_run_record_holds_what_watch_and_status_print():
    store = RunStore()
    store.apply(RunUpdate("r1", "Training", 30, {"step": 300, "loss": 1.5, "eval_loss": 1.7}), Source.WS, NOW - 1)
    details = {"step": 370, "total_steps": 1000, "loss": 1.25}
    store.apply(RunUpdate("r1", "Training", 37, details, extra={"base_model": "tiny"}), Source.POLL, NOW)
    record = run_record(store.runs["r1"])
    assert record == {
        "train_id": "r1",
        "base_model": "tiny",
        "status": "Training",
        "kind": "active",
        "outcome": "going",
        "progress": 37,
        "loss": 1.25,
        "eval_loss": 1.7,  # the last evaluation's, at an earlier step
        "details": {**details, "eval_loss": 1.7},
        "created_at": None,
        "source": "poll",
        "received_at": datetime.fromtimestamp(NOW, UTC).isoformat(timespec="milliseconds"),
        "missing": False,
    }
    assert run_record(store.runs["r1"], "gpu1")["backend"] == "gpu1"


def test_a_run_record_has_no_loss_where_the_server_sent_no_number():
    store = RunStore(keep_history=False)
    store.apply(RunUpdate("r1", "Training", 30, {"step": 3, "loss": "1.5", "eval_loss": math.nan}), Source.WS, NOW)
    record = run_record(store.runs["r1"])
    assert (record["loss"], record["eval_loss"]) == (None, None)
    store.apply(RunUpdate("r1", "Training", 31, {"step": 4, "loss": 1.25}), Source.WS, NOW)
    assert run_record(store.runs["r1"])["loss"] == 1.25


def test_a_run_record_ends_with_the_result_or_error_and_says_the_outcome():
    store = RunStore()
    store.apply(RunUpdate("done", " Completed", 100, result={"final_loss": 0.3}), Source.WS, NOW)
    store.apply(RunUpdate("bad", "failed", 40, error="out of memory"), Source.WS, NOW)
    store.mark_missing("gone", NOW)
    done, bad, gone = (run_record(store.runs[i]) for i in ("done", "bad", "gone"))
    assert (done["outcome"], list(done)[-1], done["result"]) == ("completed", "result", {"final_loss": 0.3})
    assert (bad["outcome"], list(bad)[-1], bad["error"]) == ("failed", "error", "out of memory")
    assert (gone["outcome"], gone["missing"], gone["status"]) == ("missing", True, None)
    assert "result" not in gone and "error" not in gone
    assert run_record(RunState("heard-of"))["received_at"] is None  # never 1970


def test_progress_reads_as_a_percentage_or_a_question_mark():
    assert progress_text(RunState("r", progress=37)) == "37%"
    assert progress_text(RunState("r")) == "?%"
