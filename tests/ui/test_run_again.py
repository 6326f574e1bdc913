"""`R` runs the selected run again: the start dialog filled from it (model, datasets, outcome, every param),
on the real reference server; what of it the backend no longer has is left empty and said why."""

from __future__ import annotations

from textual.widgets import Input, Select, SelectionList

from tests.conftest import ENDLESS_PARAMS, api_client, wait_for_status
from tests.ui.screen import row_on_screen, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard
from tf_tui.core.store import RunFacts
from tf_tui.ui.screens.start import StartScreen
from tf_tui.ui.widgets.runs_list import RunsList

PARAMS = {"max_steps": 40, "learning_rate": 0.002, "batch_size": 16, "seed": 7}
FIELDS = {"steps": "40", "learning-rate": "0.002", "batch-size": "16", "seed": "7"}


async def open_again(app, pilot, train_id: str) -> StartScreen:
    await until(pilot, lambda: row_on_screen(app, train_id) != "", "its row")
    app.query_one(RunsList).select(train_id)
    await pilot.press("R")
    await until(pilot, lambda: isinstance(app.screen, StartScreen), "the start dialog")
    dialog = app.screen
    choices = dialog.query_one(SelectionList)
    await until(pilot, lambda: choices.option_count >= 3 and choices.has_focus, "the choices load")
    return dialog


def form(dialog: StartScreen) -> dict[str, object]:
    return {
        "model": dialog.query_one("#model", Select).value,
        "datasets": dialog.query_one(SelectionList).selected,
        "outcome": dialog.query_one("#outcome", Select).value,
        **{field: dialog.query_one(f"#{field}", Input).value for field in FIELDS},
    }


async def test_r_fills_the_start_dialog_from_the_run_and_one_change_makes_a_new_run(server, tmp_path):
    async with api_client(server.url) as http:
        reply = await http.post(
            "/train/start",
            json={
                "base_model": "small",
                "dataset_ids": ["builtin-units", "builtin-arithmetic"],
                "params": PARAMS,
                "outcome_preference": "speed",
            },
        )
        first = reply.json()["train_id"]
        await wait_for_status(http, first, {"completed"})
        app = dashboard(server.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            dialog = await open_again(app, pilot, first)
            await until_shown(pilot, f"Start a run like {first[:8]}")
            assert form(dialog) == {
                "model": "small",
                "datasets": ["builtin-arithmetic", "builtin-units"],  # in the order the backend lists them
                "outcome": "speed",
                **FIELDS,
            }
            assert not dialog.query_one("#again-note").display  # nothing of the run is missing
            steps = dialog.query_one("#steps", Input)
            # A run that goes on until stopped (the shared server's fixture stops it): a short one could end
            # before it is looked for among the watched runs, on a fast machine.
            steps.value = str(ENDLESS_PARAMS["max_steps"])
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, StartScreen), "the dialog closes with the new run")
            again = next(
                train_id for train_id in app.session.store.runs if train_id != first and train_id in app.session.watched
            )
        body = (await http.get(f"/train/status/{again}")).json()
        await http.post(f"/train/stop/{again}")
    assert body["base_model"] == "small" and body["outcome"] == "speed"
    assert body["dataset_ids"] == ["builtin-arithmetic", "builtin-units"]
    assert body["params"] == {**PARAMS, "max_steps": ENDLESS_PARAMS["max_steps"]}


async def test_a_run_whose_model_and_a_dataset_are_gone_leaves_them_empty_and_says_why(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    # What tf-tui remembers of a run started when the backend had other models and datasets.
    gone = "0dd0dd00-1111-4222-8333-444455556666"
    facts = RunFacts(
        base_model="retired-7b",
        dataset_ids=("builtin-shell", "deleted-set"),
        params={"max_steps": 40},
        outcome_preference="quality",
    )
    app.session.store.add_facts(gone, facts)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_again(app, pilot, gone)
        shown = await until_shown(pilot, "no longer on this backend")
        assert "Run 0dd0dd00's model 'retired-7b' is no longer on this backend." in shown.replace("\n", " ")
        assert dialog.query_one("#model", Select).is_blank()
        assert form(dialog)["datasets"] == ["builtin-shell"]
        assert form(dialog)["outcome"] == "quality" and form(dialog)["steps"] == "40"
        note = dialog.query_one("#again-note").render()
        assert "dataset 'deleted-set' is no longer on this backend" in str(note)
        await pilot.press("enter")  # the model is empty: nothing is sent
        await until_shown(pilot, "Cannot start yet: choose a model.")
        assert isinstance(app.screen, StartScreen)
