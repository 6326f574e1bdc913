from tf_tui.base.protocol import RunUpdate
from tf_tui.core.run_order import Grouping, Order, RunsView, group_of, order_key
from tf_tui.core.store import RunStore, Source


def run(status: str, progress: int | None = None, loss: float | None = None, model: str | None = None):
    store = RunStore()
    store.describe("r1", base_model=model)
    store.apply(RunUpdate("r1", status, progress, {} if loss is None else {"loss": loss}), Source.WS, 0.0)
    return store.runs["r1"]


def test_each_order_puts_first_what_most_wants_looking_at_and_unknown_values_last():
    statuses = ["failed", "queued", "completed", "training", "preprocessing", "stopped"]
    by_status = sorted(statuses, key=lambda status: order_key(Order.STATUS, run(status), 0))
    assert by_status == ["training", "preprocessing", "queued", "completed", "failed", "stopped"]
    progresses = [None, 10, 90, 0]
    assert sorted(progresses, key=lambda value: order_key(Order.PROGRESS, run("training", value), 0)) == [
        90,
        10,
        0,
        None,
    ]
    losses = [None, 0.5, float("nan"), 0.1]
    ordered = sorted(losses, key=lambda value: order_key(Order.LOSS, run("training", loss=value), 0))
    assert ordered[:2] == [0.1, 0.5]  # a NaN loss is no loss: last, with the runs that have none
    assert sorted(["small", None, "Base"], key=lambda model: order_key(Order.MODEL, run("x", model=model), 0)) == [
        "Base",
        "small",
        None,
    ]


def test_groups_are_the_status_or_the_model_and_runs_without_a_model_go_last():
    assert group_of(Grouping.STATUS, run("Training ")) == group_of(Grouping.STATUS, run("training"))
    assert group_of(Grouping.STATUS, run("training"))[1] == "training"
    assert group_of(Grouping.MODEL, run("x", model="tiny")) < group_of(Grouping.MODEL, run("x"))
    assert group_of(Grouping.MODEL, run("x"))[1] == "no model"
    assert group_of(Grouping.NONE, run("x", model="tiny")) == group_of(Grouping.NONE, run("failed"))


def test_the_view_cycles_and_reads_back_what_it_kept_and_nothing_else():
    view = RunsView()
    assert view.next_order(-1).order is Order.BACKEND
    assert view.next_order(1, [Order.NEWEST, Order.LOSS]).next_order(1, [Order.NEWEST, Order.LOSS]) == view
    assert view.next_grouping().grouping is Grouping.STATUS
    kept = RunsView(Order.LOSS, Grouping.MODEL)
    assert RunsView.from_section(kept.as_section()) == kept
    assert RunsView.from_section({"sort": "backend"}, orders=[Order.NEWEST, Order.LOSS]) == RunsView()
    assert RunsView.from_section({"sort": ["loss"], "group": 3}) == RunsView()
