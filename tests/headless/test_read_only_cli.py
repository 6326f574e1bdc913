"""Read-only: every headless command that changes a backend exits 2 with a sentence and sends nothing, for
`--read-only`, the config's top-level `read_only = true`, and a `[[backends]]` entry's own (that backend's
runs only). Real processes against the real reference server."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import DEADLINE_S, ENDLESS_PARAMS, SHORT_PARAMS

HOW = "(--read-only, or read_only = true in the config file). Nothing was sent.\n"


def http(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, trust_env=False, timeout=DEADLINE_S)


def start(url: str, params: dict[str, int]) -> str:
    with http(url) as client:
        body = {"base_model": "tiny", "dataset_ids": ["builtin-arithmetic"], "params": params}
        return str(client.post("/train/start", json=body).json()["train_id"])


def status(url: str, train_id: str) -> str:
    with http(url) as client:
        return str(client.get(f"/train/status/{train_id}").json()["status"])


def runs_and_datasets(url: str) -> tuple[int, int]:
    with http(url) as client:
        return client.get("/train/active").json()["count"], client.get("/datasets/available").json()["count"]


def changing_commands(train_id: str, upload: str) -> dict[str, list[str]]:
    return {
        "start": ["start", "--model", "tiny", "--dataset", "builtin-arithmetic"],
        "stop": ["stop", train_id, "--yes"],
        "evaluate": ["evaluate", train_id],
        "publish": ["publish", train_id, "--name", "n", "--category", "general"],
        "dataset upload": ["dataset", "upload", upload],
    }


@pytest.fixture
def going(server):
    """A run that trains until stopped, on the shared server."""
    train_id = start(server.url, ENDLESS_PARAMS)
    yield train_id
    with http(server.url) as client:
        client.post(f"/train/stop/{train_id}")


@pytest.mark.parametrize("how", ["flag", "config"])
def test_every_changing_command_exits_2_and_sends_nothing(server, cli, going, tmp_path, how):
    upload = tmp_path / "examples.jsonl"
    upload.write_text('{"instruction": "a", "output": "b"}\n')
    config = tmp_path / "config.toml"
    config.write_text("read_only = true\n")
    flags, env = (["--read-only"], None) if how == "flag" else ([], {"TF_TUI_CONFIG": str(config)})
    before = runs_and_datasets(server.url)
    for command, arguments in changing_commands(going, str(upload)).items():
        result = cli(*arguments, *flags, url=server.url, extra_env=env)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr == f"tf-tui {command}: Read-only: {command} is off {HOW}"
        assert result.stdout == ""
    assert runs_and_datasets(server.url) == before  # nothing started, nothing uploaded
    assert status(server.url, going) == "training"  # nor stopped


def test_the_commands_that_only_read_still_work_read_only(server, cli, going):
    for arguments in (["status"], ["models"], ["datasets"], ["talents"], ["metrics", going], ["logs", going]):
        result = cli(*arguments, "--read-only", url=server.url)
        assert result.returncode == 0, (arguments, result.stderr)


def test_a_read_only_backend_refuses_its_runs_changes_and_the_other_takes_them(server, start_server, cli, tmp_path):
    other = start_server()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[backends]]\nname = "watched"\nurl = "{server.url}"\nread_only = true\n'
        f'[[backends]]\nname = "mine"\nurl = "{other.url}"\n'
    )
    env = {"TF_TUI_CONFIG": str(config)}
    watched = start(server.url, ENDLESS_PARAMS)
    mine = start(other.url, ENDLESS_PARAMS)
    try:
        for command in ("stop", "evaluate", "publish"):
            arguments = changing_commands(watched, "")[command]
            result = cli(*arguments, extra_env=env, url=server.url)
            # --url picks the configured backend by its URL: it keeps its read_only, and is the only one.
            assert result.returncode == 2, (command, result.stderr)
            assert f"Read-only: {command} is off" in result.stderr
        result = cli("dataset", "upload", str(config), "--backend", "watched", extra_env=env, url=server.url)
        assert result.returncode == 2 and "dataset upload is off" in result.stderr, result.stderr
        assert status(server.url, watched) == "training"

        # Both backends followed: each run's own backend decides.
        both = ["--backend", "watched", "--backend", "mine"]
        result = cli("stop", watched, "--yes", *both, extra_env=env, url=server.url)
        assert result.returncode == 2 and "Read-only backend watched: stop is off" in result.stderr, result.stderr
        result = cli("start", "--like", watched, *both, extra_env=env, url=server.url)
        assert result.returncode == 2 and "Read-only backend watched: start is off" in result.stderr, result.stderr
        result = cli("stop", mine, "--yes", *both, extra_env=env, url=server.url)
        assert result.returncode == 0, result.stderr
        result = cli("start", "--like", mine, "--param", f"max_steps={SHORT_PARAMS['max_steps']}", *both,
                     extra_env=env, url=server.url)  # fmt: skip
        assert result.returncode == 0, result.stderr
        with http(other.url) as client:  # started on the backend that is not read-only
            body = client.get(f"/train/status/{result.stdout.strip()}").json()
        assert body["params"]["max_steps"] == SHORT_PARAMS["max_steps"], body
    finally:
        with http(server.url) as client:
            client.post(f"/train/stop/{watched}")
