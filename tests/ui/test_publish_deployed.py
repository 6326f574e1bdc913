"""`p` against the deployed backend (scripted), which requires `model_path` to publish: dimmed with the reason
for a run that names no saved model, sending the path the run's status gives, and a refusal shown in the
backend's words with a way forward."""

from __future__ import annotations

import pytest
from fastapi.responses import JSONResponse
from textual.widgets import Input

from tests.scripted_backend import running_backend
from tests.ui.screen import footer_key, shown_in, toasts_on_screen, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard
from tf_tui.core.format import short_id
from tf_tui.ui.screens.publish import PublishScreen
from tf_tui.ui.widgets.runs_list import RunsList


@pytest.fixture
async def backend():
    async with running_backend() as scripted:
        yield scripted


async def completed_and_selected(app, pilot, backend, result: dict, frame_result: dict | None = None) -> str:
    """A run that completed, its status giving `result`, its completion frame `frame_result` (default the same)."""
    train_id = (await app.session.start("tiny", ["d"], params={})).train_id
    await backend.wait_until(lambda: backend.subscribed(train_id))
    # Read back once after its start, before it completes: what tells its result is what follows.
    await until(pilot, lambda: app.session.store.runs[train_id].status == "validating", "the first read")
    backend.status_bodies[train_id] = {"status": "completed", "progress": 95, "result": result}
    frame = {"progress": 100, "status": "completed", "success": True, "result": frame_result or result}
    await backend.push(train_id, frame)
    await until(pilot, lambda: app.session.store.runs[train_id].status == "completed", "it completes")
    await until_shown(pilot, short_id(train_id))
    app.query_one(RunsList).select(train_id)
    await until(pilot, lambda: app.check_action("evaluate", ()) is True, "the completed run is selected")
    return train_id


async def test_p_is_dimmed_with_the_reason_for_a_run_that_names_no_saved_model(backend, tmp_path):
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        train_id = await completed_and_selected(app, pilot, backend, {"final_loss": 0.3})
        await until(pilot, lambda: footer_key(app, "publish") == {"-disabled"}, "p is shown dimmed")
        assert app.check_action("publish", ()) is None and app.check_action("explain_publish", ()) is True
        await pilot.press("p")
        await until(
            pilot, lambda: f"run {short_id(train_id)} names no saved model" in toasts_on_screen(app), "p says why"
        )
        assert not isinstance(app.screen, PublishScreen)
        assert "/talents/publish" not in backend.requests


async def test_the_dialog_says_a_refusal_and_a_way_forward_then_publishes_with_the_model_path(backend, tmp_path):
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        train_id = await completed_and_selected(app, pilot, backend, {"model_path": "/models/m.bin"})
        await until(pilot, lambda: footer_key(app, "publish") == set(), "p is shown, not dimmed")
        refusal = {"loc": ["body", "version"], "msg": "Value error, not a version", "type": "value_error"}
        backend.publish_reply = JSONResponse({"detail": [refusal]}, status_code=422)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PublishScreen), "the publish dialog")
        version = app.screen.query_one("#publish-version", Input)
        version.value = "one"
        await pilot.press("enter")
        error = app.screen.query_one("#publish-error")
        said = (
            "Not published: POST /talents/publish: HTTP 422, version: Value error, not a version. Change what the "
            "backend names and publish again."
        )
        await until(pilot, lambda: shown_in(app, error) == said, "the refusal and a way forward")
        assert version.value == "one"  # what was typed stays, to be corrected
        backend.publish_reply = None
        version.value = "1.0.1"
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, PublishScreen), "the dialog closes")
        await until(pilot, lambda: f"as talent {train_id}" in toasts_on_screen(app), "it says so")
        [body] = backend.published
        assert (body["id"], body["version"], body["model_path"]) == (train_id, "1.0.1", "/models/m.bin")


async def test_the_model_path_only_the_status_names_is_read_back_after_the_completion_frame(backend, tmp_path):
    app = dashboard(backend.url, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        frame_result = {"final_loss": 0.3}
        train_id = await completed_and_selected(app, pilot, backend, {"model_path": "/models/m.bin"}, frame_result)
        await until(pilot, lambda: footer_key(app, "publish") == set(), "p can act once the status is read back")
        assert app.session.store.runs[train_id].result == {"final_loss": 0.3, "model_path": "/models/m.bin"}
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PublishScreen), "the publish dialog")
        await pilot.press("enter")
        await until(pilot, lambda: f"as talent {train_id}" in toasts_on_screen(app), "it is published")
        assert [body["model_path"] for body in backend.published] == ["/models/m.bin"]
