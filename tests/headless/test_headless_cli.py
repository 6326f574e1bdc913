"""`tf-tui watch|status|start|stop` as a user runs them: real processes against the real server."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable

from fastapi.responses import PlainTextResponse

from tests.conftest import (
    DEADLINE_S,
    ENDLESS_PARAMS,
    api_client,
    cli_environment,
    start_run,
    tf_tui_command,
    trainer_processes,
    wait_for_status,
)
from tests.scripted_backend import running_backend
from tf_tui.headless.commands import stop_run
from tf_tui.headless.models import list_models


def assert_no_traceback(result):
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def test_start_watch_shows_every_update_and_exits_0(server, cli):
    result = cli("start", "--model", "tiny", "--dataset", "builtin-arithmetic", "--param", "max_steps=2500",
                 "--param", "batch_size=32", "--watch", url=server.url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    train_id = lines[0]
    assert len(train_id) == 36
    updates = lines[1:]
    assert any(" training " in line and "[ws]" in line for line in updates)
    assert "completed 100%" in updates[-1]
    assert all(line.split()[1] == train_id[:8] for line in updates)
    assert_no_traceback(result)


def test_json_start_then_watch_the_remembered_run(server, cli):
    started = cli("start", "--model", "tiny", "--dataset", "builtin-units", "--param", "max_steps=2500",
                  "--json", url=server.url)  # fmt: skip
    reply = json.loads(started.stdout)
    assert reply["status"] == "started"
    watched = cli("watch", "--json", url=server.url)
    assert watched.returncode == 0, watched.stderr
    records = [json.loads(line) for line in watched.stdout.splitlines()]
    assert {record["train_id"] for record in records} == {reply["train_id"]}
    for record in records:
        assert {"train_id", "status", "outcome", "progress", "source", "details", "received_at"} <= set(record)
        assert record["source"] in ("ws", "poll", "resync")
    assert records[-1]["status"] == "completed" and records[-1]["progress"] == 100
    assert records[-1]["outcome"] == "completed"
    assert cli("watch", url=server.url).returncode == 2  # nothing is remembered any more


async def test_watch_of_a_run_that_already_failed_exits_1_at_once(server, cli):
    async with api_client(server.url) as client:
        short = (await client.post("/dataset/ingest-single", files={"file": ("s.txt", b"Too short.")})).json()
        reply = await client.post("/train/start", json={"base_model": "tiny", "dataset_ids": [short["dataset_id"]]})
        train_id = reply.json()["train_id"]
        await wait_for_status(client, train_id, {"failed"})
    result = cli("watch", train_id, url=server.url, timeout=30)
    assert result.returncode == 1
    assert "failed" in result.stdout and "too few to train on" in result.stdout


async def test_stop_then_watch_says_stopped(server, cli, http, endless_run):
    train_id = await endless_run()
    await wait_for_status(http, train_id, {"training"})
    timed_out = cli("watch", train_id, "--timeout", "1", url=server.url)
    assert timed_out.returncode == 5 and "gave up after 1 s" in timed_out.stderr
    stopped = cli("stop", train_id, "--yes", url=server.url)
    assert stopped.returncode == 0 and f"stopped {train_id}" in stopped.stdout
    assert cli("watch", train_id, url=server.url).returncode == 3
    again = cli("stop", train_id, "--yes", url=server.url)
    assert again.returncode == 1 and "had already ended (stopped)" in again.stderr
    unknown = cli("stop", "no-such-run", "--yes", url=server.url)
    assert unknown.returncode == 1 and "does not know run no-such-run" in unknown.stderr


def test_an_unwritable_state_file_is_said_once_on_stderr(server, cli):
    unwritable = {"TF_TUI_STATE_FILE": "/proc/tf-tui-test/state.json"}
    started = cli("start", "--model", "tiny", "--dataset", "builtin-arithmetic", "--param", "max_steps=1500",
                  "--param", "batch_size=32", "--watch", url=server.url, extra_env=unwritable)  # fmt: skip
    assert started.returncode == 0, started.stderr
    # Remembering the run and forgetting it at its end both failed: said once.
    said = [line for line in started.stderr.splitlines() if "state file" in line]
    assert len(said) == 1, started.stderr
    assert said[0].startswith("tf-tui start: warning: cannot write the state file /proc/tf-tui-test/state.json (")
    assert "not remembered after this tf-tui exits" in said[0]
    watched = cli("watch", url=server.url, extra_env=unwritable)
    assert watched.returncode == 2
    assert "none remembered for " + server.url + " in /proc/tf-tui-test/state.json" in watched.stderr


def test_watch_of_an_unknown_run_exits_4(server, cli):
    result = cli("watch", "no-such-run", url=server.url)
    assert result.returncode == 4 and "not found on the server" in result.stdout


async def test_status_lists_server_runs_and_remembered_ones(server, cli):
    async with api_client(server.url) as client:
        listed = await start_run(client)
        await wait_for_status(client, listed, {"completed"})
    table = cli("status", url=server.url)
    assert table.returncode == 0 and listed[:8] in table.stdout and "completed" in table.stdout
    records = json.loads(cli("status", "--json", url=server.url).stdout)
    mine = next(record for record in records if record["train_id"] == listed)
    assert (mine["status"], mine["progress"], mine["base_model"]) == ("completed", 100, "tiny")


def test_a_dead_server_is_reported_in_words(cli):
    url = "http://127.0.0.1:9"  # the discard port: nothing listens there, every connection is refused
    for arguments in (["status"], ["start", "--model", "tiny", "--dataset", "d"], ["stop", "x", "--yes"]):
        result = cli(*arguments, url=url)
        assert result.returncode == 1, arguments
        assert "cannot reach" in result.stderr, result.stderr
        assert_no_traceback(result)
    # Long enough for a starved process to try the socket at least once before it gives up.
    watching = cli("watch", "some-run", "--timeout", "5", url=url)
    assert watching.returncode == 5
    assert "websocket reconnecting" in watching.stderr and "connection refused" in watching.stderr
    assert_no_traceback(watching)


def test_server_refusals_and_bad_usage_are_said_in_words(server, cli):
    refused = cli("start", "--model", "gpt-17", "--dataset", "builtin-units", url=server.url)
    assert refused.returncode == 1 and "base_model: Value error, unknown model 'gpt-17'" in refused.stderr
    assert cli("start", "--model", "tiny", "--dataset", "x", "--param", "oops", url=server.url).returncode == 2
    assert cli("status", url="not a url").returncode == 2


def test_the_token_never_reaches_the_log_or_the_screen(start_server, cli, tmp_path):
    guarded = start_server(token="tok-3f9a1c")
    result = cli("--log-level", "debug", "--token", "tok-3f9a1c", "start", "--model", "tiny", "--dataset",
                 "builtin-shell", "--param", "max_steps=300", "--watch", url=guarded.url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "tf-tui.log").read_text()
    assert "subscription confirmed" in log
    assert "tok-3f9a1c" not in log + result.stdout + result.stderr


async def test_the_short_ids_tf_tui_prints_are_taken_back(server, cli, http, endless_run):
    finished = await start_run(http)
    await wait_for_status(http, finished, {"completed"})
    watched = cli("watch", finished[:8], url=server.url)
    assert watched.returncode == 0, watched.stderr
    assert f"{finished[:8]} completed 100%" in watched.stdout
    going = await endless_run()
    await wait_for_status(http, going, {"training"})
    stopped = cli("stop", going[:6], "--yes", url=server.url)
    assert stopped.returncode == 0 and f"stopped {going}" in stopped.stdout, stopped.stderr


async def test_watch_with_ids_follows_those_and_leaves_the_remembered_others_alone(server, cli, http, tmp_path):
    finished = await start_run(http)
    await wait_for_status(http, finished, {"completed"})
    # Remembered, and unknown to the server: a command that followed it would hear 404 and forget it.
    other = "0ther000-0000-4000-8000-000000000000"
    (tmp_path / "state.json").write_text(json.dumps({"version": 1, "backends": {server.url: {"active": [other]}}}))
    for arguments in (
        ["watch", finished],
        ["start", "--model", "tiny", "--dataset", "builtin-arithmetic", "--param", "max_steps=1500"],
    ):
        result = cli(*arguments, "--log-level", "debug", url=server.url)
        assert result.returncode == 0, result.stderr
        assert other in json.loads((tmp_path / "state.json").read_text())["backends"][server.url]["active"]
        assert other not in (tmp_path / "tf-tui.log").read_text()
    started = result.stdout.strip()
    await wait_for_status(http, started, {"completed"})


async def test_an_ambiguous_prefix_is_refused_with_the_candidates(server, cli, http, tmp_path):
    finished = await start_run(http)
    await wait_for_status(http, finished, {"completed"})
    twin = finished[:4] + "ffff-0000-4000-8000-000000000000"  # remembered, sharing the first 4 characters
    state = {"version": 1, "backends": {server.url: {"active": [twin]}}}
    for arguments in (["watch", finished[:4]], ["stop", finished[:4], "--yes"]):
        # Written each time: a run the server answers 404 for is forgotten by the command that hears it.
        (tmp_path / "state.json").write_text(json.dumps(state))
        refused = cli(*arguments, url=server.url)
        assert refused.returncode == 2, refused.stderr
        assert f"'{finished[:4]}' matches 2 runs" in refused.stderr
        assert finished in refused.stderr and twin in refused.stderr
        assert_no_traceback(refused)
    too_short = cli("watch", finished[:3], url=server.url)
    assert too_short.returncode == 2 and "at least 4 characters" in too_short.stderr


async def test_stop_resolves_the_id_and_shows_the_run_before_asking(server, http, endless_run, make_session):
    going = await endless_run()
    await wait_for_status(http, going, {"training"})
    asked: list[str] = []
    async with make_session(server.url).without_stream() as session:
        declined = await stop_run(session, going[:8], confirm=lambda question: asked.append(question) or False)
        assert declined == 1 and (await http.get(f"/train/status/{going}")).json()["status"] == "training"
        assert asked[0].startswith(f"Stop run {going[:8]} (training ")
        unknown = await stop_run(session, "zzzz9999", confirm=lambda question: asked.append(question) or True)
        assert unknown == 1 and len(asked) == 1  # nothing to confirm: the server does not know it
        assert await stop_run(session, going[:8], confirm=lambda question: True) == 0


async def test_a_reader_that_leaves_ends_watch_quietly(server, http, endless_run, tmp_path):
    train_id = await endless_run()
    await wait_for_status(http, train_id, {"training"})
    watching = subprocess.Popen(
        tf_tui_command(server.url, "watch", "--json", train_id),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_environment(tmp_path),
    )
    assert watching.stdout is not None and watching.stderr is not None
    assert json.loads(watching.stdout.readline())["train_id"] == train_id  # `| head -1`
    watching.stdout.close()  # the reader leaves; the run's next update has nowhere to go
    assert watching.wait(timeout=60) == 141  # 128 + SIGPIPE, as a shell reports `yes | head -1`
    assert watching.stderr.read() == b""


def test_a_bad_config_file_is_said_in_words(server, cli, tmp_path):
    config = tmp_path / "config.toml"
    for content, words in (
        (b'theme = "caf\xe9"\n', "line 1: not UTF-8 text"),
        (b'urll = "x"\n', "line 1: unknown key 'urll'"),
    ):
        config.write_bytes(content)
        result = cli("status", url=server.url, extra_env={"TF_TUI_CONFIG": str(config)})
        assert result.returncode == 2 and f"{config}, {words}" in result.stderr, result.stderr
        assert_no_traceback(result)


def test_a_typo_in_a_parameter_or_a_dataset_is_refused_with_the_known_ones(server, cli):
    typo = cli("start", "--model", "tiny", "--dataset", "builtin-units", "--param", "max_stepz=5", url=server.url)
    assert typo.returncode == 1
    assert "unknown parameter 'max_stepz'; this server takes max_steps, learning_rate, batch_size, seed" in (
        typo.stderr
    )
    assert typo.stdout == ""  # no run was started
    # Checked against the backend's list before anything is sent (a unique prefix would be completed).
    unknown = cli("start", "--model", "tiny", "--dataset", "builtin-unitz", url=server.url)
    assert unknown.returncode == 2
    assert "no dataset 'builtin-unitz' on this backend; it has builtin-arithmetic, builtin-units" in unknown.stderr


async def test_a_killed_training_process_is_said_in_words_and_its_traceback_kept(server, cli, http, endless_run):
    train_id = await endless_run()
    await wait_for_status(http, train_id, {"training"})
    [trainer] = trainer_processes(train_id)
    os.kill(trainer, signal.SIGINT)
    body = await wait_for_status(http, train_id, {"failed"})
    assert (
        body["error"]
        == f"The training process was killed by SIGINT; its output is in logs/{train_id}.log on the server"
    )
    log = (server.data_dir / "logs" / f"{train_id}.log").read_text()
    assert "Traceback (most recent call last)" in log and "KeyboardInterrupt" in log
    watched = cli("watch", train_id, url=server.url)
    assert watched.returncode == 1 and "killed by SIGINT" in watched.stdout


def read_terminal(master: int, until: Callable[[str], object], timeout: float = DEADLINE_S) -> str:
    """What a program wrote to its terminal, escape sequences removed, up to when `until` holds."""
    seen, deadline = "", time.monotonic() + timeout
    while not until(ANSI.sub("", seen)):
        assert time.monotonic() < deadline, f"not on the terminal within {timeout} s: {ANSI.sub('', seen)!r}"
        if select.select([master], [], [], 0.2)[0]:
            try:
                seen += os.read(master, 65536).decode(errors="replace")
            except OSError:  # the program ended and closed its side
                break
    return ANSI.sub("", seen)


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


async def test_start_watch_on_a_terminal_shows_step_loss_and_eta_beside_the_bar(server, http, tmp_path):
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    arguments = ("start", "--model", "tiny", "--dataset", "builtin-arithmetic", "--watch")
    watching = subprocess.Popen(
        tf_tui_command(server.url, *arguments, "--param", f"max_steps={ENDLESS_PARAMS['max_steps']}"),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env=cli_environment(tmp_path, {"TERM": "xterm-256color"}),
    )
    os.close(terminal)
    train_id = read_terminal(master, lambda text: "\n" in text).split()[0]  # its id comes first
    try:
        shown = read_terminal(master, lambda text: re.search(r"━.*step \d+/\d+ loss \d+\.\d{4} eta \S+", text))
        assert re.search(rf"{train_id[:8]} training .*━.* step \d+/10000000 loss \d\.\d{{4}} eta \S+", shown)
    finally:
        await http.post(f"/train/stop/{train_id}")
        try:
            watching.wait(timeout=60)
        finally:
            watching.kill()  # nothing, once it has ended
            os.close(master)
    assert watching.returncode == 3  # stopped


def test_models_lists_each_models_size_and_fit(server, cli):
    table = cli("models", url=server.url)
    assert table.returncode == 0, table.stderr
    assert re.search(r"^Machine: .*\d+ cores? · [\d.]+ GB RAM · ready$", table.stdout, re.MULTILINE), table.stdout
    assert re.search(r"^ID +NAME +SIZE +FITS +WHY", table.stdout, re.MULTILINE)
    assert re.search(r"^tiny +Tiny char-MLP +\d+ kB +yes +fits: needs \d+ kB, the ", table.stdout, re.MULTILINE)
    listed = json.loads(cli("models", "--json", url=server.url).stdout)
    assert [record["id"] for record in listed] == ["tiny", "small", "base"]
    tiny = listed[0]
    assert tiny["fits"] is True and tiny["fit"].startswith("fits: needs ")
    assert tiny["size_gb"] > 0 and tiny["size"].endswith(" kB") and tiny["min_vram_gb"] == 0


async def test_models_marks_the_ones_too_big_and_says_an_unknown_fit(tmp_path, make_session, capsys):
    async with running_backend() as backend:
        backend.models = [{"id": "phi-2", "size_gb": 5.4, "min_vram_gb": 6}, {"id": "[big]", "size_gb": 138}]
        backend.environment = {"gpu_name": None, "vram_gb": 0, "cpu_cores": 8, "ram_gb": 15.6, "ready": True}
        out = io.StringIO()
        async with make_session(backend.url).without_stream() as session:
            assert await list_models(session, as_json=False, out=out) == 0
        table = out.getvalue()
        assert "Machine: no GPU · 8 cores · 15.6 GB RAM · ready" in table
        assert re.search(r"^phi-2 +5\.4 GB +yes +fits: needs 6 GB, the box has no GPU and 15\.6 GB of RAM", table, re.M)
        assert re.search(r"^\[big\] +138 GB +NO +too big: needs 138 GB, the box has no GPU and 15\.6 GB", table, re.M)

        backend.environment = PlainTextResponse("Internal Server Error", status_code=500)
        out = io.StringIO()
        async with make_session(backend.url).without_stream() as session:
            assert await list_models(session, as_json=True, out=out) == 0
        assert [record["fits"] for record in json.loads(out.getvalue())] == [None, None]
        assert "tf-tui models: fit unknown: GET /env/check: HTTP 500" in capsys.readouterr().err


def remembered_in(state_file) -> dict[str, list[str]]:
    """The state file's active runs per backend (none when there is no file)."""
    if not state_file.exists():
        return {}
    return {url: entry["active"] for url, entry in json.loads(state_file.read_text())["backends"].items()}


