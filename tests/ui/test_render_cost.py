"""What painting costs: a burst of frames is painted a handful of times, not once a frame.

The scripted backend pushes the burst: the reference server cannot send thousands of frames at once.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.scripted_backend import running_backend
from tests.ui.screen import until
from tests.ui.test_dashboard import SIZE, dashboard, step_on_screen
from tf_tui.ui.widgets.run_row import RunRow

RUNS = [f"{index:08x}-burst" for index in range(5)]
FRAMES = 5_000
HANDFUL = 6  # repaints of each row (asked for, and rendered) for the whole burst


@pytest.fixture
def row_paints(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each run's row was repainted: asked to repaint, or rendered by Textual."""
    paints: Counter[str] = Counter()
    render, refresh = RunRow.render, RunRow.refresh

    def rendered(row: RunRow):  # type: ignore[no-untyped-def]
        paints[row.run.train_id] += 1
        return render(row)

    def refreshed(row: RunRow, *args, **kwargs):  # type: ignore[no-untyped-def]
        paints[row.run.train_id] += 1
        return refresh(row, *args, **kwargs)

    monkeypatch.setattr(RunRow, "render", rendered)
    monkeypatch.setattr(RunRow, "refresh", refreshed)
    return paints


async def test_a_burst_of_5000_frames_repaints_each_row_a_handful_of_times(tmp_path, row_paints):
    async with running_backend() as backend:
        for train_id in RUNS:
            backend.status_bodies[train_id] = {"status": "training", "progress": 0}
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await backend.wait_until(lambda: all(backend.subscribed(train_id) for train_id in RUNS))
            await until(pilot, lambda: all(row_paints[train_id] for train_id in RUNS), "every row painted")
            row_paints.clear()

            per_run = FRAMES // len(RUNS)
            for step in range(1, per_run + 1):
                for train_id in RUNS:
                    details = {"step": step, "total_steps": per_run, "loss": 1 / step}
                    data = {"status": "training", "progress": step * 100 // per_run, "details": details}
                    await backend.push(train_id, data)

            await until(
                pilot,
                lambda: all(step_on_screen(app, train_id) == per_run for train_id in RUNS),
                "the last step on every row",
            )
            assert max(row_paints.values()) <= HANDFUL, row_paints
