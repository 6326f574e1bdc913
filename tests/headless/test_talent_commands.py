"""Evaluate → publish → catalogue → try, against the real reference server: real metrics from trained weights."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess

import pytest

from tests.conftest import api_client, eventually, open_socket, receive_until, start_run, wait_for_status
from tests.scripted_backend import running_backend
from tf_tui.base.exit_codes import ExitCode

# Enough training for a small model to answer some held-out sums and differences exactly (about 2 % of
# them; 1000 steps answer 1 %, 3000 steps 3 %); with a fixed seed the run is the same every time (the
# trainer is deterministic), so the comparison cannot flake.
ARITHMETIC_PARAMS = {"max_steps": 2000, "learning_rate": 0.01, "seed": 0}
TRAINING_DEADLINE_S = 600.0  # only how long a broken test takes to fail on a loaded machine
METRICS = {"held_out_loss", "perplexity", "next_char_accuracy"}


async def completed_run(client, model="tiny", dataset="builtin-arithmetic", **params) -> dict:
    reply = await client.post(
        "/train/start", json={"base_model": model, "dataset_ids": [dataset], "params": params or {"max_steps": 300}}
    )
    assert reply.status_code == 200, reply.text
    train_id = reply.json()["train_id"]
    body: dict = {}

    async def ended() -> bool:
        nonlocal body
        body = (await client.get(f"/train/status/{train_id}")).json()
        return body["status"] in ("completed", "failed")

    await eventually(ended, TRAINING_DEADLINE_S, f"run {train_id} ends")
    assert body["status"] == "completed", body
    return {"train_id": train_id, **body}


async def evaluation_of(client, talent_id: str, **more) -> dict:
    reply = await client.post("/evaluate/run", json={"talent_id": talent_id, **more}, timeout=120)
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.timeout(TRAINING_DEADLINE_S)
async def test_a_trained_small_model_does_arithmetic_the_untrained_one_cannot(server):
    async with api_client(server.url) as client:
        untrained = await completed_run(client, "small", **{**ARITHMETIC_PARAMS, "max_steps": 1})
        trained = await completed_run(client, "small", **ARITHMETIC_PARAMS)
        before = await evaluation_of(client, untrained["train_id"])
        after = await evaluation_of(client, trained["train_id"])

    for evaluation in (before, after):
        assert set(evaluation["metrics"]) == {*METRICS, "arithmetic_exact_match"}
        assert all(isinstance(value, float) for value in evaluation["metrics"].values())
        assert set(evaluation["methods"]) == set(evaluation["metrics"])
        assert evaluation["status"] == "completed" and evaluation["eval_id"]
    assert after["metrics"]["arithmetic_exact_match"] > before["metrics"]["arithmetic_exact_match"]
    assert after["metrics"]["held_out_loss"] < before["metrics"]["held_out_loss"]
    assert after["metrics"]["next_char_accuracy"] > before["metrics"]["next_char_accuracy"]
    # The held-out loss is the trainer's own validation loss: the same text, the same weights.
    assert after["metrics"]["held_out_loss"] == pytest.approx(trained["result"]["held_out_loss"], abs=2e-4)
    assert after["metrics"]["perplexity"] == pytest.approx(math.exp(after["metrics"]["held_out_loss"]), rel=1e-3)
    assert "held out by the trainer" in after["methods"]["held_out_loss"]
    assert "builtin-arithmetic problems" in after["methods"]["arithmetic_exact_match"]


async def test_another_dataset_as_the_test_set(server):
    async with api_client(server.url) as client:
        run = await completed_run(client)
        units = await evaluation_of(client, run["train_id"], test_dataset_id="builtin-units")
        assert set(units["metrics"]) == METRICS  # no arithmetic in it
        assert "dataset builtin-units" in units["methods"]["held_out_loss"]
        # On the dataset it trained on, only the examples it held out are left to test.
        arithmetic = await evaluation_of(client, run["train_id"], test_dataset_id="builtin-arithmetic")
        assert "arithmetic_exact_match" in arithmetic["metrics"]
        assert "from dataset builtin-arithmetic, not trained on" in arithmetic["methods"]["arithmetic_exact_match"]
        unknown = await client.post("/evaluate/run", json={"talent_id": run["train_id"], "test_dataset_id": "nope"})
        assert unknown.status_code == 422
        assert unknown.json()["detail"] == [
            {"type": "value_error", "loc": ["body", "test_dataset_id"], "msg": "Unknown test dataset 'nope'"}
        ]


async def test_only_a_completed_run_can_be_evaluated_or_published(server, endless_run):
    async with api_client(server.url) as client:
        going = await endless_run()
        refused = await client.post("/evaluate/run", json={"talent_id": going})
        assert refused.status_code == 409 and "only a completed run has a model" in refused.json()["detail"]
        unpublished = await client.post("/talents/publish", json={"id": going, "name": "n", "category": "general"})
        assert unpublished.status_code == 409
        unknown = await client.post("/evaluate/run", json={"talent_id": "no-such-run"})
        assert unknown.status_code == 404 and unknown.json()["detail"] == "No training run or talent 'no-such-run'"


async def test_publish_takes_the_model_path_the_status_names_or_none_but_no_other(server):
    async with api_client(server.url) as client:
        run = await completed_run(client)
        train_id, own = run["train_id"], run["result"]["model_path"]  # what a client sends, as the deployed one needs
        talent = {"id": train_id, "name": "Adder", "category": "general"}
        elsewhere = await client.post("/talents/publish", json={**talent, "model_path": "/etc/passwd"})
        assert elsewhere.status_code == 422
        assert (
            elsewhere.json()["detail"]
            == f"model_path is not where run {train_id} saved its model (its status names that)"
        )
        catalogue = (await client.get("/mcp/talents")).json()["talents"]  # shared: other tests publish too
        assert train_id not in [talent["id"] for talent in catalogue]
        for path in ({"model_path": own}, {}):
            reply = await client.post("/talents/publish", json={**talent, **path})
            assert reply.json() == {"status": "published", "talent_id": train_id}


async def test_publish_appears_in_the_catalogue_and_answers_a_prompt(server):
    async with api_client(server.url) as client, open_socket(server.url) as bystander:
        run = await completed_run(client, max_steps=1500, batch_size=32)
        train_id = run["train_id"]
        evaluation = await evaluation_of(client, train_id)
        wrong = await client.post("/talents/publish", json={"id": train_id, "name": "Adder", "category": "maths"})
        assert wrong.status_code == 422 and "choose one of general, coding" in wrong.json()["detail"][0]["msg"]
        reply = await client.post(
            "/talents/publish", json={"id": train_id, "name": "Adder", "category": "analysis", "version": "0.1"}
        )
        assert reply.json() == {"status": "published", "talent_id": train_id}
        # Every socket hears of it, subscribed or not.
        heard = await receive_until(
            bystander, lambda frame: frame.get("type") == "talent_event" and frame["data"].get("name") == "Adder"
        )
        assert heard[-1]["event"] == "talent_published"
        assert heard[-1]["data"] == {"talent_id": train_id, "name": "Adder", "category": "analysis", "version": "0.1"}

        listed = {talent["id"]: talent for talent in (await client.get("/mcp/talents")).json()["talents"]}
        talent = listed[train_id]
        assert (talent["name"], talent["category"], talent["version"], talent["status"]) == (
            "Adder", "analysis", "0.1", "active"
        )  # fmt: skip
        assert talent["metrics"] == evaluation["metrics"] and talent["methods"] == evaluation["methods"]

        tried = (await client.get(f"/mcp/talents/{train_id}/test", params={"test_input": "### Instruction:\n"})).json()
        assert tried["test_input"] == "### Instruction:\n" and tried["name"] == "Adder"
        assert tried["test_output"].strip() and 0 < tried["confidence"] <= 1 and tried["response_time_ms"] >= 0
        posted = await client.post(f"/mcp/talents/{train_id}/test", json={"test_input": "### Instruction:\n"})
        assert posted.json()["test_output"] == tried["test_output"]  # greedy: the same prompt, the same text

        again = await client.post(
            "/talents/publish", json={"id": train_id, "name": "Adder", "category": "analysis", "version": "0.2"}
        )
        assert again.status_code == 200
        updated = await receive_until(bystander, lambda frame: frame.get("event") == "talent_updated")
        assert updated[-1]["data"]["version"] == "0.2"
        missing = await client.get("/mcp/talents/no-such-talent/test", params={"test_input": "x"})
        assert missing.status_code == 404


async def test_the_cli_evaluates_publishes_and_lists(server, cli):
    async with api_client(server.url) as client:
        train_id = await start_run(client)
        await wait_for_status(client, train_id, {"completed"})

    evaluated = cli("evaluate", train_id[:8], "--json", url=server.url)
    assert evaluated.returncode == 0, evaluated.stderr
    record = json.loads(evaluated.stdout)
    assert set(record["metrics"]) >= METRICS and set(record["methods"]) == set(record["metrics"])
    table = cli("evaluate", train_id, url=server.url)
    assert table.returncode == 0 and "next_char_accuracy" in table.stdout and "held out" in table.stdout

    published = cli("publish", train_id, "--name", "CLI talent", "--category", "coding", "--json", url=server.url)
    assert published.returncode == 0, published.stderr
    assert json.loads(published.stdout) == {"status": "published", "talent_id": train_id}
    bad = cli("publish", train_id, "--name", "x", "--category", "maths", url=server.url)
    assert bad.returncode == ExitCode.USAGE and "invalid choice: 'maths'" in bad.stderr

    listed = json.loads(cli("talents", "--json", url=server.url).stdout)
    mine = next(talent for talent in listed if talent["id"] == train_id)
    assert mine["name"] == "CLI talent" and mine["category"] == "coding" and mine["version"] == "1.0.0"
    assert set(mine["metrics"]) >= METRICS
    shown = cli("talents", url=server.url)
    assert shown.returncode == 0 and "CLI talent" in shown.stdout and train_id[:8] in shown.stdout


async def test_the_cli_says_when_the_backend_has_no_such_routes(cli):
    async with running_backend() as backend:
        backend.talent_routes = False
        backend.status_bodies["run-1"] = {"status": "completed", "progress": 100, "result": {"model_path": "/m"}}
        for arguments, what in (
            (("evaluate", "run-1"), "evaluation"),
            (("publish", "run-1", "--name", "n", "--category", "general"), "publishing"),
            (("talents", "--json"), "the talent catalogue"),
        ):
            result = await _in_thread(cli, *arguments, url=backend.url)
            assert result.returncode == ExitCode.UNSUPPORTED, result.stderr
            assert f"this backend does not offer {what} (" in result.stderr and "HTTP 404" in result.stderr
            assert "Traceback" not in result.stderr and result.stdout == ""


async def _in_thread(cli, *arguments: str, url: str) -> subprocess.CompletedProcess[str]:
    """The scripted backend answers from this test's event loop, so the command runs beside it, not in it."""
    return await asyncio.to_thread(cli, *arguments, url=url)


async def test_a_runs_latest_evaluation_is_read_back_as_it_was_answered(server, endless_run):
    """`GET /evaluate/run/{id}`: what a dashboard shows of a run evaluated before it was launched."""
    async with api_client(server.url) as client:
        run = await completed_run(client)
        train_id = run["train_id"]
        unevaluated = await client.get(f"/evaluate/run/{train_id}")
        assert unevaluated.status_code == 200 and unevaluated.json() == {"train_id": train_id, "evaluation": None}
        first = await evaluation_of(client, train_id)
        latest = await evaluation_of(client, train_id, test_dataset_id="builtin-units")
        assert first["eval_id"] != latest["eval_id"]
        assert (await client.get(f"/evaluate/run/{train_id}")).json() == {"train_id": train_id, "evaluation": latest}
        going = await endless_run()
        assert (await client.get(f"/evaluate/run/{going}")).json()["evaluation"] is None
        unknown = await client.get("/evaluate/run/no-such-run")
        assert unknown.status_code == 404 and unknown.json()["detail"] == "No training run or talent 'no-such-run'"
