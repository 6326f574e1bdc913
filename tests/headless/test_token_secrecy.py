"""A distinctive token, grepped for everywhere tf-tui writes or shows anything, and in every process's argv.

The token is given as a file (`--token-file`), the way that keeps it out of `ps`; `--token VALUE` is
on the command line by nature and documented so.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import DEADLINE_S, trainer_processes, wait_until
from tf_tui.core.local_server import ServerProcess

TOKEN = f"tok-{secrets.token_hex(12)}"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("guarded"), token=TOKEN) as process:
        yield process


@pytest.fixture
def token_file(tmp_path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def client_env(tmp_path) -> dict[str, str]:
    return {
        "TF_TUI_STATE_FILE": str(tmp_path / "state.json"),
        "TF_TUI_LOG_FILE": str(tmp_path / "tf-tui.log"),
        "TF_TUI_CONFIG": str(tmp_path / "no-config.toml"),
        "TF_TUI_LOG_LEVEL": "debug",
        "PATH": "/usr/bin:/bin",
    }


def tf_tui(*arguments: str, env: dict[str, str], code: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m tf_tui ARGS`, or `python -c CODE ARGS` for a run with one function replaced."""
    program = ["-m", "tf_tui"] if code is None else ["-c", textwrap.dedent(code)]
    return subprocess.run(
        [sys.executable, *program, *arguments], capture_output=True, text=True, timeout=90, env=env, check=False
    )


def command_lines() -> dict[int, bytes]:
    """Every process's argv, as `ps` shows it to any user."""
    found = {}
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found[int(cmdline.parent.name)] = cmdline.read_bytes()
        except OSError:
            continue  # the process ended while we looked
    return found


def wait_for_line(path: Path, words: str) -> None:
    wait_until(lambda: words in (path.read_text() if path.exists() else ""), f"{words!r} in {path}")


def test_no_headless_command_shows_logs_stores_or_exposes_the_token(guarded, token_file, client_env, tmp_path):
    url = ["--url", guarded.url, "--token-file", str(token_file)]
    shown: list[str] = []

    started = tf_tui(*url, "start", "--model", "tiny", "--dataset", "builtin-units", "--param",
                     "max_steps=10000000", "--json", env=client_env)  # fmt: skip
    assert started.returncode == 0, started.stderr
    train_id = json.loads(started.stdout)["train_id"]
    shown += [started.stdout, started.stderr]

    watch_out = tmp_path / "watch.out"
    with watch_out.open("w") as out, (tmp_path / "watch.err").open("w") as err:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "tf_tui", *url, "watch", "--json", train_id], stdout=out, stderr=err, env=client_env
        )
        try:
            wait_for_line(watch_out, '"training"')
            assert trainer_processes(train_id), "the run trains in a process of its own"
            # tf-tui watch, the server and its trainer are all running now: none has the token in its argv.
            argv = command_lines()
            assert watcher.pid in argv and guarded.port is not None
            assert [pid for pid, line in argv.items() if TOKEN.encode() in line] == []
            ps = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True, check=True).stdout
            assert TOKEN not in ps
            for pid in trainer_processes(train_id):  # nor in what the trainers inherited
                assert TOKEN.encode() not in Path(f"/proc/{pid}/environ").read_bytes()

            status = tf_tui(*url, "status", "--json", env=client_env)
            assert status.returncode == 0 and train_id in status.stdout
            stopped = tf_tui(*url, "stop", "--yes", train_id, env=client_env)
            assert stopped.returncode == 0, stopped.stderr
            shown += [status.stdout, status.stderr, stopped.stdout, stopped.stderr]
            assert watcher.wait(DEADLINE_S) == 3  # the run was stopped
        finally:
            watcher.kill()
            watcher.wait()
    shown += [watch_out.read_text(), (tmp_path / "watch.err").read_text()]
    log = (tmp_path / "tf-tui.log").read_text()
    assert "subscription confirmed" in log  # the log was written, at debug level
    state = (tmp_path / "state.json").read_text()
    for where, text in [*enumerate(shown), ("log", log), ("state", state)]:
        assert TOKEN not in text, where


def test_a_crash_in_a_headless_command_keeps_the_token_out_of_stderr_and_the_log(
    guarded, token_file, client_env, tmp_path
):
    crash = """
        import sys
        import tf_tui.headless.commands
        from tf_tui.cli import main

        async def show_status(fleet, as_json, out=None):
            (session,) = fleet.sessions.values()
            header = {"Authorization": f"Bearer {session.settings.token}"}  # a local, as in a library frame
            raise RuntimeError(f"could not send {header}")

        tf_tui.headless.commands.show_status = show_status
        sys.exit(main(sys.argv[1:]))
    """
    result = tf_tui("--url", guarded.url, "--token-file", str(token_file), "status", env=client_env, code=crash)
    assert result.returncode == 1
    assert "internal error (RuntimeError)" in result.stderr
    log = (tmp_path / "tf-tui.log").read_text()
    assert "could not send {'Authorization': 'Bearer ***'}" in log  # the traceback is there, masked
    assert TOKEN not in result.stdout + result.stderr + log


def test_a_dashboard_crash_keeps_the_token_out_of_the_terminal_and_the_log(guarded, client_env, tmp_path):
    crash = """
        import functools
        import sys
        from tf_tui.cli import main
        from tf_tui.ui.app import TfTuiApp

        def update_header(self):
            header = {"Authorization": f"Bearer {self.session.settings.token}"}  # shown by Textual's locals
            raise RuntimeError(f"could not send {header}")

        TfTuiApp._update_header = update_header
        TfTuiApp.run = functools.partialmethod(TfTuiApp.run, headless=True)
        sys.exit(main(sys.argv[1:]))
    """
    # From the environment this time, the other way that stays out of `ps`; and long, as some tokens are:
    # a report that cut it short (Textual's locals stop at 80 characters) would show a part masking misses.
    long_token = "tok-" + secrets.token_hex(60)
    result = tf_tui("--url", guarded.url, env={**client_env, "TF_TUI_TOKEN": long_token}, code=crash)
    assert result.returncode == 1
    assert "the dashboard crashed" in result.stderr
    log = (tmp_path / "tf-tui.log").read_text()
    assert "could not send {'Authorization': 'Bearer ***'}" in log
    assert long_token[4:24] not in result.stdout + result.stderr + log


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_token_file_others_can_read_is_refused_without_showing_it(token_file, client_env, mode):
    token_file.chmod(mode)
    result = tf_tui("--url", "http://127.0.0.1:9", "--token-file", str(token_file), "status", env=client_env)
    assert result.returncode == 2
    assert f"chmod 600 {token_file}" in result.stderr and TOKEN not in result.stderr


def test_a_url_with_credentials_is_refused_without_echoing_them(client_env):
    result = tf_tui("--url", f"https://user:{TOKEN}@tf.example.org", "status", env=client_env)
    assert result.returncode == 2 and "must not hold a user or password" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
