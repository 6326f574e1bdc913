"""The merge rules of the run store, one by one."""

from __future__ import annotations

from tf_tui.base.protocol import RunUpdate
from tf_tui.core.store import DOUBTED_STOP_S, RunStore, Source


def update(status=None, progress=None, **fields) -> RunUpdate:
    return RunUpdate("r1", status, progress, **fields)


def test_updates_merge_and_mark_the_run_changed():
    store = RunStore()
    assert store.apply(update("training", 40, details={"step": 4, "loss": 2.0}), Source.WS, 1.0)
    assert store.take_changed() == {"r1"}
    assert store.take_changed() == set()
    run = store.runs["r1"]
    assert (run.status, run.progress, run.details["step"], run.history.points[-1].loss) == ("training", 40, 4, 2.0)
    assert (run.updated_at, run.last_heard_at, run.last_source) == (1.0, 1.0, Source.WS)


def test_a_terminal_state_is_final_and_a_second_completion_changes_nothing():
    store = RunStore()
    store.apply(update("completed", 100, result={"final_loss": 0.3}), Source.WS, 1.0)
    store.take_changed()
    assert not store.apply(update("completed", 100, result={"final_loss": 0.9}), Source.WS, 2.0)
    assert not store.apply(update("training", 50), Source.POLL, 3.0)
    run = store.runs["r1"]
    assert (run.status, run.progress, run.result) == ("completed", 100, {"final_loss": 0.3})
    assert store.take_changed() == set()
    assert run.last_heard_at == 3.0


def test_completed_means_100_even_when_the_status_endpoint_says_95():
    store = RunStore()
    store.apply(update("training", 60), Source.WS, 1.0)
    store.apply(update("completed", 95), Source.POLL, 2.0)
    assert store.runs["r1"].progress == 100


def test_a_repeat_of_the_end_fills_in_what_was_missing():
    store = RunStore()
    store.apply(update("completed", 100), Source.WS, 1.0)
    assert store.apply(update("completed", 95, result={"final_loss": 0.3}), Source.POLL, 2.0)
    assert store.runs["r1"].result == {"final_loss": 0.3}
    # The deployed backend's status names the saved model its completion frame may not: filled in, key by key.
    assert store.apply(update("completed", 95, result={"final_loss": 0.9, "model_path": "/m"}), Source.POLL, 3.0)
    assert store.runs["r1"].result == {"final_loss": 0.3, "model_path": "/m"}


def test_a_lagging_poll_moves_nothing_back():
    store = RunStore()
    store.apply(update("training", 70), Source.WS, 1.0)
    assert not store.apply(update("preprocessing", 30), Source.POLL, 2.0)
    assert (store.runs["r1"].status, store.runs["r1"].progress) == ("training", 70)


def test_a_status_without_progress_keeps_the_progress_we_have():
    store = RunStore()
    store.apply(update("training", 70), Source.WS, 1.0)
    store.apply(
        update("pending", None, extra={"outcome": "balanced"}, created_at="2026-11-29 00:54:54"), Source.RESYNC, 2.0
    )
    run = store.runs["r1"]
    assert (run.status, run.progress, run.created_at) == ("pending", 70, "2026-11-29 00:54:54")


def test_a_failed_run_keeps_the_progress_it_reached():
    store = RunStore()
    store.apply(update("training", 42), Source.WS, 1.0)
    store.apply(update("failed", 100, error="CUDA out of memory"), Source.WS, 2.0)
    run = store.runs["r1"]
    assert (run.status, run.progress, run.error, run.ended) == ("failed", 42, "CUDA out of memory", True)


def test_a_run_that_failed_before_we_heard_of_it_takes_the_reported_progress():
    store = RunStore()
    store.apply(update("failed", 0, error="Dataset not found"), Source.RESYNC, 1.0)
    assert (store.runs["r1"].progress, store.runs["r1"].ended) == (0, True)


