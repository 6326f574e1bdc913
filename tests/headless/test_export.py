"""`tf-tui export` as a user runs it: real processes against the real reference server (and the scripted
backend for one that keeps no history), and the streaming it is built on."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from random import Random

import pytest

from tests.conftest import start_run, wait_for_status
from tests.headless.test_fleet_headless import fleet_cli
from tests.headless.test_headless_cli import assert_no_traceback
from tests.scripted_backend import running_backend
from tf_tui.base.exit_codes import ExitCode
from tf_tui.core.fleet import RunKey
from tf_tui.headless.export import RUN_COLUMNS, Reading, in_order, progress_bar
from tf_tui.headless.history_points import Point, decode_points, points_from_json
from tf_tui.headless.history_rows import POINT_COLUMNS, best_loss, history_rows
from tf_tui.headless.rows import RowFormat, RowWriter
from tf_tui.headless.utc_times import iso_times

METRICS = ("loss", "eval_loss", "samples_per_s", "learning_rate")


@pytest.fixture
async def evaluated_run(http) -> tuple[str, dict, list[dict], dict]:
    """A run that completed and was evaluated on the shared server: its id, status, points and evaluation."""
    train_id = await start_run(http, max_steps=300, batch_size=32)
    await wait_for_status(http, train_id, {"completed"})
    evaluation = await http.post("/evaluate/run", json={"talent_id": train_id}, timeout=120)
    assert evaluation.status_code == 200, evaluation.text
    status = (await http.get(f"/train/status/{train_id}")).json()
    points = (await http.get(f"/train/metrics/{train_id}")).json()["points"]
    return train_id, status, points, evaluation.json()["metrics"]


async def test_a_run_is_exported_with_what_it_was_started_with_its_losses_and_its_evaluation(
    server, evaluated_run, tmp_path
):
    train_id, status, points, evaluation = evaluated_run
    result = await asyncio.to_thread(fleet_cli(tmp_path, {"shared": server.url}), "export", "--json", train_id[:8])
    assert result.returncode == ExitCode.OK, result.stderr
    [row] = json.loads(result.stdout)
    assert list(row) == list(RUN_COLUMNS)
    assert row["train_id"] == train_id and row["backend"] == "shared"
    assert (row["base_model"], row["dataset_ids"], row["outcome_preference"]) == (
        "tiny",
        ["builtin-arithmetic"],
        "balanced",
    )
    assert row["params"]["max_steps"] == 300 and row["params"]["batch_size"] == 32
    assert (row["status"], row["outcome"], row["progress"]) == ("completed", "completed", 100)
    assert row["final_loss"] == status["result"]["final_loss"]
    assert row["best_loss"] == min(point["loss"] for point in points if point["loss"] is not None)
    assert row["held_out_loss"] == status["result"]["held_out_loss"]
    assert row["evaluation"] == evaluation and "perplexity" in evaluation
    assert row["duration_s"] == status["result"]["duration_s"]
    assert row["created_at"] and row["started_at"] and row["ended_at"]


async def test_metrics_are_exported_in_long_format_a_row_a_point_and_metric(server, evaluated_run, tmp_path):
    train_id, status, points, _ = evaluated_run
    cli = fleet_cli(tmp_path, {"shared": server.url})
    result = await asyncio.to_thread(cli, "export", "--metrics", train_id)
    assert result.returncode == ExitCode.OK, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = [(point["step"], name, point[name]) for point in points for name in METRICS if point[name] is not None]
    assert [(int(row["step"]), row["metric"], float(row["value"])) for row in rows] == expected
    assert {row["train_id"] for row in rows} == {train_id} and {row["backend"] for row in rows} == {"shared"}
    first = rows[0]
    assert float(first["elapsed_s"]) == points[0]["elapsed_s"] and first["time"].startswith(status["started_at"][:10])

    as_lines = await asyncio.to_thread(cli, "export", "--metrics", "--jsonl", train_id)
    records = [json.loads(line) for line in as_lines.stdout.splitlines()]
    assert [list(record) for record in records[:1]] == [list(POINT_COLUMNS)]
    assert [(record["step"], record["metric"], record["value"]) for record in records] == expected


async def test_every_run_is_exported_by_default_and_since_a_date(server, evaluated_run, tmp_path):
    train_id = evaluated_run[0]
    cli = fleet_cli(tmp_path, {"shared": server.url})
    every = await asyncio.to_thread(cli, "export", "--jsonl")
    assert every.returncode == ExitCode.OK, every.stderr
    assert train_id in [json.loads(line)["train_id"] for line in every.stdout.splitlines()]
    explicit = await asyncio.to_thread(cli, "export", "--all", "--csv", "--since", "2020-01-01")
    assert train_id in [row["train_id"] for row in csv.DictReader(io.StringIO(explicit.stdout))]
    later = await asyncio.to_thread(cli, "export", "--json", "--since", "2999-01-01T00:00:00")
    assert (later.returncode, json.loads(later.stdout)) == (ExitCode.OK, [])


async def test_a_backend_that_keeps_no_history_exports_its_runs_without_best_loss(tmp_path):
    async with running_backend() as backend:
        train_id = "3f2a9c1e-0000-4000-8000-000000000000"
        backend.status_bodies[train_id] = {"status": "training", "progress": 10, "details": {"loss": 1.5}}
        result = await asyncio.to_thread(fleet_cli(tmp_path, {"deployed": backend.url}), "export", "--json")
        metrics = await asyncio.to_thread(fleet_cli(tmp_path, {"deployed": backend.url}), "export", "--metrics")
    assert result.returncode == ExitCode.OK, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["train_id"], row["outcome"], row["final_loss"], row["best_loss"]) == (train_id, "going", 1.5, None)
    assert (metrics.returncode, metrics.stdout) == (ExitCode.OK, ",".join(POINT_COLUMNS) + "\n")


@pytest.mark.parametrize("arguments", [("export", "--metrics"), ("export",), ("status",)])
async def test_each_listed_run_is_read_once(tmp_path, arguments):
    """The listing reads the status of each run it names: the ones still going are not read a second time."""
    async with running_backend() as backend:
        going = [f"3f2a9c1e-0000-4000-8000-00000000000{index}" for index in range(3)]
        for train_id in going:
            backend.status_bodies[train_id] = {"status": "training", "progress": 10}
        ended = "3f2a9c1e-0000-4000-8000-000000000009"
        backend.status_bodies[ended] = {"status": "completed", "progress": 100}
        result = await asyncio.to_thread(fleet_cli(tmp_path, {"deployed": backend.url}), *arguments)
    assert result.returncode == ExitCode.OK, result.stderr
    assert sorted(backend.status_reads) == sorted([*going, ended])


@pytest.mark.parametrize(
    ("arguments", "code", "words"),
    [
        (("--all", "3f2a9c1e"), ExitCode.USAGE, "give run ids or --all, not both"),
        (("--since", "last tuesday"), ExitCode.USAGE, "--since 'last tuesday' is not a date"),
        (("--json", "--csv"), ExitCode.USAGE, "not allowed with argument"),
        (("00000000-0000-4000-8000-000000000000",), ExitCode.UNKNOWN_RUN, "the server does not know run 0000"),
    ],
)
def test_what_cannot_be_exported_is_said_in_words(server, tmp_path, arguments, code, words):
    result = fleet_cli(tmp_path, {"shared": server.url})("export", *arguments)
    assert result.returncode == code, result.stderr
    assert words in result.stderr
    assert result.stdout in ("", ",".join(RUN_COLUMNS) + "\n")  # nothing, or no row
    assert_no_traceback(result)


async def test_runs_are_read_a_window_at_a_time_and_written_in_their_order():
    keys = [RunKey("b", f"run-{index}") for index in range(40)]
    out, most = [], 0
    reading: set[str] = set()

    async def read(key: RunKey) -> Reading:
        nonlocal most
        reading.add(key.train_id)
        most = max(most, len(reading))
        await asyncio.sleep(0.001 * (hash(key.train_id) % 5))  # out of order on purpose
        reading.discard(key.train_id)
        return Reading(evaluation={"n": float(key.train_id.split("-")[1])})

    async for key, done in in_order(keys, read, window=6):
        out.append((key.train_id, done.evaluation))
    assert out == [(key.train_id, {"n": float(index)}) for index, key in enumerate(keys)]
    assert 1 < most <= 6


async def test_a_reader_that_stops_early_leaves_no_read_going():
    started: list[asyncio.Task[object] | None] = []

    async def read(key: RunKey) -> Reading:
        started.append(asyncio.current_task())
        await asyncio.sleep(0 if key.train_id == "0" else 60)
        return Reading()

    pipeline = in_order([RunKey("b", str(index)) for index in range(10)], read, window=4)
    first = await anext(pipeline)
    assert first[0].train_id == "0"
    await pipeline.aclose()
    assert len(started) == 4 and all(task is not None and task.done() for task in started)


@pytest.mark.parametrize("form", list(RowFormat))
def test_rows_are_written_one_at_a_time_in_each_format(form):
    out = io.StringIO()
    writer = RowWriter(out, form, ("id", "params", "loss"), nested=("params",))
    writer.write(["a", {"lr": 0.1}, 1.5])
    first = out.getvalue()
    writer.write(["b", None, None])
    writer.close()
    if form is RowFormat.CSV:
        assert first == 'id,params,loss\na,"{""lr"": 0.1}",1.5\n'
        assert out.getvalue() == first + "b,,\n"
    else:
        rows = (
            json.loads(out.getvalue())
            if form is RowFormat.JSON
            else [json.loads(line) for line in out.getvalue().splitlines()]
        )
        assert rows == [{"id": "a", "params": {"lr": 0.1}, "loss": 1.5}, {"id": "b", "params": None, "loss": None}]
        assert '"a"' in first  # written before the next row came


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_on_a_terminal_only():
    terminal, file = Terminal(), io.StringIO()
    for err in (terminal, file):
        with progress_bar(3, err) as advance:
            for _ in range(3):
                advance()
    assert "reading runs" in terminal.getvalue() and "3/3" in terminal.getvalue()
    assert file.getvalue() == ""


HOSTILE_HISTORY = [
    {"step": 1, "loss": 2.5, "eval_loss": None, "elapsed_s": 0.5, "samples_per_s": 100, "learning_rate": 0.003},
    {"step": 2, "loss": "NaN", "eval_loss": 1e400, "elapsed_s": None, "samples_per_s": True},  # nothing usable
    {"step": -1, "loss": 1.0},  # no step a run can have
    {"step": True, "loss": 1.0},
    "not a point",
    {"step": 3, "loss": 0.0, "elapsed_s": 1.25},
]


@pytest.mark.parametrize("form", list(RowFormat))
def test_a_history_is_written_by_the_rules_of_a_point_in_each_format(form):
    out = io.StringIO()
    writer = RowWriter(out, form, POINT_COLUMNS)
    points = points_from_json(HOSTILE_HISTORY)
    writer.write_encoded(history_rows(form, 'run "a", the first', "gpu,1", points, 1_800_000_000.0))
    writer.close()
    if form is RowFormat.CSV:
        rows = [tuple(row.values()) for row in csv.DictReader(io.StringIO(out.getvalue()))]
    elif form is RowFormat.JSON:
        rows = [tuple(row.values()) for row in json.loads(out.getvalue())]
    else:
        rows = [tuple(json.loads(line).values()) for line in out.getvalue().splitlines()]
    as_written = [tuple("" if value is None else str(value) for value in row) for row in rows]
    at = "2027-01-15T08:00:0"
    assert as_written == [
        ('run "a", the first', "gpu,1", "1", "loss", "2.5", "0.5", f"{at}0.500+00:00"),
        ('run "a", the first', "gpu,1", "1", "samples_per_s", "100.0", "0.5", f"{at}0.500+00:00"),
        ('run "a", the first', "gpu,1", "1", "learning_rate", "0.003", "0.5", f"{at}0.500+00:00"),
        ('run "a", the first', "gpu,1", "3", "loss", "0.0", "1.25", f"{at}1.250+00:00"),
    ]
    assert best_loss(points) == 0.0


@pytest.mark.parametrize("form", list(RowFormat))
def test_rows_written_one_by_one_and_encoded_ones_read_alike(form):
    """Histories with no rows among them (first, between, last) change nothing of the document."""
    one_by_one, encoded = io.StringIO(), io.StringIO()
    histories = [[], [Point(1, loss=2.5, elapsed_s=0.5)], [], [Point(2, loss=1.5, learning_rate=0.1)], []]
    for out, write in ((one_by_one, "values"), (encoded, "encoded")):
        writer = RowWriter(out, form, POINT_COLUMNS)
        if write == "values":
            writer.write(("r", "b", 1, "loss", 2.5, 0.5, None))
            writer.write(("r", "b", 2, "loss", 1.5, None, None))
            writer.write(("r", "b", 2, "learning_rate", 0.1, None, None))
        else:
            for points in histories:
                writer.write_encoded(history_rows(form, "r", "b", points, None))
        writer.close()
    assert one_by_one.getvalue() == encoded.getvalue()


EDGE_TIMES = [
    0.0,
    1_800_000_000.0,
    1_800_000_000.0004999,
    1_800_000_000.9999996,
    3239348457.3299994,
    1350569684.1689994,
]


@pytest.mark.parametrize("at", EDGE_TIMES)
def test_times_are_written_as_isoformat_writes_them(at):
    times = [at - 7, at, at + 0.0015, at]  # another second formatted before, and the same second again
    assert iso_times(times) == [datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds") for t in times]


def test_a_column_of_times_is_written_as_isoformat_writes_each():
    """Times rounded up into the next second, before 1970, and a history's steps of a hundredth of a second
    from a start with a fraction, which cross seconds at every hundredth point."""
    random = Random(25)
    times = [
        *EDGE_TIMES,
        -0.0000004,
        -1.9999996,
        -86_400.25,
        *(1_800_000_000.123 + step * 0.01 for step in range(1, 2001)),
        *(random.uniform(-1e9, 4e9) for _ in range(5000)),
        *(random.randrange(0, 4_000_000_000) + 0.9999995 + random.uniform(0, 5e-7) for _ in range(2000)),
    ]
    assert iso_times(times) == [datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds") for t in times]
    assert iso_times([]) == []


GOLDEN = Path(__file__).parent / "export_golden"


@pytest.mark.parametrize("form", list(RowFormat))
@pytest.mark.parametrize(("history", "typed"), [("clean", True), ("hostile", False)])
def test_a_history_is_exported_as_it_always_was(history, typed, form):
    """The rows of a fixed history, byte for byte as export wrote them before its histories were decoded into
    typed points: one msgspec takes (ints as values, a negative zero, values nearer zero than a usable one,
    the largest step) and one it refuses, taken entry by entry instead (text, NaN, booleans, out of range)."""
    body = (GOLDEN / f"{history}.history.json").read_bytes()
    points = decode_points(body)
    assert (points is not None) is typed
    if points is None:
        points = points_from_json(json.loads(body)["points"])
    out = io.StringIO()
    writer = RowWriter(out, form, POINT_COLUMNS)
    writer.write_encoded(history_rows(form, 'run "a", the first', "gpu,1", points, 1_800_000_000.0))
    writer.write_encoded(history_rows(form, "b", "gpu", points, None))
    writer.close()
    assert out.getvalue() == (GOLDEN / f"{history}.{form.value}").read_text()
