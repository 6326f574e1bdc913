"""`tf-tui metrics` and `status --json`'s latest loss as a user runs them: real processes, the real server
(and the scripted backend for one without the route), named in a config file as one backend or several."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys

import pytest

from tests.conftest import cli_environment, start_run, wait_for_status
from tests.headless.test_fleet_headless import fleet_cli
from tests.headless.test_headless_cli import assert_no_traceback
from tests.scripted_backend import running_backend
from tf_tui.base.exit_codes import ExitCode
from tf_tui.core.smoothing import smooth

FIELDS = ["step", "loss", "eval_loss", "elapsed_s", "samples_per_s", "learning_rate"]


@pytest.fixture
async def finished_run(http) -> tuple[str, list[dict[str, object]]]:
    """A run that completed on the shared server, and the points its metrics route serves."""
    train_id = await start_run(http)
    await wait_for_status(http, train_id, {"completed"})
    return train_id, (await http.get(f"/train/metrics/{train_id}")).json()["points"]


async def test_json_and_csv_print_every_point_the_server_keeps(server, finished_run, tmp_path) -> None:
    train_id, points = finished_run
    as_json = await asyncio.to_thread(fleet_cli(tmp_path, {"backend": server.url}), "metrics", train_id, "--json")
    assert as_json.returncode == ExitCode.OK, as_json.stderr
    document = json.loads(as_json.stdout)
    assert (document["train_id"], document["downsampled"]) == (train_id, False)
    assert document["points"] == [{name: point[name] for name in FIELDS} for point in points]

    as_csv = await asyncio.to_thread(fleet_cli(tmp_path, {"backend": server.url}), "metrics", train_id[:8], "--csv")
    assert as_csv.returncode == ExitCode.OK, as_csv.stderr
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == FIELDS
    assert [int(row[0]) for row in rows[1:]] == [point["step"] for point in points]
    evaluated = [row for row in rows[1:] if row[2]]
    assert [int(row[0]) for row in evaluated] == [point["step"] for point in points if point["eval_loss"] is not None]
    assert all(float(row[1]) == point["loss"] for row, point in zip(rows[1:], points, strict=True))


async def test_the_table_shows_each_step_and_says_what_it_holds(server, finished_run, tmp_path) -> None:
    train_id, points = finished_run
    result = await asyncio.to_thread(fleet_cli(tmp_path, {"backend": server.url}), "metrics", train_id)
    assert result.returncode == ExitCode.OK, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["STEP", "ELAPSED", "LOSS", "HELD-OUT", "LOSS", "SAMPLES/S", "LEARNING", "RATE"]
    last = points[-1]
    assert lines[-2].split()[:1] == [str(last["step"])] and f"{last['loss']:.4f}" in lines[-2]
    assert lines[-1] == f"{len(points)} points, steps 1 to {last['step']}"
    assert len(lines) == len(points) + 2


def test_an_unknown_run_exits_4_in_words(server, tmp_path) -> None:
    result = fleet_cli(tmp_path, {"backend": server.url})("metrics", "00000000-0000-4000-8000-000000000000")
    assert result.returncode == ExitCode.UNKNOWN_RUN
    assert "tf-tui metrics: the server does not know run 00000000-0000-4000-8000-000000000000" in result.stderr
    assert_no_traceback(result)


async def test_a_backend_without_the_route_is_said_in_words_and_exits_unsupported(tmp_path) -> None:
    async with running_backend() as backend:
        train_id = "3f2a9c1e-0000-4000-8000-000000000000"
        backend.status_bodies[train_id] = {"status": "training", "progress": 10}
        result = await asyncio.to_thread(fleet_cli(tmp_path, {"backend": backend.url}), "metrics", train_id, "--csv")
    assert result.returncode == ExitCode.UNSUPPORTED
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "tf-tui metrics: this backend does not offer a run's metrics history (HTTP 404, Not Found)"
    )


async def test_in_a_fleet_the_backend_that_knows_the_run_answers(server, start_server, finished_run, tmp_path) -> None:
    train_id, points = finished_run
    in_fleet = fleet_cli(tmp_path, {"other": start_server().url, "shared": server.url})
    result = await asyncio.to_thread(in_fleet, "metrics", train_id, "--json")
    assert result.returncode == ExitCode.OK, result.stderr
    assert len(json.loads(result.stdout)["points"]) == len(points)


async def test_status_json_has_each_runs_latest_loss(server, finished_run, tmp_path) -> None:
    train_id, points = finished_run
    result = await asyncio.to_thread(fleet_cli(tmp_path, {"backend": server.url}), "status", "--json")
    assert result.returncode == ExitCode.OK, result.stderr
    [record] = [record for record in json.loads(result.stdout) if record["train_id"] == train_id]
    assert record["loss"] == points[-1]["loss"]
    # The last evaluation is the last step's (a run evaluates at its end), which the status read brings.
    assert record["eval_loss"] == points[-1]["eval_loss"] is not None


def test_json_and_csv_go_together_with_nothing(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tf_tui", "metrics", "some-run", "--json", "--csv"],
        capture_output=True,
        text=True,
        env=cli_environment(tmp_path),
        check=False,
    )
    assert result.returncode == ExitCode.USAGE
    assert "not allowed with argument" in result.stderr


async def test_smooth_adds_the_smoothed_loss_beside_the_raw_loss_in_every_form(server, finished_run, tmp_path) -> None:
    train_id, points = finished_run
    cli = fleet_cli(tmp_path, {"backend": server.url})
    expected = smooth([(point["step"], point["loss"]) for point in points], 0.9)

    as_json = await asyncio.to_thread(cli, "metrics", train_id, "--json", "--smooth", "0.9")
    assert as_json.returncode == ExitCode.OK, as_json.stderr
    got = json.loads(as_json.stdout)["points"]
    assert [list(point)[:3] for point in got] == [["step", "loss", "smoothed_loss"]] * len(points)
    assert [point["smoothed_loss"] for point in got] == expected
    assert [point["loss"] for point in got] == [point["loss"] for point in points]

    as_csv = await asyncio.to_thread(cli, "metrics", train_id, "--csv", "--smooth", "0.9")
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["step", "loss", "smoothed_loss", *FIELDS[2:]]
    assert [float(row[2]) for row in rows[1:]] == expected

    table = await asyncio.to_thread(cli, "metrics", train_id, "--smooth", "0.9")
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["STEP", "ELAPSED", "LOSS", "SMOOTHED"]
    assert lines[-2].split()[2:4] == [f"{points[-1]['loss']:.4f}", f"{expected[-1]:.4f}"]


@pytest.mark.parametrize("weight", ["1", "-0.5", "nan", "much"])
def test_a_smoothing_weight_outside_0_to_1_is_a_usage_error(weight, tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tf_tui", "metrics", "some-run", "--smooth", weight],
        capture_output=True,
        text=True,
        env=cli_environment(tmp_path),
        check=False,
    )
    assert result.returncode == ExitCode.USAGE
    assert "--smooth: must be from 0 up to (not including) 1" in result.stderr
