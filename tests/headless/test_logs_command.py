"""A run's log: the reference server's route (`GET /train/logs/{id}?offset=N`), and `tf-tui logs [-f]`
as a user runs it, against the real server."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import api_client, cli_environment, start_run, tf_tui_command, wait_for_status
from tests.headless.test_headless_cli import assert_no_traceback
from tests.scripted_backend import running_backend
from tf_tui.base.capabilities import Capabilities
from tf_tui.base.exit_codes import ExitCode
from tf_tui.client.api import NotFound, RouteMissing, TalentFactoryApi
from tf_tui.core.log_reader import LogReader
from tf_tui.server.logs import LOG_CHUNK_BYTES

HOSTILE_LINE = "\x1b[2J\x1b]0;pwned\x07[bold red]markup[/] \x9b31m\rhidden\ttab\x00\n"


def logs_command(url: str, directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        tf_tui_command(url, "logs", *arguments),
        capture_output=True,
        text=True,
        timeout=90,
        env=cli_environment(directory),
        check=False,
    )


async def completed_run(http, server) -> tuple[str, bytes]:
    train_id = await start_run(http)
    await wait_for_status(http, train_id, {"completed"})
    return train_id, (server.data_dir / "logs" / f"{train_id}.log").read_bytes()


async def test_the_log_is_served_from_an_offset_with_where_to_ask_next(server, http):
    train_id, written = await completed_run(http, server)
    assert b"training" in written and b"completed: final loss" in written

    whole = await http.get(f"/train/logs/{train_id}")
    assert whole.status_code == 200
    assert whole.headers["content-type"].startswith("text/plain")
    assert whole.content == written
    assert whole.headers["X-Next-Offset"] == whole.headers["X-Log-Size"] == str(len(written))
    assert whole.headers["X-Log-Complete"] == "true"

    tail = await http.get(f"/train/logs/{train_id}", params={"offset": 10})
    assert tail.content == written[10:]

    beyond = await http.get(f"/train/logs/{train_id}", params={"offset": len(written) + 100})
    assert beyond.status_code == 200 and beyond.content == b""
    assert beyond.headers["X-Next-Offset"] == str(len(written) + 100)
    assert beyond.headers["X-Log-Complete"] == "true"

    assert (await http.get(f"/train/logs/{train_id}", params={"offset": -1})).status_code == 422


async def test_a_long_log_comes_in_bounded_replies_and_a_split_character_comes_out_whole(server, http):
    train_id, _ = await completed_run(http, server)
    # "é" is two bytes: the first reply ends between them.
    lines_before, rest = divmod(LOG_CHUNK_BYTES - 1, 100)
    text = "b" * 99 + "\n"
    text = text * lines_before + "a" * rest + "é\n" + "line two\n" * 20_000
    (server.data_dir / "logs" / f"{train_id}.log").write_text(text, encoding="utf-8")

    first = await http.get(f"/train/logs/{train_id}")
    assert len(first.content) == LOG_CHUNK_BYTES
    assert first.headers["X-Next-Offset"] == str(LOG_CHUNK_BYTES)
    assert first.headers["X-Log-Size"] == str(len(text.encode()))
    assert first.headers["X-Log-Complete"] == "false"

    api = TalentFactoryApi(server.url, trust_env=False)
    try:
        reader = LogReader(api, train_id, Capabilities())
        lines: list[str] = []
        while not reader.complete:
            lines += await reader.read()
    finally:
        await api.aclose()
    assert lines == ["b" * 99] * lines_before + ["a" * rest + "é"] + ["line two"] * 20_000


async def test_a_log_longer_than_the_tail_is_read_from_a_whole_line_near_its_end(server, http):
    train_id, _ = await completed_run(http, server)
    text = "".join(f"line {number:06}\n" for number in range(100_000))  # 1.2 MB
    (server.data_dir / "logs" / f"{train_id}.log").write_text(text)
    api = TalentFactoryApi(server.url, trust_env=False)
    try:
        reader = LogReader(api, train_id, Capabilities(), tail_bytes=100_000)
        lines: list[str] = []
        while not reader.complete:
            lines += await reader.read()
    finally:
        await api.aclose()
    assert reader.skipped == len(text) - 100_000
    first = int(lines[0].removeprefix("line "))  # a whole line: the part before it is dropped
    assert lines == [f"line {number:06}" for number in range(first, 100_000)]
    assert len(text) - 100_000 <= text.index(lines[0]) <= len(text) - 100_000 + len("line 000000\n")


async def test_an_unknown_run_is_404_and_no_id_leads_out_of_the_logs_folder(server, http):
    api = TalentFactoryApi(server.url, trust_env=False)
    try:
        with pytest.raises(NotFound) as unknown:
            await api.log("no-such-run", 0)
        assert not isinstance(unknown.value, RouteMissing)
    finally:
        await api.aclose()
    (server.data_dir / "secret.txt").write_text("the server's own secret")
    for escape in ("..%2Fsecret.txt", "..%2F..%2Fsecret.txt", "%2E%2E%2Fsecret", "..", "...%2Fsecret", "%2e%2e"):
        reply = await http.get(f"/train/logs/{escape}")
        assert reply.status_code == 404, escape
        assert b"secret" not in reply.content.replace(escape.encode(), b"")


async def test_a_log_that_is_a_symlink_out_of_the_data_dir_is_refused(server, http):
    train_id, _ = await completed_run(http, server)
    outside = server.data_dir.parent / "outside.txt"
    outside.write_text("the server's own secret")
    log = server.data_dir / "logs" / f"{train_id}.log"
    log.unlink()
    log.symlink_to(outside)
    reply = await http.get(f"/train/logs/{train_id}")
    assert reply.status_code == 403
    assert b"secret" not in reply.content


async def test_a_running_runs_log_grows(server, http, endless_run):
    train_id = await endless_run()
    api = TalentFactoryApi(server.url, trust_env=False)
    try:
        reader = LogReader(api, train_id, Capabilities())
        growths = 0
        while growths < 3:  # three reads that each brought steps the one before did not have
            lines = await reader.read()  # the trainer writes a line a second
            growths += any("Training step " in line for line in lines)
            assert not reader.complete
    finally:
        await api.aclose()


def test_logs_prints_a_runs_log_with_no_escapes_and_no_markup(server, tmp_path):
    async def hostile_run() -> str:
        async with api_client(server.url) as http:
            train_id, _ = await completed_run(http, server)
        with (server.data_dir / "logs" / f"{train_id}.log").open("a", encoding="utf-8") as log:
            log.write(HOSTILE_LINE)
        return train_id

    train_id = asyncio.run(hostile_run())
    result = logs_command(server.url, tmp_path, train_id[:8])
    assert result.returncode == 0, result.stderr
    assert "completed: final loss" in result.stdout
    assert result.stdout.splitlines()[-1] == "[bold red]markup[/]  hidden\ttab"
    assert not any(character in result.stdout for character in "\x1b\x9b\x07\x00\r")
    assert_no_traceback(result)


def test_logs_of_an_unknown_run_exits_4(server, tmp_path):
    result = logs_command(server.url, tmp_path, "00000000-0000-4000-8000-000000000000")
    assert result.returncode == ExitCode.UNKNOWN_RUN
    assert "does not know run" in result.stderr
    assert_no_traceback(result)


async def test_logs_against_a_backend_without_the_route_says_so(tmp_path):
    async with running_backend() as backend:
        train_id = "3f2a9c1e-0000-4000-8000-000000000000"
        backend.status_bodies[train_id] = {"status": "training", "progress": 10}
        result = await asyncio.to_thread(logs_command, backend.url, tmp_path, train_id)
    assert result.returncode == ExitCode.UNSUPPORTED
    assert result.stderr.strip() == "tf-tui logs: this backend does not offer a run's log (HTTP 404, Not Found)"


@contextmanager
def logs_following(url: str, directory: Path, *arguments: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        tf_tui_command(url, "logs", *arguments),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_environment(directory),
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait()


async def test_logs_follow_shows_new_lines_and_exits_with_the_runs_outcome(server, http, endless_run, tmp_path):
    train_id = await endless_run()
    with logs_following(server.url, tmp_path, "-f", train_id) as following:
        assert following.stdout is not None and following.stderr is not None
        steps = set()
        while len(steps) < 3:  # lines the run wrote after the command started: it follows
            line = await asyncio.to_thread(following.stdout.readline)
            assert line, following.stderr.read()
            if "Training step " in line:
                steps.add(line.split("Training step ")[1].split()[0])
        await http.post(f"/train/stop/{train_id}")
        assert await asyncio.to_thread(following.wait, timeout=60) == ExitCode.STOPPED
        assert "Traceback" not in following.stderr.read()


async def test_logs_follow_ends_cleanly_on_ctrl_c(server, http, endless_run, tmp_path):
    train_id = await endless_run()
    with logs_following(server.url, tmp_path, "--follow", train_id) as following:
        assert following.stdout is not None and following.stderr is not None
        assert await asyncio.to_thread(following.stdout.readline)  # it is following
        following.send_signal(signal.SIGINT)
        assert await asyncio.to_thread(following.wait, timeout=60) == ExitCode.INTERRUPTED
        assert following.stderr.read() == ""
