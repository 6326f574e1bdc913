"""What the deployed backend answers that tf-tui used to drop or pass over in silence: its evaluation's safety
score and rubric verdict, a dataset name it did not take, and a stop or publish it refused."""

from __future__ import annotations

import io
import json

import pytest
from fastapi.responses import JSONResponse

from tests.conftest import FAST_BACKOFF, client_settings
from tests.scripted_backend import running_backend
from tf_tui.base.exit_codes import ExitCode
from tf_tui.client.api import ApiError
from tf_tui.core.fleet import as_fleet
from tf_tui.core.session import Session
from tf_tui.core.talents import publish
from tf_tui.headless.datasets import upload_dataset
from tf_tui.headless.talents import evaluate_run

# The deployed backend's answers, as recorded.
EVALUATION = {
    "eval_id": "e-1",
    "talent_id": "t-1",
    "metrics": {"accuracy": 0.87, "f1_score": 0.85, "precision": 0.88, "recall": 0.83},
    "safety_score": 0.95,
    "rubric_passed": True,
    "status": "completed",
}
MODEL_PATH_REQUIRED = {"detail": [{"type": "missing", "loc": ["body", "model_path"], "msg": "Field required"}]}


@pytest.fixture
async def backend():
    async with running_backend() as scripted:
        scripted.status_bodies["done"] = {"status": "completed", "progress": 95, "result": {"model_path": "/m/done"}}
        yield scripted


def session_for(url: str, directory) -> Session:
    return Session(client_settings(url, directory), backoff=FAST_BACKOFF, headless=True)


async def test_evaluate_json_keeps_the_safety_score_and_the_rubric(backend, tmp_path):
    backend.canned["/evaluate/run"] = JSONResponse(EVALUATION)
    out = io.StringIO()
    async with session_for(backend.url, tmp_path).without_stream() as session:
        assert await evaluate_run(as_fleet(session), "done", as_json=True, out=out) == ExitCode.OK
    record = json.loads(out.getvalue())
    assert (record["safety_score"], record["rubric_passed"]) == (0.95, True)


async def test_evaluate_says_the_safety_score_and_the_rubric(backend, tmp_path):
    backend.canned["/evaluate/run"] = JSONResponse({**EVALUATION, "rubric_passed": False})
    out = io.StringIO()
    async with session_for(backend.url, tmp_path).without_stream() as session:
        assert await evaluate_run(as_fleet(session), "done", as_json=False, out=out) == ExitCode.OK
    assert "Safety score: 0.95" in out.getvalue()
    assert "Rubric: not passed" in out.getvalue()


async def test_a_dataset_name_the_backend_did_not_take_is_said(backend, tmp_path, capsys):
    # The deployed backend reads no name: it names the dataset after its file, and its reply says only that.
    reply = {"dataset_id": "ds-1", "filename": "notes.txt", "rows": 3, "has_pii": False, "status": "ingested"}
    backend.canned["/dataset/ingest-single"] = JSONResponse(reply)
    notes = tmp_path / "notes.txt"
    notes.write_text("one\n\ntwo\n\nthree")
    out = io.StringIO()
    async with session_for(backend.url, tmp_path).without_stream() as session:
        assert await upload_dataset(session, [notes], "My notes", as_json=False, out=out) == ExitCode.OK
    assert out.getvalue().startswith("Uploaded: dataset ds-1")
    said = capsys.readouterr().err
    assert "did not take the name 'My notes': it is called 'notes.txt'" in said


async def test_a_refused_stop_and_a_refused_publish_are_in_the_event_log_and_the_timeline(backend, tmp_path):
    backend.status_bodies["going"] = {"status": "training", "progress": 40}
    backend.canned["/talents/publish"] = JSONResponse(MODEL_PATH_REQUIRED, status_code=422)
    async with session_for(backend.url, tmp_path).without_stream() as session:
        await session.resync(["going", "done"])
        await session.stop("going")  # the deployed backend's 500
        with pytest.raises(ApiError):
            await publish(session, "done", "adder", "general", "1.0.0")
        log = [entry.text for entry in session.events.entries]
        going, done = session.store.runs["going"], session.store.runs["done"]
    assert any(text.startswith("stop of going failed: ") and "HTTP 500" in text for text in log), log
    assert any(text.startswith("publish of done failed: ") and "HTTP 422" in text for text in log), log
    assert [entry.status for entry in going.timeline if entry.source is None] == [
        "stop failed: POST /train/stop/going: HTTP 500, Internal Server Error"
    ]
    [refusal] = [entry.status for entry in done.timeline if entry.source is None]
    assert refusal.startswith("publish failed: POST /talents/publish: HTTP 422") and "model_path" in refusal
