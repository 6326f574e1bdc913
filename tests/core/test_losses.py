"""One definition of each loss: the final loss is the training loss at the last step for every run, stopped or
completed; the best loss is never above it; the held-out loss is named as such."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SHORT_PARAMS, api_client, eventually, start_run, wait_for_status
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.comparison import MISSING, field_rows
from tf_tui.core.format import summary
from tf_tui.core.store import RunStore, Source


def table(runs: list[Any]) -> dict[str, list[str]]:
    return {label: list(values) for label, values in field_rows(runs)}


async def test_a_completed_and_a_stopped_run_are_told_by_the_same_numbers(server, endless_run, make_session):
    """A comparison read "final loss 1.692, best loss 3.05": the held-out loss of the completed run beside
    the training loss of the stopped one."""
    async with api_client(server.url) as http:
        completed = await start_run(http, **SHORT_PARAMS)
        body = await wait_for_status(http, completed, {"completed"})
        stopped = await endless_run()
        await wait_for_status(http, stopped, {"training"})

        async def trained_a_while() -> bool:
            return len((await http.get(f"/train/metrics/{stopped}")).json()["points"]) > 3

        await eventually(trained_a_while, what="the run trains a while")
        assert (await http.post(f"/train/stop/{stopped}")).status_code == 200
        await wait_for_status(http, stopped, {"stopped"})
        points = {
            train_id: (await http.get(f"/train/metrics/{train_id}")).json()["points"]
            for train_id in (completed, stopped)
        }

    session = make_session(server.url)
    try:
        await session.resync([completed, stopped])
        await session.history.read([completed, stopped])
        runs = [session.store.runs[completed], session.store.runs[stopped]]
        last = {
            train_id: [point["loss"] for point in kept if point["loss"] is not None][-1]
            for train_id, kept in points.items()
        }
        held_out = body["result"]["held_out_loss"]
        rows = table(runs)
        assert rows["final loss"] == [format(last[completed], ".4g"), format(last[stopped], ".4g")]
        assert all(
            float(best) <= float(final) for best, final in zip(rows["best loss"], rows["final loss"], strict=True)
        )
        last_evaluation = [point["eval_loss"] for point in points[stopped] if point["eval_loss"] is not None]
        assert rows["held-out loss"] == [
            format(held_out, ".4g"),
            format(last_evaluation[-1], ".4g") if last_evaluation else MISSING,
        ]
        # The summary (the detail pane, `tf-tui status`) names each the same way.
        assert f"final loss {last[completed]:.4f}, held-out loss {held_out:.4f}" in summary(runs[0])
        assert body["result"]["final_loss"] == last[completed]  # `status --json` carries the server's own result
    finally:
        await session.close()


LOSSES = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**6), 10**6))
RESULTS = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"final_loss": LOSSES, "held_out_loss": LOSSES, "duration_s": LOSSES}),
)


@given(
    st.lists(st.tuples(st.integers(0, 10**6), LOSSES, LOSSES), max_size=12),
    st.sampled_from(["completed", "stopped", "failed", "training"]),
    RESULTS,
    st.booleans(),
)
def test_the_best_loss_is_never_above_the_final_loss(
    reports: list[tuple[int, Any, Any]], end: str, result: dict[str, Any] | None, keeps_history: bool
) -> None:
    """Whatever the updates and whatever the result says, for a store with a chart and one without."""
    store = RunStore(keep_history=keeps_history)
    for at, (step, loss, eval_loss) in enumerate(reports):
        store.apply(
            RunUpdate("r1", "training", None, {"step": step, "loss": loss, "eval_loss": eval_loss}), Source.WS, at
        )
    store.apply(RunUpdate("r1", end, None, result=result), Source.WS, len(reports))
    rows = {label: values[0] for label, values in field_rows([store.ensure("r1")])}
    final, best = rows["final loss"], rows["best loss"]
    assert (final == MISSING) == (best == MISSING)
    if final != MISSING:
        assert float(best) <= float(final)