def test_watch_against_a_backend_that_cannot_be_reached_never_remembers_the_id(cli, tmp_path):
    """Remembered unconfirmed, the id became a "waiting" row in every later dashboard on that URL."""
    url = "http://127.0.0.1:9"  # nothing listens: every connection is refused
    watching = cli("watch", "abcd1234", "--timeout", "2", url=url)
    assert watching.returncode == 5, watching.stderr
    assert "abcd1234 is unconfirmed" in watching.stderr and "not remembered" in watching.stderr
    assert remembered_in(tmp_path / "state.json") == {}
    assert cli("watch", url=url).returncode == 2  # none remembered


async def test_a_remembered_run_that_has_ended_leaves_the_active_set_when_status_reads_it(server, cli, http, tmp_path):
    finished = await start_run(http)
    await wait_for_status(http, finished, {"completed"})
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"version": 1, "backends": {server.url: {"active": [finished]}}}))
    records = json.loads(cli("status", "--json", url=server.url).stdout)
    mine = next(record for record in records if record["train_id"] == finished)
    assert (mine["status"], mine["remembered"]) == ("completed", False)
    assert remembered_in(state_file) == {}
    state_file.write_text(json.dumps({"version": 1, "backends": {server.url: {"active": [finished]}}}))
    table = cli("status", url=server.url)
    assert finished[:8] in table.stdout and "active (remembered)" not in table.stdout


async def test_a_run_is_remembered_once_the_backend_confirms_it(server, cli, http, endless_run, tmp_path):
    going = await endless_run()
    await wait_for_status(http, going, {"training"})
    watching = cli("watch", going[:8], "--timeout", "1", url=server.url)
    assert watching.returncode == 5, watching.stderr
    assert remembered_in(tmp_path / "state.json") == {server.url: [going]}
