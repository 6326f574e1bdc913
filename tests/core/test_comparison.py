"""The comparison's table values and curves, from what the server sent of each run."""

from __future__ import annotations

from tf_tui.base.protocol import RunUpdate
from tf_tui.core.comparison import MISSING, ComparedRow, XAxis, curve, field_rows, shown_rows
from tf_tui.core.store import RunStore, Source

SETTINGS = {
    "dataset_ids": ["builtin-arithmetic", "builtin-units"],
    "outcome": "balanced",
    "params": {"max_steps": 300, "learning_rate": 0.003, "batch_size": 32},
}


def details(step: int, loss: float, **more: float) -> dict[str, object]:
    return {"step": step, "total_steps": 300, "loss": loss, "elapsed_s": step / 10, "samples_per_s": 4000.0, **more}


def table(store: RunStore, train_id: str) -> dict[str, str]:
    return {label: values[0] for label, values in field_rows([store.runs[train_id]])}


def test_a_finished_runs_row_reads_its_settings_result_and_best_loss():
    store = RunStore()
    store.describe("run-1", base_model="small")
    for step, loss in ((100, 2.0), (200, 0.5), (300, 0.7)):
        store.apply(RunUpdate("run-1", "training", step // 3, details(step, loss), extra=SETTINGS), Source.WS, 1.0)
    result = {"final_loss": 0.7, "held_out_loss": 0.65, "duration_s": 75.0}
    store.apply(RunUpdate("run-1", "completed", 100, result=result), Source.WS, 2.0)
    assert table(store, "run-1") == {
        "model": "small",
        "datasets": "builtin-arithmetic, builtin-units",
        "outcome": "balanced",
        "steps": "300/300",
        "learning rate": "0.003",
        "batch size": "32",
        "final loss": "0.7",  # the training loss at the last step
        "best loss": "0.5",
        "held-out loss": "0.65",  # the result's: measured on all the held-out text at the end
        "duration": "1m15s",
        "samples/s": "4000",
        "status": "completed",
    }


def test_a_going_run_without_settings_reads_what_it_reported_and_dashes_for_the_rest():
    store = RunStore()
    store.apply(RunUpdate("run-2", "training", 10, details(30, 1.25, learning_rate=0.01)), Source.WS, 1.0)
    row = table(store, "run-2")
    assert row["final loss"] == "1.25" and row["best loss"] == "1.25"  # the latest, while it goes
    assert row["held-out loss"] == MISSING  # it has not evaluated yet
    assert row["learning rate"] == "0.01"  # from the updates when the status body said none
    assert row["duration"] == "3s"  # from the elapsed time
    assert row["model"] == row["datasets"] == row["outcome"] == row["batch size"] == MISSING


def test_server_text_in_the_table_is_cleaned():
    store = RunStore()
    hostile = {"dataset_ids": ["\x1b[31mred\x1b[0m"], "outcome": "[bold]x[/bold]\x07"}
    store.apply(RunUpdate("run-3", "training", 1, extra=hostile), Source.WS, 1.0)
    row = table(store, "run-3")
    assert "\x1b" not in row["datasets"] and "\x07" not in row["outcome"]


def test_a_curve_by_step_or_by_elapsed_time():
    store = RunStore()
    store.apply(RunUpdate("run-4", "training", 10, details(100, 2.0)), Source.WS, 1.0)
    store.apply(RunUpdate("run-4", "training", 20, {"step": 200, "loss": 1.0}), Source.WS, 1.0)  # no time
    run = store.runs["run-4"]
    assert curve(run, XAxis.STEP) == [(100, 2.0), (200, 1.0)]
    assert curve(run, XAxis.TIME) == [(10.0, 2.0)]


def started(store: RunStore, train_id: str, **params: object) -> None:
    settings = {**SETTINGS, "params": {**SETTINGS["params"], **params}}  # type: ignore[dict-item]
    store.describe(train_id, base_model="small")
    store.apply(RunUpdate(train_id, "queued", 0, extra=settings), Source.WS, 1.0)


def test_the_rows_that_differ_are_shown_and_the_values_unlike_the_first_runs_marked():
    store = RunStore()
    started(store, "first", seed=1)
    started(store, "second", seed=1, learning_rate=0.01)
    started(store, "third", seed=2)
    rows = field_rows([store.runs[train_id] for train_id in ("first", "second", "third")])
    assert [row.label for row in rows][-2:] == ["seed", "status"]  # a param no field shows has a row of its own
    shown = shown_rows(rows, every_row=False)
    assert shown == [
        ComparedRow("learning rate", ("0.003", "0.01", "0.003")),
        ComparedRow("seed", ("1", "1", "2")),
    ]
    assert [row.marked() for row in shown] == [(False, True, False), (False, False, True)]
    assert shown_rows(rows, every_row=True) == rows


def test_equal_runs_have_no_row_that_differs_and_one_run_shows_every_row():
    store = RunStore()
    started(store, "first")
    started(store, "second")
    rows = field_rows([store.runs["first"], store.runs["second"]])
    assert shown_rows(rows, every_row=False) == []
    alone = field_rows([store.runs["first"]])
    assert shown_rows(alone, every_row=False) == alone


def test_runs_started_with_different_datasets_differ_in_their_datasets_row():
    store = RunStore()
    started(store, "first")
    store.describe("other", base_model="small")
    store.apply(RunUpdate("other", "queued", 0, extra={**SETTINGS, "dataset_ids": ["mine"]}), Source.WS, 1.0)
    rows = shown_rows(field_rows([store.runs["first"], store.runs["other"]]), every_row=False)
    assert rows == [ComparedRow("datasets", ("builtin-arithmetic, builtin-units", "mine"))]
