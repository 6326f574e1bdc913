"""`e` evaluates, `p` publishes, `t` opens the catalogue: against the real server, and dimmed with the reason
where they cannot act (a run not completed; a backend without the routes, scripted)."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input, OptionList, Select

from tests.conftest import SHORT_PARAMS
from tests.scripted_backend import running_backend
from tests.ui.screen import footer_key, screen_text, shown_in, toasts_on_screen, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard
from tf_tui.core.format import short_id
from tf_tui.ui.screens.publish import PublishScreen
from tf_tui.ui.screens.talents import TalentsScreen
from tf_tui.ui.widgets.evaluation import EvaluationPart
from tf_tui.ui.widgets.runs_list import RunsList


async def completed_run(app, pilot) -> str:
    train_id = (await app.session.start("tiny", ["builtin-arithmetic"], params=SHORT_PARAMS)).train_id
    await until(pilot, lambda: app.session.store.runs[train_id].status == "completed", "the run completes")
    await until_shown(pilot, short_id(train_id))
    app.query_one(RunsList).select(train_id)
    await until(pilot, lambda: app.check_action("evaluate", ()) is True, "e can act")
    return train_id


async def test_e_evaluates_a_completed_run_into_the_detail_pane(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await completed_run(app, pilot)
        part = app.query_one(EvaluationPart)
        assert not part.display  # nothing until asked
        await pilot.press("e")
        await until(pilot, lambda: "arithmetic_exact_match" in shown_in(app, part), "the metrics are shown")
        shown = shown_in(app, part)
        for metric in ("held_out_loss", "perplexity", "next_char_accuracy"):
            assert metric in shown
        assert "mean next-character cross-entropy (nats), 20,000 characters held out by the trainer" in shown


async def test_p_publishes_with_a_dialog_and_t_finds_it_and_tries_it(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        train_id = await completed_run(app, pilot)
        await pilot.press("e")  # published with the metrics the server keeps of its last evaluation
        part = app.query_one(EvaluationPart)
        await until(pilot, lambda: "next_char_accuracy" in shown_in(app, part), "the run is evaluated")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PublishScreen), "the publish dialog")
        dialog = app.screen
        name = dialog.query_one("#publish-name", Input)
        await until(pilot, lambda: name.has_focus, "the name has the focus")
        name.value = ""
        dialog.query_one("#publish-version", Input).value = "2.0"
        await pilot.press("enter")
        await until_shown(pilot, "The talent needs a name.")  # the dialog stays, with what was typed
        assert dialog.query_one("#publish-version", Input).value == "2.0"
        await pilot.press(*"Pilot adder")
        dialog.query_one(Select).value = "creative"
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, PublishScreen), "the dialog closes")
        await until(pilot, lambda: f"as talent {train_id}" in toasts_on_screen(app), "it says so")

        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TalentsScreen), "the catalogue")
        await until_shown(pilot, "Pilot adder")
        screen = app.screen
        screen.query_one(OptionList).highlighted = next(
            index for index, talent in enumerate(screen._talents) if talent.id == train_id
        )
        await until(
            pilot, lambda: "next_char_accuracy" in shown_in(app, screen.query_one("#talent-metrics")), "metrics"
        )
        shown = screen_text(app)
        assert "creative" in shown and "2.0" in shown
        prompt = app.screen.query_one("#talent-prompt", Input)
        prompt.focus()
        await pilot.press(*"### Instruction:", "enter")
        output = app.screen.query_one("#talent-output")
        await until(pilot, lambda: "confidence" in shown_in(app, output), "the talent answers")
        assert prompt.value == "### Instruction:"


async def test_e_and_p_are_dimmed_on_a_run_that_is_going(server, endless_run, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        train_id = await endless_run()
        await app.session.watch([train_id])
        await until_shown(pilot, short_id(train_id))
        app.query_one(RunsList).select(train_id)
        await until(pilot, lambda: app.session.store.runs[train_id].status == "training", "it trains")
        assert app.check_action("evaluate", ()) is None and app.check_action("publish", ()) is None
        assert app.check_action("talents", ()) is True
        await pilot.press("e")
        await until(
            pilot,
            lambda: f"only a completed run can be evaluated; run {train_id[:8]} is training" in toasts_on_screen(app),
            "e says why",
        )
        await pilot.press("p")
        await until(pilot, lambda: "only a completed run can be published" in toasts_on_screen(app), "p says why")
        assert not isinstance(app.screen, PublishScreen)


@pytest.mark.parametrize("key", ["e", "p", "t"])
async def test_a_backend_without_the_routes_dims_the_keys_with_the_reason(tmp_path, key):
    async with running_backend() as backend:
        backend.talent_routes = False
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            train_id = (await app.session.start("tiny", ["d"], params={})).train_id
            await backend.wait_until(lambda: backend.subscribed(train_id))
            await backend.push(
                train_id, {"progress": 100, "status": "completed", "success": True, "result": {"model_path": "/m"}}
            )
            # The deployed backend's frame for every socket: taken in, never a failure.
            await backend.push_raw(json.dumps({"type": "talent_event", "event": "talent_published", "data": {}}))
            await until(pilot, lambda: app.session.store.runs[train_id].status == "completed", "it completes")
            await until_shown(pilot, short_id(train_id))
            app.query_one(RunsList).select(train_id)
            await until(pilot, lambda: app.check_action("evaluate", ()) is True, "e can act, as far as known")
            await until(pilot, lambda: footer_key(app, "evaluate") == set(), "e is shown, not dimmed")
            await pilot.press(key)
            action, what = {"e": ("evaluate", "evaluation"), "p": ("publish", "publishing"), "t": ("talents", "")}[key]
            if key == "p":
                await until(pilot, lambda: isinstance(app.screen, PublishScreen), "the publish dialog")
                app.screen.query_one("#publish-name", Input).value = "kept"
                await pilot.press("enter")
                await until_shown(pilot, "Not published: POST /talents/publish: HTTP 404")
                assert app.screen.query_one("#publish-name", Input).value == "kept"  # nothing typed is lost
                await pilot.press("escape")
            elif key == "t":
                await until_shown(pilot, "The catalogue cannot be read: GET /mcp/talents: HTTP 404")
                await pilot.press("escape")
                what = "the talent catalogue"
            else:
                await until_shown(pilot, "failed: POST /evaluate/run: HTTP 404")
            await until(pilot, lambda: app.check_action(action, ()) is None, f"{key} is dimmed")
            assert app.check_action(f"explain_{action}", ()) is True
            app.clear_notifications()
            await pilot.press(key)
            await until(
                pilot, lambda: f"this backend does not offer {what} (" in toasts_on_screen(app), f"{key} says why"
            )
            if key != "t":  # t is in the help, not the footer: every other key fits there at 120 columns
                # In the footer still, dimmed: not hidden.
                await until(pilot, lambda: footer_key(app, action) == {"-disabled"}, f"{key} is shown dimmed")