def test_free_text_statuses_are_kept_and_the_timeline_records_changes():
    store = RunStore()
    store.apply(update("Loading model and tokenizer", 5), Source.WS, 1.0)
    store.apply(update("Loading model and tokenizer", 6), Source.WS, 2.0)
    store.apply(update("Training step 10/100", 10), Source.WS, 3.0)
    run = store.runs["r1"]
    assert run.status == "Training step 10/100" and not run.ended
    assert [(entry.at, entry.status) for entry in run.timeline] == [
        (1.0, "Loading model and tokenizer"),
        (3.0, "Training step 10/100"),
    ]


def test_loss_points_are_recorded_once_per_step():
    store = RunStore()
    points = [(1.0, 1, 4.5), (2.0, 1, 4.5), (3.0, 2, 3.9), (4.0, 3, float("nan")), (5.0, 4, True), (6.0, 5, 10**400)]
    for at, step, loss in points:
        store.apply(update("training", step, details={"step": step, "loss": loss}), Source.WS, at)
    assert [(point.step, point.loss) for point in store.runs["r1"].history.points] == [(1, 4.5), (2, 3.9)]


def test_missing_and_listing_facts():
    store = RunStore()
    store.mark_missing("r2", 5.0)
    store.describe("r3", base_model="tiny", created_at="2026-11-29")
    assert store.runs["r2"].missing and store.runs["r2"].updated_at == 5.0
    assert store.runs["r3"].base_model == "tiny"
    assert store.take_changed() == {"r2", "r3"}


def test_a_stopped_reading_after_a_failed_stop_is_doubted_for_a_while():
    store = RunStore()
    store.apply(update("training", 50), Source.WS, 1.0)
    store.doubt_stop("r1", 2.0)
    assert not store.apply(update("stopped", 50), Source.RESYNC, 3.0)
    assert store.apply(update("training", 60), Source.WS, 4.0)
    assert not store.runs["r1"].ended
    assert store.apply(update("stopped", 60), Source.POLL, 2.0 + DOUBTED_STOP_S)
    assert store.runs["r1"].ended


def test_a_listed_end_is_filled_in_by_the_status_read_that_follows():
    store = RunStore()
    store.apply(update("completed", 100, extra={"id": "r1"}, created_at="2026-11-29T00:54:50"), Source.POLL, 1.0)
    read = update(
        "completed",
        100,
        details={"step": 1500, "total_steps": 1500, "loss": 1.25},
        result={"final_loss": 1.2},
        extra={"params": {"max_steps": 1500}, "base_model": "tiny"},
        started_at="2026-11-29T00:54:51",
        ended_at="2026-11-29T00:54:54",
    )
    assert store.apply(read, Source.RESYNC, 2.0)
    run = store.runs["r1"]
    assert (run.details["loss"], run.result, run.extra["params"], run.base_model) == (
        1.25,
        {"final_loss": 1.2},
        {"max_steps": 1500},
        "tiny",
    )
    assert (run.created_at, run.started_at, run.ended_at) == (
        "2026-11-29T00:54:50",
        "2026-11-29T00:54:51",
        "2026-11-29T00:54:54",
    )
    assert [point.loss for point in run.history.points] == [1.25]
    assert not store.apply(read, Source.POLL, 3.0)  # the same read again is no news


def test_a_change_is_seen_live_only_when_it_happens_in_view():
    store = RunStore()
    store.apply(RunUpdate("ended", "completed", 100), Source.POLL, 1.0)  # a listing, after the fact
    assert store.runs["ended"].seen_change_at is None
    store.apply(RunUpdate("going", "training", 10), Source.RESYNC, 2.0)  # a read of a going run: now
    store.apply(RunUpdate("going", "completed", 100), Source.POLL, 3.0)  # its end, read as it came
    assert store.runs["going"].seen_change_at == 3.0
    store.apply(RunUpdate("framed", "completed", 100), Source.WS, 4.0)  # a frame is sent as it happens
    assert store.runs["framed"].seen_change_at == 4.0


