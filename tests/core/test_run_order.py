from tf_tui.base.protocol import RunUpdate
from tf_tui.core.run_order import NOT_READ, Grouping, Order, RunsView, age_key, group_of, order_key
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


def listed(train_id: str, started_at: str | None = None):
    """A run a listing named, read (with its start date) when `started_at` is given."""
    store = RunStore()
    store.await_read(train_id)
    if started_at is not None:
        store.apply(RunUpdate(train_id, "completed", 100, started_at=started_at), Source.POLL, 0.0)
    return store.runs[train_id]


def test_runs_whose_date_is_not_known_yet_go_after_the_dated_ones_the_last_known_first():
    """As a listing names them, oldest first: the ones not read yet read newest first below the dated ones,
    and a read puts a run among the dated ones (where, read newest first, it stays in place)."""
    runs = [
        (listed("old", "2026-11-01T10:00:00"), 0),
        (listed("unread-a"), 1),
        (listed("new", "2026-12-01T10:00:00"), 2),
        (listed("unread-b"), 3),
    ]
    ordered = sorted(runs, key=lambda each: age_key(*each))
    assert [run.train_id for run, _ in ordered] == ["new", "old", "unread-b", "unread-a"]
    remembered = RunStore()
    remembered.describe("kept", created_at="2026-10-01T10:00:00")  # from the state file: dated, not read yet
    remembered.await_read("kept")
    assert age_key(remembered.runs["kept"], 9) < age_key(listed("unread-c"), 0)


def test_a_run_not_read_yet_sorts_and_groups_by_status_after_every_run_read():
    """Read as going, it would otherwise climb above the ended runs and, read, fall back below them."""
    not_read = listed("r1")
    assert order_key(Order.STATUS, not_read, 0) > order_key(Order.STATUS, run("stopped"), 0)
    assert order_key(Order.STATUS, not_read, 0) > order_key(Order.STATUS, listed("r2", "2026-11-01T10:00:00"), 0)
    assert group_of(Grouping.STATUS, not_read) == (order_key(Order.STATUS, not_read, 0)[0], NOT_READ)
    assert order_key(Order.PROGRESS, not_read, 0) > order_key(Order.PROGRESS, run("training", 0), 0)


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
