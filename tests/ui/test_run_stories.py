"""Every run's whole story in any dashboard: a run this dashboard never followed (finished before it opened,
started by a teammate over plain HTTP) shows its whole loss curve and its stored evaluation when selected,
and compares over its whole curve; each read once. Against the real reference server."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from tests.conftest import SHORT_PARAMS, api_client, start_run, wait_for_status
from tests.ui.screen import row_on_screen, screen_text, shown_in, until
from tests.ui.test_charts import detail, table_row
from tests.ui.test_dashboard import dashboard
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.compare import CompareScreen
from tf_tui.ui.widgets.evaluation import EvaluationPart
from tf_tui.ui.widgets.runs_list import RunsList

TALL = (110, 60)


def count_metrics_reads(app: TfTuiApp) -> Counter[str]:
    """Each metrics read the dashboard's session makes, by run."""
    api = app.session.api
    reads: Counter[str] = Counter()
    read = api.metrics

    async def counted(train_id: str, after_step: int | None = None) -> dict[str, Any]:
        reads[train_id] += 1
        return await read(train_id, after_step)

    api.metrics = counted
    return reads


def x_axis_values(app: TfTuiApp) -> list[str]:
    """The values under the x axis of the chart on screen."""
    lines = screen_text(app).splitlines()
    axis = next(index for index, line in enumerate(lines) if "└" in line)
    return lines[axis + 1].split()


async def test_a_run_this_dashboard_never_followed_shows_and_compares_its_whole_story(server, tmp_path):
    async with api_client(server.url) as http:
        evaluated, other = await start_run(http, **SHORT_PARAMS), await start_run(http, **SHORT_PARAMS)
        for train_id in (evaluated, other):
            await wait_for_status(http, train_id, {"completed"})
        evaluation = (await http.post("/evaluate/run", json={"talent_id": evaluated}, timeout=120)).json()
        stored = {
            train_id: (await http.get(f"/train/metrics/{train_id}")).json()["points"] for train_id in (evaluated, other)
        }

    app = dashboard(server.url, tmp_path)
    reads = count_metrics_reads(app)
    async with app.run_test(size=TALL) as pilot:
        await until(pilot, lambda: "completed" in row_on_screen(app, evaluated), "the finished runs are listed")
        await until(pilot, lambda: "completed" in row_on_screen(app, other), "both")
        runs = app.query_one(RunsList)

        runs.select(evaluated)
        await until(pilot, lambda: evaluated in detail(app) and "loss by step" in detail(app), "its loss chart")
        history = app.session.store.runs[evaluated].history
        assert [point.step for point in history.points] == [point["step"] for point in stored[evaluated]]
        assert "from step" not in detail(app)  # from its first step: the backend's whole history
        part = app.query_one(EvaluationPart)
        await until(pilot, lambda: "held_out_loss" in shown_in(app, part), "its stored evaluation")
        held_out = evaluation["metrics"]["held_out_loss"]
        assert re.search(rf"held_out_loss\s+{held_out:.4g}\b", shown_in(app, part))

        runs.select(other)
        await until(pilot, lambda: other in detail(app) and "loss by step" in detail(app), "the other's chart")
        assert not part.display  # never evaluated: nothing to show
        runs.select(evaluated)
        await until(pilot, lambda: "held_out_loss" in shown_in(app, part), "its evaluation, again")

        runs.select(evaluated)
        await pilot.press("space")
        runs.select(other)
        await pilot.press("space", "c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), "the comparison")
        await until(pilot, lambda: "┤" in screen_text(app), "its chart")
        assert [point.step for point in app.session.store.runs[other].history.points] == [
            point["step"] for point in stored[other]
        ]
        values = x_axis_values(app)  # each whole curve, from its first step to its last
        assert values[0] == "0" and len(set(values)) == len(values) > 2
        await pilot.press("a")  # every row: the steps are the same
        await until(pilot, lambda: "Every row" in screen_text(app), "every row")
        steps = SHORT_PARAMS["max_steps"]
        assert table_row(app, "steps") == [f"{steps}/{steps}", f"{steps}/{steps}"]
    assert reads[evaluated] == reads[other] == 1  # each read once, however often it was shown
