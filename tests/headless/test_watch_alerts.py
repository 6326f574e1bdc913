"""`tf-tui watch --alerts` and `--exit-on-alert` as a user runs them, against real runs of the real server that
go wrong on purpose: an unclipped run whose loss goes infinite, a run whose trainer is stopped with SIGSTOP,
a run on a few examples trained long enough to overfit; and a healthy run that raises nothing."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import ENDLESS_PARAMS, SHORT_PARAMS, start_run, trainer_processes, wait_for_status, wait_until
from tf_tui.base.exit_codes import ExitCode

# With nothing clipped, a learning rate of 1 makes a prediction certain and wrong within a few steps: an infinite loss.
UNCLIPPED = {**ENDLESS_PARAMS, "clipping": False, "learning_rate": 1.0}
# Forty examples, trained on until stopped: the held-out loss climbs from its best within a few evaluations,
# which come every thousand steps, so this run goes at five times the endless pace.
FEW_EXAMPLES = {**ENDLESS_PARAMS, "max_examples": 40, "steps_per_s": 500}


@pytest.fixture
async def runs(http) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Runs started with the given params, stopped after the test whatever happens."""
    started: list[str] = []

    async def start(**params: object) -> str:
        train_id = await start_run(http, **params)
        started.append(train_id)
        return train_id

    yield start
    for train_id in started:
        await http.post(f"/train/stop/{train_id}")  # a 409 for one that ended is fine


def config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return {"TF_TUI_CONFIG": str(path)}


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def start_and_watch(cli, server, params: dict[str, object], environment: dict[str, str]):
    """`tf-tui start ... --watch --exit-on-alert --json`: the run is followed from its first moment. Stopped after."""
    given = [f"--param={key}={json.dumps(value)}" for key, value in params.items()]
    start = ["start", "--model", "tiny", "--dataset", "builtin-arithmetic", *given]
    result = cli(*start, "--watch", "--exit-on-alert", "--json", url=server.url, extra_env=environment)
    reply = json.loads(result.stdout.splitlines()[0])  # `start --json` prints the server's reply first
    httpx.post(f"{server.url}/train/stop/{reply['train_id']}", trust_env=False)
    return result


def alerts(stdout: str) -> list[dict]:
    return [record for record in records(stdout) if record.get("event") == "alert"]


async def test_an_infinite_loss_exits_7_with_its_alert_record(server, cli, runs):
    train_id = await runs(**UNCLIPPED)
    result = cli("watch", train_id, "--exit-on-alert", "--json", url=server.url)
    assert result.returncode == ExitCode.ALERT == 7, result.stderr
    [alert] = alerts(result.stdout)
    assert (alert["rule"], alert["train_id"], alert["numbers"], alert["action"]) == (
        "non_finite",
        train_id,
        {"loss": "inf"},
        None,
    )
    assert alert["text"].startswith("the loss is inf at step ")


def test_divergence_on_a_real_run_fires_with_its_numbers(server, cli, tmp_path):
    """The non-finite rule off, an unclipped run's divergence is the first alert: an infinite loss is above
    any multiple of its best, for `points` points in a row. Started and watched by one command, so that its
    first, finite loss is seen: a run joined once its loss is infinite has no best to diverge from."""
    environment = config(tmp_path, "[alerts.non_finite]\nenabled = false\n[alerts.divergence]\npoints = 3\n")
    result = start_and_watch(cli, server, UNCLIPPED, environment)
    assert result.returncode == ExitCode.ALERT, result.stderr
    [alert] = alerts(result.stdout)
    assert alert["rule"] == "divergence"
    assert alert["numbers"]["loss"] == "inf" and alert["numbers"]["points"] == 3
    assert 0 < alert["numbers"]["best_loss"] < 10