def test_an_ended_run_stays_ended_even_when_told_of_another_end():
    store = RunStore()
    store.apply(update("completed", 100), Source.WS, 1.0)
    assert not store.apply(update("stopped", 100), Source.POLL, 2.0)
    assert not store.apply(update("failed", 40, error="late"), Source.WS, 3.0)
    run = store.runs["r1"]
    assert (run.status, run.progress, run.error) == ("completed", 100, None)


def test_a_stopped_run_keeps_the_furthest_progress():
    store = RunStore()
    store.apply(update("training", 70), Source.WS, 1.0)
    store.apply(update("stopped", 65), Source.POLL, 2.0)  # a stop reply behind the last frame
    assert (store.runs["r1"].status, store.runs["r1"].progress) == ("stopped", 70)
    ahead = RunStore()
    ahead.apply(update("training", 70), Source.WS, 1.0)
    ahead.apply(update("stopped", 80), Source.POLL, 2.0)  # trained on after the last frame we saw
    assert ahead.runs["r1"].progress == 80


def test_a_run_first_heard_of_as_stopped_takes_the_reported_progress():
    store = RunStore()
    store.apply(update("stopped", 35), Source.RESYNC, 1.0)
    assert (store.runs["r1"].progress, store.runs["r1"].ended) == (35, True)


def test_progress_never_goes_backwards_and_a_frame_behind_still_brings_its_status():
    store = RunStore()
    store.apply(update("training", 70), Source.WS, 1.0)
    assert store.apply(update("validating", 60), Source.WS, 2.0)
    assert (store.runs["r1"].status, store.runs["r1"].progress) == ("validating", 70)


def test_an_end_read_by_a_poll_is_never_older_news():
    store = RunStore()
    store.apply(update("training", 70), Source.WS, 1.0)
    assert store.apply(update("failed", 0, error="Dataset not found"), Source.POLL, 2.0)
    run = store.runs["r1"]
    assert (run.status, run.progress, run.ended) == ("failed", 70, True)


def test_older_news_is_ignored_whole_but_still_counts_as_heard():
    store = RunStore()
    store.apply(update("training", 70, details={"step": 7}), Source.WS, 1.0)
    store.take_changed()
    assert not store.apply(update("preprocessing", 10, details={"step": 1}, error="old"), Source.RESYNC, 2.0)
    run = store.runs["r1"]
    assert (run.status, run.details["step"], run.error, run.last_heard_at) == ("training", 7, None, 2.0)
    assert store.take_changed() == set()


def test_a_doubted_stop_is_believed_from_the_stream():
    store = RunStore()
    store.apply(update("training", 50), Source.WS, 1.0)
    store.doubt_stop("r1", 2.0)
    assert store.apply(update("stopped", 55), Source.WS, 3.0)
    assert (store.runs["r1"].ended, store.runs["r1"].progress) == (True, 55)


def test_ensure_makes_an_unknown_run_once_and_marks_it_changed():
    store = RunStore()
    run = store.ensure("r1")
    assert store.ensure("r1") is run and (run.status, run.progress) == (None, None)
    assert store.take_changed() == {"r1"}
    store.ensure("r1")
    assert store.take_changed() == set()


def test_a_store_without_history_keeps_no_points_and_its_details_the_latest_losses():
    store = RunStore(keep_history=False)
    for step in range(1, 1_001):
        evaluated = {"eval_loss": 2.0 + 1 / step} if step % 100 == 0 else {}
        store.apply(
            update("training", step // 10, details={"step": step, "loss": 1 / step, **evaluated}), Source.WS, step
        )
    run = store.runs["r1"]
    assert len(run.history) == 0
    assert (run.details["loss"], run.details["eval_loss"]) == (1 / 1_000, 2.0 + 1 / 1_000)
