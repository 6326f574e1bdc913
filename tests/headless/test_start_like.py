"""`tf-tui start --like ID`: a run started as another was, with what the command line changes; real processes
against the real reference server."""

from __future__ import annotations

import json

import httpx

from tests.conftest import DEADLINE_S, wait_until
from tf_tui.core.identity import backend_key

PARAMS = {"max_steps": 40, "learning_rate": 0.002, "batch_size": 16, "seed": 7}


def started(url: str, **overrides: object) -> str:
    body = {
        "base_model": "small",
        "dataset_ids": ["builtin-units"],
        "params": PARAMS,
        "outcome_preference": "speed",
        **overrides,
    }
    with httpx.Client(base_url=url, trust_env=False, timeout=DEADLINE_S) as client:
        reply = client.post("/train/start", json=body)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["train_id"])


def ended_status(url: str, train_id: str) -> dict[str, object]:
    body: dict[str, object] = {}

    def ended() -> bool:
        nonlocal body
        with httpx.Client(base_url=url, trust_env=False, timeout=DEADLINE_S) as client:
            body = client.get(f"/train/status/{train_id}").json()
        return body["status"] in ("completed", "failed", "stopped")

    wait_until(ended, f"run {train_id} ends")
    return body


def test_like_starts_a_run_as_the_other_was_with_one_param_changed(server, cli):
    first = started(server.url)
    result = cli("start", "--like", first[:8], "--param", "max_steps=30", url=server.url)
    assert result.returncode == 0, result.stderr
    again = result.stdout.strip()
    assert len(again) == 36 and again != first
    body = ended_status(server.url, again)
    assert body["base_model"] == "small" and body["outcome"] == "speed"
    assert body["dataset_ids"] == ["builtin-units"]
    assert body["params"] == {**PARAMS, "max_steps": 30}


def test_model_datasets_and_outcome_given_take_the_runs_place(server, cli):
    first = started(server.url)
    result = cli("start", "--like", first, "--model", "tiny", "--dataset", "builtin-arithmetic",
                 "--dataset", "builtin-shell", "--outcome", "balanced", url=server.url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    body = ended_status(server.url, result.stdout.strip())
    assert body["base_model"] == "tiny" and body["outcome"] == "balanced"
    assert body["dataset_ids"] == ["builtin-arithmetic", "builtin-shell"]
    assert body["params"] == PARAMS


def remember(tmp_path, url: str, train_id: str, facts: dict[str, object]) -> None:
    """What tf-tui keeps of a run beside its state file (`RunMemory`), as an earlier tf-tui wrote it."""
    memory = {"version": 1, "backends": {backend_key(url): {train_id: facts}}}
    (tmp_path / "state.runs.json").write_text(json.dumps(memory), encoding="utf-8")


def test_a_model_or_dataset_gone_from_the_backend_is_said_and_nothing_starts(server, cli, tmp_path):
    gone = "0dd0dd00-1111-4222-8333-444455556666"
    remember(tmp_path, server.url, gone, {"base_model": "retired-7b", "dataset_ids": ["builtin-units", "deleted-set"]})
    result = cli("start", "--like", gone, url=server.url)
    assert result.returncode == 2
    assert (
        result.stderr
        == "tf-tui start --like: run 0dd0dd00's model 'retired-7b' is no longer on this backend: give --model\n"
    )

    result = cli("start", "--like", gone, "--model", "tiny", url=server.url)
    assert result.returncode == 2
    assert "run 0dd0dd00's dataset 'deleted-set' is no longer on this backend: give --dataset" in result.stderr

    result = cli("start", "--like", gone, "--model", "tiny", "--dataset", "builtin-units",
                 "--param", "max_steps=20", url=server.url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    body = ended_status(server.url, result.stdout.strip())
    assert body["base_model"] == "tiny" and body["dataset_ids"] == ["builtin-units"]


def test_without_a_model_datasets_or_a_known_run_it_says_what_to_give(server, cli):
    result = cli("start", "--dataset", "builtin-units", url=server.url)
    assert result.returncode == 2
    assert "start needs --model and --dataset, or --like TRAIN_ID to start a run as another was" in result.stderr
    unknown = "feedface-1111-4222-8333-444455556666"
    result = cli("start", "--like", unknown, url=server.url)
    assert result.returncode == 2
    assert "the server does not know run feedface, and tf-tui remembers nothing of it" in result.stderr
