"""Commands that act on a run or name a dataset check first, against the deployed backend's behaviour (scripted):
it rewrites an ended run `stopped` for good when asked to stop it, evaluates any id, requires `model_path`
to publish, and starts runs on datasets it does not have (they then fail silently)."""

from __future__ import annotations

import asyncio
import subprocess

import pytest
from fastapi.responses import JSONResponse

from tests.scripted_backend import CONSTANT_EVALUATION, running_backend
from tf_tui.base.exit_codes import ExitCode
from tf_tui.headless.commands import stop_run

RUN = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
FAILED_RUN = "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928"
MADE_UP = "0badc0de-0000-4000-8000-000000000000"
COMPLETED = {
    "status": "completed",
    "progress": 95,  # the deployed backend's status endpoint, after completion
    "started_at": "2026-11-29T01:00:00",
    "completed_at": "2026-11-29T01:00:10",
    "result": {"model_path": f"/models/{RUN}"},
}


@pytest.fixture
async def backend():
    async with running_backend() as scripted:
        scripted.status_bodies[RUN] = dict(COMPLETED)
        scripted.status_bodies[FAILED_RUN] = {"status": "failed", "progress": 0, "error": "Invalid or empty dataset"}
        yield scripted


async def run_cli(cli, backend, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The scripted backend answers from this test's event loop, so the command runs beside it, not in it."""
    result = await asyncio.to_thread(cli, *arguments, url=backend.url)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def sent(backend, path: str) -> bool:
    return any(request.startswith(path) for request in backend.requests)


async def test_stop_never_sends_a_stop_for_a_run_that_has_ended(backend, make_session, capsys):
    # Without a terminal too: the deployed backend would rewrite the completed run `stopped` for good.
    async with make_session(backend.url).without_stream() as session:
        assert await stop_run(session, RUN[:8], confirm=None) == ExitCode.FAILED
    err = capsys.readouterr().err
    assert f"run {RUN} had already ended (completed)" in err, err
    assert not sent(backend, "/train/stop/")
    assert backend.status_bodies[RUN]["status"] == "completed"


@pytest.mark.parametrize("on_a_terminal", [False, True], ids=["no terminal", "terminal"])
async def test_a_failed_stop_says_what_happened_in_order_and_exits_1(backend, make_session, capsys, on_a_terminal):
    backend.status_bodies[RUN] = {"status": "preprocessing", "progress": 30}
    confirm = (lambda question: True) if on_a_terminal else None
    async with make_session(backend.url).without_stream() as session:
        assert await stop_run(session, RUN, confirm=confirm) == ExitCode.FAILED
    out, err = capsys.readouterr()
    assert out == ""
    # The status read after the 500 is made although the backend dropped that connection.
    failure, now = err.split("; the server now says ")
    assert (
        failure
        == f"tf-tui stop: the server failed to stop {RUN} (POST /train/stop/{RUN}: HTTP 500, Internal Server Error)"
    )
    # Nothing said after it goes back on it (no "preprocessing 30%"), and nothing promised that exiting breaks.
    assert now == (
        "'stopped' at 30%. This backend can keep training after a failed stop: "
        f"`tf-tui watch {RUN[:8]}` shows whether it does.\n"
    )


async def test_evaluate_checks_that_the_run_exists_and_completed_before_sending(backend, cli):
    for typed, words in (
        (MADE_UP, f"tf-tui evaluate: run {MADE_UP[:8]} is not known to the server"),
        (FAILED_RUN, f"tf-tui evaluate: only a completed run can be evaluated; run {FAILED_RUN[:8]} is failed"),
    ):
        refused = await run_cli(cli, backend, "evaluate", typed)
        assert refused.returncode == ExitCode.FAILED and words in refused.stderr, refused.stderr
        assert refused.stdout == "" and not sent(backend, "/evaluate/run")
    evaluated = await run_cli(cli, backend, "evaluate", RUN[:8])
    assert evaluated.returncode == ExitCode.OK, evaluated.stderr
    assert f"{CONSTANT_EVALUATION['metrics']['accuracy']:.4g}" in evaluated.stdout


async def test_publish_sends_the_model_path_the_runs_status_gives(backend, cli):
    published = await run_cli(cli, backend, "publish", RUN[:8], "--name", "Adder", "--category", "analysis")
    assert published.returncode == ExitCode.OK, published.stderr
    assert f"as talent {RUN}" in published.stdout
    [body] = backend.published
    assert (body["id"], body["name"], body["model_path"]) == (RUN, "Adder", f"/models/{RUN}")


async def test_publish_refuses_a_run_whose_status_names_no_model_before_sending(backend, cli):
    # After a restart the deployed backend's status is its database row: no result, so no model_path.
    backend.status_bodies[RUN] = {"status": "completed", "outcome": "balanced", "created_at": "2026-11-29 01:00:00"}
    refused = await run_cli(cli, backend, "publish", RUN, "--name", "Adder", "--category", "analysis")
    assert refused.returncode == ExitCode.FAILED
    assert f"tf-tui publish: run {RUN[:8]} names no saved model" in refused.stderr, refused.stderr
    assert "result.model_path" in refused.stderr
    assert not sent(backend, "/talents/publish")
    going = await run_cli(cli, backend, "publish", FAILED_RUN, "--name", "n", "--category", "general")
    assert going.returncode == ExitCode.FAILED and "only a completed run can be published" in going.stderr
    assert not sent(backend, "/talents/publish")


async def test_a_refused_publish_is_said_in_the_backends_words_with_a_way_forward(backend, cli):
    too_long = {"loc": ["body", "name"], "msg": "String should have at most 50 characters", "type": "string_too_long"}
    backend.publish_reply = JSONResponse({"detail": [too_long]}, status_code=422)
    refused = await run_cli(cli, backend, "publish", RUN, "--name", "A" * 60, "--category", "general")
    assert refused.returncode == ExitCode.FAILED
    assert (
        "tf-tui publish: not published: POST /talents/publish: HTTP 422, name: String should have at most 50 "
        "characters. Change what the backend names and publish again." in refused.stderr
    ), refused.stderr


async def test_start_checks_every_dataset_and_completes_a_unique_prefix(backend, cli):
    backend.datasets = [{"id": name, "name": name} for name in ("builtin-arithmetic", "builtin-units", "upload-7f3e2a")]
    for typed, words in (
        ("nope", "no dataset 'nope' on this backend; it has builtin-arithmetic, builtin-units, upload-7f3e2a"),
        ("builtin", "'builtin' matches 2 datasets: builtin-arithmetic, builtin-units; give more characters"),
        ("upl", "'upl' is too short to name a dataset: give at least 4 characters"),
    ):
        refused = await run_cli(
            cli, backend, "start", "--model", "tiny", "--dataset", "builtin-units", "--dataset", typed
        )
        assert refused.returncode == ExitCode.USAGE, refused.stderr
        assert f"tf-tui start: {words}" in refused.stderr, refused.stderr
        assert refused.stdout == "" and backend.started == []
    started = await run_cli(
        cli, backend, "start", "--model", "tiny", "--dataset", "upload-7f", "--dataset", "builtin-units"
    )
    assert started.returncode == ExitCode.OK, started.stderr
    assert [body["dataset_ids"] for body in backend.started] == [["upload-7f3e2a", "builtin-units"]]