async def test_a_trainer_stopped_with_sigstop_is_a_stall(server, cli, runs, http, tmp_path):
    train_id = await runs(**ENDLESS_PARAMS)
    await wait_for_status(http, train_id, {"training"})
    [pid] = trainer_processes(train_id)
    os.kill(pid, signal.SIGSTOP)
    try:
        result = cli(
            "watch",
            train_id,
            "--exit-on-alert",
            url=server.url,
            extra_env=config(tmp_path, "[alerts.stall]\nseconds = 2\n"),
        )
    finally:
        os.kill(pid, signal.SIGCONT)
    assert result.returncode == ExitCode.ALERT, result.stderr
    [line] = [line for line in result.stdout.splitlines() if " ALERT " in line]
    assert f"alert on {train_id[:8]}, stall: no new step for" in line
    assert "(the limit is 2 s); still at step" in line


def test_a_few_examples_trained_long_overfit(server, cli, tmp_path):
    """Watched from its first step: the evaluations seen, and so the alert, do not depend on the machine's speed."""
    environment = config(tmp_path, "[alerts.overfitting]\nevaluations = 3\n")
    result = start_and_watch(cli, server, FEW_EXAMPLES, environment)
    assert result.returncode == ExitCode.ALERT, result.stderr
    [alert] = alerts(result.stdout)
    numbers = alert["numbers"]
    assert alert["rule"] == "overfitting" and numbers["evaluations"] == 3
    assert numbers["eval_loss"] > numbers["best_eval_loss"] and numbers["loss"] < numbers["loss_at_best"]


async def test_the_stop_action_stops_the_real_run_and_says_so(server, cli, runs, http, tmp_path):
    """`watch --alerts` follows the run to its end: stopped by the alert's action, so it exits 3."""
    train_id = await runs(**UNCLIPPED)
    # Divergence off: the infinite loss would also be one, if the stop came later than three more points.
    environment = config(tmp_path, '[alerts.non_finite]\naction = "stop"\n[alerts.divergence]\nenabled = false\n')
    result = cli("watch", train_id, "--alerts", "--json", url=server.url, extra_env=environment)
    assert result.returncode == ExitCode.STOPPED, result.stderr
    [alert] = alerts(result.stdout)
    assert (alert["rule"], alert["action"]) == ("non_finite", "stop")
    assert records(result.stdout)[-1]["outcome"] == "stopped"
    assert (await http.get(f"/train/status/{train_id}")).json()["status"] == "stopped"


async def test_exit_on_alert_waits_for_the_stop_its_rule_asked_for(server, cli, runs, http, tmp_path):
    train_id = await runs(**UNCLIPPED)
    environment = config(tmp_path, '[alerts.non_finite]\naction = "stop"\n')
    result = cli("watch", train_id, "--exit-on-alert", url=server.url, extra_env=environment)
    assert result.returncode == ExitCode.ALERT, result.stderr
    assert 'stopping the run, as [alerts.non_finite] action = "stop" says' in result.stdout
    assert (await http.get(f"/train/status/{train_id}")).json()["status"] == "stopped"
    wait_until(lambda: not trainer_processes(train_id), "the trainer is gone")


async def test_a_healthy_run_raises_no_alert(server, cli, runs):
    train_id = await runs(**SHORT_PARAMS)
    result = cli("watch", train_id, "--exit-on-alert", "--json", url=server.url)
    assert result.returncode == ExitCode.OK, result.stderr
    assert alerts(result.stdout) == []
    assert records(result.stdout)[-1]["outcome"] == "completed"


def test_a_bad_alerts_table_is_a_usage_error_that_names_the_key(server, cli, tmp_path):
    environment = config(tmp_path, "[alerts.stall]\nsecond = 5\n")
    result = cli("watch", "abcd1234", "--alerts", url=server.url, extra_env=environment)
    assert result.returncode == ExitCode.USAGE
    assert "unknown key 'second' in [alerts.stall] (did you mean 'seconds'?)" in result.stderr


def test_the_help_documents_the_alert_options_and_exit_7(cli):
    watch = " ".join(cli("watch", "--help", url="http://127.0.0.1:9").stdout.split())
    assert "--alerts watch the runs' health too" in watch
    assert "--exit-on-alert exit 7 at the first alert (implies --alerts)" in watch
    commands = " ".join(cli("--help", url="http://127.0.0.1:9").stdout.split())
    assert "7 an alert with --exit-on-alert" in commands
