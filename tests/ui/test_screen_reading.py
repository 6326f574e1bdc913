"""The UI tests read what the terminal shows (tests/ui/screen.py), not a widget's `render()` of the
store's live object: only the first fails when a change never reaches the screen."""

from __future__ import annotations

from tests.ui.screen import row_on_screen, until
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.store import Source
from tf_tui.ui.demo import NOW, demo_app
from tf_tui.ui.widgets.runs_list import RunsList

QUEUED = "51d0c6f4-8a9b-4c3d-a2e1-f0e9d8c7b6a5"  # the demo's queued run


async def test_a_row_that_was_not_repainted_reads_as_it_was_last_drawn(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        await until(pilot, lambda: "queued" in row_on_screen(app, QUEUED), "the row is drawn")
        runs = app.query_one(RunsList)
        region = runs.row_region(QUEUED)
        assert region is not None
        # Changed behind the view's back: the store is told, the session and so the view are not.
        app.session.store.apply(RunUpdate(QUEUED, "evaluating", 90), Source.WS, NOW)
        # What an assertion on the list's rendering of the live object would wrongly accept:
        assert "evaluating" in runs.render_line(region.y - runs.region.y).text
        assert "evaluating" not in row_on_screen(app, QUEUED)  # what the screen shows: not repainted

        runs.refresh()  # once repainted, the screen says it
        await until(pilot, lambda: "evaluating" in row_on_screen(app, QUEUED), "the repainted row")
