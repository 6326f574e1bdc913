"""`tf-tui --local`: a detached reference server that outlives its dashboard, found again on relaunch.

Each test runs the real `tf-tui --local` on a pseudo-terminal with every user directory under its tmp
dir, and kills whatever server it left behind on the way out: a leaked server outlives the test run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pexpect
import pytest

from tests.conftest import DEADLINE_S, ENDLESS_PARAMS, trainer_processes, wait_until
from tests.terminal import FIRST_SCREEN, isolated_environment, module_command, quit_dashboard, spawn
from tf_tui import cli
from tf_tui.common.server_address import ServerAddress, new_instance_id, read_address, write_address
from tf_tui.core import local_server
from tf_tui.core.local_server import process_alive

STOP_WAIT_S = 15.0
HUNG_SERVER_WAIT_S = 0.5  # for an answer, then for SIGTERM to work, from a server that is hung
ENDED = {"completed", "failed", "stopped"}


class LocalHome:
    """A user's home for tf-tui: its environment, its local server's data dir, and what it started."""

    def __init__(self, root: Path) -> None:
        self.environment = isolated_environment(root)
        self.data_dir = Path(self.environment["XDG_DATA_HOME"]) / "tf-tui" / "local-server"
        self.dashboards: list[pexpect.spawn] = []
        self.server_pids: set[int] = set()

    def launch(self) -> pexpect.spawn:
        """`tf-tui --local`, once its first screen is up."""
        dashboard = spawn(module_command("--local"), self.environment)
        self.dashboards.append(dashboard)
        dashboard.expect_exact(FIRST_SCREEN)
        return dashboard

    def address(self) -> ServerAddress:
        address = read_address(self.data_dir)
        assert address is not None, f"no address file in {self.data_dir}"
        self.server_pids.add(address.pid)
        return address

    def command(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            module_command(*arguments),
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=DEADLINE_S,
            check=False,
        )

    def servers_on_data_dir(self) -> list[int]:
        """Pids of every `tf-tui serve` on this data dir, by command line."""
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                arguments = cmdline.read_bytes().split(b"\0")
            except OSError:
                continue  # it ended while we looked
            if b"serve" in arguments and str(self.data_dir).encode() in arguments:
                found.append(int(cmdline.parent.name))
        return found

    def clean_up(self) -> None:
        for dashboard in self.dashboards:
            dashboard.close(force=True)
        for pid in {*self.server_pids, *self.servers_on_data_dir()}:
            if pid in self.servers_on_data_dir():  # never signal a pid that is no longer our server's
                stop_process(pid)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[LocalHome]:
    local = LocalHome(tmp_path)
    yield local
    local.clean_up()


def stop_process(pid: int) -> None:
    """SIGTERM (the server then stops its trainers), SIGKILL if it will not go."""
    for stop_signal in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, stop_signal)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_WAIT_S
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not process_alive(pid):
            return


def start_endless_run(url: str) -> str:
    reply = httpx.post(
        f"{url}/train/start",
        json={"base_model": "tiny", "dataset_ids": ["builtin-arithmetic"], "params": ENDLESS_PARAMS},
        trust_env=False,
        timeout=DEADLINE_S,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["train_id"]


def run_status(url: str, train_id: str) -> dict[str, Any]:
    return httpx.get(f"{url}/train/status/{train_id}", trust_env=False, timeout=DEADLINE_S).json()


def steps_advance(url: str, train_id: str) -> None:
    """The run trains: its step moves on from what it is now."""
    first = run_status(url, train_id)["details"].get("step", 0)

    def moved() -> bool:
        status = run_status(url, train_id)
        assert status["status"] not in ENDED, status
        return status["details"].get("step", 0) > first

    wait_until(moved, f"run {train_id} trains on")


def shows_training(dashboard: pexpect.spawn, train_id: str) -> None:
    dashboard.expect(re.escape(train_id[:8]) + r"[^\n]*training")


def test_quitting_leaves_the_server_training_and_a_relaunch_reattaches_and_follows_the_run(home):
    first = home.launch()
    address = home.address()
    said = quit_dashboard(first)
    assert first.exitstatus == 0
    assert "the local server at" in said and "stops by itself after 10m00s with nothing going" in said
    assert process_alive(address.pid)

    train_id = start_endless_run(address.url)
    second = home.launch()
    shows_training(second, train_id)
    assert home.address() == address  # reattached: the same server, pid and URL
    said = quit_dashboard(second)
    assert second.exitstatus == 0
    assert "the local server keeps training 1 run — `tf-tui --local` reattaches" in said
    steps_advance(address.url, train_id)

    third = home.launch()
    shows_training(third, train_id)
    assert home.address() == address
    assert home.servers_on_data_dir() == [address.pid]
    quit_dashboard(third)


def test_a_dropped_terminal_leaves_the_server_training(home):
    dashboard = home.launch()
    address = home.address()
    train_id = start_endless_run(address.url)
    # What an SSH link that drops does: SIGHUP to the dashboard's whole process group.
    os.killpg(dashboard.pid, signal.SIGHUP)
    dashboard.expect(pexpect.EOF)
    dashboard.close()
    assert not dashboard.isalive()
    steps_advance(address.url, train_id)
    assert process_alive(address.pid)


def test_serve_stop_stops_the_local_server_and_its_runs_and_removes_its_address_file(home):
    quit_dashboard(home.launch())
    address = home.address()
    train_id = start_endless_run(address.url)
    wait_until(lambda: trainer_processes(train_id) != [], "the run's trainer starts")
    status = home.command("serve", "--status")
    assert status.returncode == 0
    assert f"at {address.url} (pid {address.pid}): 1 run going" in status.stdout

    stopped = home.command("serve", "--stop")
    assert stopped.returncode == 0
    assert f"Stopped the server at {address.url} (pid {address.pid}); 1 run it was training ended" in stopped.stdout
    wait_until(lambda: not process_alive(address.pid), "the server exits")
    wait_until(lambda: trainer_processes(train_id) == [], "its trainer exits")
    assert read_address(home.data_dir) is None
    status = home.command("serve", "--status")
    assert status.returncode == 1 and "No server is running on" in status.stdout


def test_serve_stop_stops_a_server_that_no_longer_answers(home, monkeypatch, capsys):
    quit_dashboard(home.launch())
    address = home.address()
    # `serve --stop` in this process, so that its two waits can be short: a hung server answers no health
    # check and ignores SIGTERM, so each wait runs out in full before the SIGKILL (15 s for a user).
    monkeypatch.setattr(local_server, "HEALTH_TIMEOUT_S", HUNG_SERVER_WAIT_S)
    monkeypatch.setattr(local_server, "stop_server", partial(local_server.stop_server, timeout=HUNG_SERVER_WAIT_S))
    monkeypatch.setenv("XDG_DATA_HOME", home.environment["XDG_DATA_HOME"])
    os.kill(address.pid, signal.SIGSTOP)  # hung: it holds its port and answers nothing
    try:
        code = cli.main(["serve", "--stop"])
    finally:
        with suppress(ProcessLookupError):
            os.kill(address.pid, signal.SIGCONT)
    assert code == 0
    assert f"Stopped the server at {address.url} (pid {address.pid}); what it was training is not known" in (
        capsys.readouterr().out
    )
    wait_until(lambda: not process_alive(address.pid), "the server is gone")
    assert read_address(home.data_dir) is None


def test_a_frozen_server_reads_not_answering_and_keeps_its_record_until_stopped(home, monkeypatch, capsys):
    """A server that answers nothing in time (frozen here, or very busy) is still the data dir's: `--status`
    and the launcher once took it for gone and deleted its address file, and then `--stop` could not stop it."""
    quit_dashboard(home.launch())
    address = home.address()
    # `serve` in this process, so that the waits a frozen server runs out in full can be short (as above);
    # the launcher in a process of its own, so that a regression cannot start a dashboard in this one.
    monkeypatch.setattr(local_server, "HEALTH_TIMEOUT_S", HUNG_SERVER_WAIT_S)
    monkeypatch.setattr(local_server, "stop_server", partial(local_server.stop_server, timeout=HUNG_SERVER_WAIT_S))
    monkeypatch.setenv("XDG_DATA_HOME", home.environment["XDG_DATA_HOME"])

    def serve(*arguments: str) -> tuple[int, str]:
        code = cli.main(["serve", *arguments])
        return code, capsys.readouterr().out

    os.kill(address.pid, signal.SIGSTOP)
    try:
        status = serve("--status")
        as_json = serve("--status", "--json")
        launched = home.command("--local")
        assert read_address(home.data_dir) == address
        stopped = serve("--stop")
    finally:
        with suppress(ProcessLookupError):
            os.kill(address.pid, signal.SIGCONT)
    assert status[0] == 0
    assert f"at {address.url} (pid {address.pid}) but is not answering" in status[1]
    assert as_json[0] == 0
    said = json.loads(as_json[1])
    assert (said["state"], said["url"], said["pid"], said["going"]) == ("not answering", address.url, address.pid, None)
    assert launched.returncode == 1
    assert f"the local server at {address.url} (pid {address.pid}) is running but not answering" in launched.stderr
    assert stopped[0] == 0 and f"Stopped the server at {address.url} (pid {address.pid})" in stopped[1]
    wait_until(lambda: not process_alive(address.pid), "the server is gone")
    assert read_address(home.data_dir) is None


def test_serve_stop_never_signals_a_process_that_took_a_dead_servers_pid(home):
    bystander = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        home.data_dir.mkdir(parents=True)
        write_address(home.data_dir, ServerAddress("http://127.0.0.1:9", bystander.pid, new_instance_id()))
        stopped = home.command("serve", "--stop")
        assert stopped.returncode == 0 and "No server is running on" in stopped.stdout
        assert bystander.poll() is None
        assert read_address(home.data_dir) is None  # the stale record is gone
    finally:
        bystander.communicate(b"")


@pytest.mark.parametrize("stale", ["dead pid and closed port", "pid and port taken by others"])
def test_a_stale_address_file_is_cleaned_and_a_new_server_started(home, server, stale):
    if stale == "dead pid and closed port":
        recorded = ServerAddress(url="http://127.0.0.1:9", pid=_dead_pid(), instance=new_instance_id())
    else:  # this test's own pid, and another reference server that answers /health as itself
        recorded = ServerAddress(url=server.url, pid=os.getpid(), instance=new_instance_id())
    home.data_dir.mkdir(parents=True)
    write_address(home.data_dir, recorded)

    dashboard = home.launch()
    started = home.address()
    assert started.pid not in (recorded.pid, os.getpid())
    assert started.url != server.url and started.instance != recorded.instance
    dashboard.expect_exact(started.url)
    quit_dashboard(dashboard)
    assert home.servers_on_data_dir() == [started.pid]


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_two_launches_at_once_share_one_server(home):
    dashboards = [spawn(module_command("--local"), home.environment) for _ in range(2)]
    home.dashboards.extend(dashboards)
    for dashboard in dashboards:
        dashboard.expect_exact(FIRST_SCREEN)
    address = home.address()
    for dashboard in dashboards:
        dashboard.expect_exact(address.url)
    assert home.servers_on_data_dir() == [address.pid]
    for dashboard in dashboards:
        quit_dashboard(dashboard)


def test_a_server_with_nothing_going_stops_itself_after_its_idle_time(tmp_path):
    server = subprocess.Popen(
        [*module_command("serve", "--port", "0", "--data-dir", str(tmp_path), "--idle-exit", "0.5")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = server.communicate(timeout=DEADLINE_S)
    finally:
        server.kill()
    assert server.returncode == 0
    assert "Nothing going for 0.5 s: the server stops" in stderr
    assert read_address(tmp_path) is None


def remembered_in(state_file: Path) -> dict[str, list[str]]:
    if not state_file.exists():
        return {}
    return {key: entry["active"] for key, entry in json.loads(state_file.read_text())["backends"].items()}


def test_local_works_for_every_command_before_or_after_it_and_starts_the_server_as_the_dashboard_does(home):
    before = home.command("--local", "status", "--json")
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout) == []
    address = home.address()
    train_id = start_endless_run(address.url)
    after = home.command("status", "--local", "--json")
    assert after.returncode == 0, after.stderr
    assert train_id in {record["train_id"] for record in json.loads(after.stdout)}
    assert home.address() == address and home.servers_on_data_dir() == [address.pid]
    refused = home.command("--local", "--read-only", "stop", train_id, "--yes")  # the local server read-only too
    assert refused.returncode == 2 and "Read-only: stop is off" in refused.stderr, refused.stderr
    assert run_status(address.url, train_id)["status"] not in ENDED
    both = home.command("--local", "--url", "http://127.0.0.1:9", "status")
    assert both.returncode == 2 and "--local" in both.stderr


def test_serve_status_json_gives_the_state_url_pid_data_dir_and_uptime(home):
    none = home.command("serve", "--status", "--json")
    assert none.returncode == 1
    assert json.loads(none.stdout) == {
        "state": "not running", "url": None, "pid": None, "data_dir": str(home.data_dir), "uptime_s": None,
        "going": None,
    }  # fmt: skip
    assert home.command("--local", "models").returncode == 0
    address = home.address()
    running = home.command("serve", "--status", "--json")
    assert running.returncode == 0, running.stderr
    said = json.loads(running.stdout)
    assert {key: said[key] for key in ("state", "url", "pid", "data_dir")} == {
        "state": "running", "url": address.url, "pid": address.pid, "data_dir": str(home.data_dir),
    }  # fmt: skip
    assert 0 <= said["uptime_s"] < DEADLINE_S * 2
    assert said["going"] == 0


def test_the_dashboard_and_a_command_given_the_local_servers_url_share_one_memory(home):
    """The dashboard remembered its runs under `local:<data dir>`, a command given the URL under the URL."""
    dashboard = home.launch()
    address = home.address()
    train_id = start_endless_run(address.url)
    shows_training(dashboard, train_id)
    state_file = Path(home.environment["XDG_STATE_HOME"]) / "tf-tui" / "state.json"
    wait_until(lambda: [train_id] in remembered_in(state_file).values(), "the dashboard remembers the run")
    records = json.loads(home.command("--url", address.url, "status", "--json").stdout)
    assert next(record for record in records if record["train_id"] == train_id)["remembered"] is True
    watched = home.command("--url", address.url, "watch", "--timeout", "1")
    assert watched.returncode == 5, watched.stderr  # the remembered run, still going: not "none remembered"
    quit_dashboard(dashboard)


@pytest.mark.parametrize("restarter", ["the dashboard itself", "another launch"])
def test_a_dashboard_whose_server_was_killed_follows_the_next_one(home, restarter):
    dashboard = home.launch()
    first = home.address()
    train_id = start_endless_run(first.url)
    shows_training(dashboard, train_id)
    os.kill(first.pid, signal.SIGKILL)
    if restarter == "another launch":
        assert home.command("--local", "status").returncode == 0
    wait_until(lambda: (read_address(home.data_dir) or first).pid != first.pid, "a new server runs")
    second = home.address()
    assert second.url != first.url
    assert run_status(second.url, train_id)["status"] == "failed"  # what the new server says of the run
    log_file = Path(home.environment["XDG_STATE_HOME"]) / "tf-tui" / "tf-tui.log"
    # The event log (its lines go to the log file too): the move, then the run as the new server has it.
    wait_until(lambda: f"{train_id} ended: failed" in log_file.read_text(), "the dashboard learns the run failed")
    said = log_file.read_text()
    assert f"the local server at {first.url} is gone; now {second.url}" in said
    assert "socket live" in said.split(f"now {second.url}")[1]  # its socket is on the new server
    assert home.servers_on_data_dir() == [second.pid]
    said = quit_dashboard(dashboard)
    assert "keeps training" not in said


def test_a_server_stopped_on_purpose_under_a_dashboard_is_not_brought_back(home):
    dashboard = home.launch()
    address = home.address()
    assert home.command("serve", "--stop").returncode == 0
    log_file = Path(home.environment["XDG_STATE_HOME"]) / "tf-tui" / "tf-tui.log"
    wait_until(lambda: f"the local server at {address.url} is gone: it was stopped" in log_file.read_text(), "said")
    assert home.servers_on_data_dir() == [] and read_address(home.data_dir) is None
    said = quit_dashboard(dashboard)
    assert "the local server is not running (`tf-tui --local` starts it again)" in said


# A parent that forks a child which ends at once, then leaves it unreaped until told to go.
UNREAPED_CHILD = """
import os, sys
child = os.fork()
if child == 0:
    os._exit(0)
print(child, flush=True)
sys.stdin.read()
"""


def test_a_process_that_ended_but_was_not_reaped_by_its_parent_is_not_alive():
    """A server a dashboard started is that dashboard's child: once stopped, it lingers as a zombie until the
    dashboard reaps it, and `serve --stop` in another process took it for alive, for 20 s."""
    parent = subprocess.Popen(
        [sys.executable, "-c", UNREAPED_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        wait_until(lambda: not process_alive(child), "the ended child reads as not alive")
        assert Path(f"/proc/{child}").exists()  # still there, a zombie: only its parent can reap it
    finally:
        parent.communicate("")


def test_a_server_started_here_has_nothing_to_make_private(server):
    """Its log file had been made readable by all, so every first start said it had made the data private."""
    assert "private" not in server.log_path.read_text()
    assert stat.S_IMODE(server.log_path.stat().st_mode) == 0o600
