"""The comparison's table shows the rows that differ, marked, and `a` shows every row: read off the screen."""

from __future__ import annotations

from tests.ui.screen import row_on_screen, screen_text, shown_in, until, until_shown
from tests.ui.test_charts import COMPLETED, open_comparison, table_row
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.store import Source
from tf_tui.ui.demo import COMPARE_AGAIN_KEYS, NOW, demo_again_app, demo_app
from tf_tui.ui.widgets.runs_list import RunsList

SIZE = (100, 40)
SAME_ROWS = ("model", "datasets", "outcome", "steps", "batch size", "samples/s", "status")


def table_labels(app) -> list[str]:
    """The labels of the table's rows, as shown (the first word of each line under the run's header)."""
    table = app.screen.query_one("#compare-table")
    lines = screen_text(app).splitlines()[table.region.y : table.region.bottom]
    return [line[: line.find("  ", 1)].strip() for line in lines[2:] if line.strip()]


async def test_only_the_rows_that_differ_are_shown_marked_and_a_shows_every_row(tmp_path):
    app = demo_again_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(app, pilot, keys=COMPARE_AGAIN_KEYS)
        await until_shown(pilot, f"Differences only: 5 of 12 rows differ  (≠: not as {COMPLETED[:8]}; a: every row)")
        assert table_labels(app) == ["learning rate", "final loss", "best loss", "held-out loss", "duration"]
        assert table_row(app, "learning rate") == ["0.001", "≠", "0.002"]
        assert table_row(app, "duration") == ["58s", "≠", "1m02s"]

        await pilot.press("a")
        await until_shown(pilot, "Every row: 5 of 12 rows differ")
        assert len(table_labels(app)) == 12
        for label in SAME_ROWS:  # the same for both: shown, and not marked
            assert "≠" not in table_row(app, label), label
        assert table_row(app, "model") == ["base", "base"]
        assert table_row(app, "held-out loss") == ["0.3205", "≠", "0.2987"]

        await pilot.press("a")
        await until_shown(pilot, "Differences only: 5 of 12 rows differ")
        assert "model" not in table_labels(app)


async def test_runs_with_every_row_the_same_say_so_in_words_until_one_differs(tmp_path):
    app = demo_app(tmp_path)
    twins = ("7a7a7a7a-0000-4000-8000-000000000001", "7a7a7a7a-0000-4000-8000-000000000002")
    settings = {"dataset_ids": ["builtin-arithmetic"], "outcome": "speed", "params": {"max_steps": 40}}
    for twin in twins:
        app.session.store.describe(twin, base_model="tiny", created_at="2026-11-30T10:00:00")
        app.session.store.apply(RunUpdate(twin, "queued", 0, extra=settings), Source.WS, NOW)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        for twin in twins:
            await until(pilot, lambda twin=twin: row_on_screen(app, twin) != "", "its row")
            runs.select(twin)
            await pilot.press("space")
        await pilot.press("c")
        shown = await until_shown(pilot, "All 12 rows are the same for these runs (a: show them).")
        assert "Differences only" not in shown
        await pilot.press("a")
        await until_shown(pilot, "Every row: 0 of 12 rows differ")
        assert table_row(app, "model") == ["tiny", "tiny"]
        await pilot.press("a")
        await until_shown(pilot, "All 12 rows are the same")

        # The comparison follows its runs: one of them starts training, and the rows it changed differ.
        app.session.store.apply(RunUpdate(twins[1], "training", 5, {"step": 2, "loss": 3.5}), Source.WS, NOW)
        app.session.on_change()
        await until_shown(pilot, "Differences only: 4 of 12 rows differ")
        assert table_row(app, "status") == ["queued", "≠", "training"]
        assert table_row(app, "final loss") == ["—", "≠", "3.5"]


async def test_the_marks_read_without_colour(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_again_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        await open_comparison(app, pilot, keys=COMPARE_AGAIN_KEYS)
        await until_shown(pilot, "Differences only")
        table = shown_in(app, app.screen.query_one("#compare-table"))
        assert "learning rate 0.001 ≠ 0.002" in table, table
