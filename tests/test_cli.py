"""The `tf-tui` command line: entry points, `serve` errors in words, and the local server process."""

from __future__ import annotations

import gc
import json
import re
import socket
import subprocess
import sys

import pytest

from tests.conftest import wait_for_status
from tests.terminal import FIRST_SCREEN, isolated_environment, module_command, quit_dashboard, spawn
from tf_tui import cli as cli_module
from tf_tui.base import start_collection
from tf_tui.cli import main
from tf_tui.common.atomic_file import exclusive_lock
from tf_tui.common.server_address import SERVER_LOCK_FILE
from tf_tui.core.local_server import ServerProcess, ServerStartError
from tf_tui.server import serve as serve_module


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tf_tui", *arguments], capture_output=True, text=True, timeout=60, check=False
    )


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "serve" in result.stdout and "--local" in result.stdout


def loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter has imported once it has run `code`."""
    loaded = f"[name for name in {modules!r} if sys.modules.get(name) is not None]"
    probe = f"{code}\nimport json, sys\nprint(json.dumps({loaded}))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def test_help_loads_neither_textual_nor_the_http_client_nor_asyncio():
    # What `--help` imports is what it costs to start: Textual and httpx are most of it, then asyncio and
    # ssl (which asyncio loads), then dataclasses (which loads inspect and ast).
    code = "from tf_tui.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert loaded_after(code, ("textual", "httpx", "asyncio", "ssl", "dataclasses")) == []


def test_the_dashboard_loads_neither_httpx_s_command_line_nor_what_it_needs():
    # httpx's own command line pulls in click, pygments and rich.syntax: a tenth of the start, unused.
    assert loaded_after("import tf_tui.ui.app", ("httpx._main", "click", "pygments", "rich.syntax")) == []


def test_serve_on_a_busy_port_says_so_without_a_traceback():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli("serve", "--port", str(busy.getsockname()[1]))
    assert result.returncode == 1
    assert "cannot listen on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_rejects_a_bad_concurrency():
    result = run_cli("serve", "--max-concurrent", "0")
    assert result.returncode == 2 and "must be 1 or more" in result.stderr


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path):
    (tmp_path / "talent-factory.db").mkdir()  # the database path is taken by a directory
    with pytest.raises(ServerStartError, match="exited before it was ready") as failure:
        ServerProcess(tmp_path).start()
    assert "unable to open database file" in str(failure.value)


async def test_quitting_the_dashboard_says_the_runs_going_on_a_remote_backend_keep_going(
    server, http, endless_run, tmp_path
):
    train_id = await endless_run()
    await wait_for_status(http, train_id, {"training"})
    dashboard = spawn(module_command("--url", server.url), isolated_environment(tmp_path))
    dashboard.expect_exact(FIRST_SCREEN)
    dashboard.expect(re.escape(train_id[:8]) + r"[^\n]*training")
    said = quit_dashboard(dashboard)
    assert dashboard.exitstatus == 0
    # Other tests' runs may be going on the shared server too.
    assert re.search(rf"tf-tui: \d+ runs? keeps? going on {re.escape(server.url)}", said), said
    assert (await http.get(f"/train/status/{train_id}")).json()["status"] == "training"


def test_a_second_server_on_a_data_dir_in_use_says_so(tmp_path, monkeypatch, capsys):
    # Two servers on one database would fail each other's runs at start-up.
    monkeypatch.setattr(serve_module, "DATA_DIR_WAIT_S", 0.2)
    with exclusive_lock(tmp_path / SERVER_LOCK_FILE, wait=0):
        code = main(["serve", "--port", "0", "--data-dir", str(tmp_path)])
    assert code == 1
    assert f"tf-tui serve: another server is using {tmp_path}" in capsys.readouterr().err


def test_a_theme_that_does_not_exist_stops_the_dashboard_before_it_starts(tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text('theme = "gruvbux"\n')
    monkeypatch.setenv("TF_TUI_CONFIG", str(config))
    monkeypatch.setenv("TF_TUI_STATE_FILE", str(tmp_path / "state.json"))
    monkeypatch.setattr(cli_module, "_run_app", lambda *_: pytest.fail("the dashboard started"))
    assert main(["--url", "http://127.0.0.1:9"]) == 2
    said = capsys.readouterr().err
    assert f"tf-tui: {config}: unknown theme 'gruvbux' (did you mean 'gruvbox'?); the known themes are " in said
    assert "textual-dark" in said and "nord" in said


def test_the_dashboard_starts_without_garbage_collection_and_a_headless_command_with_it(tmp_path, monkeypatch):
    # The dashboard turns it on again once its first screen is painted (tests/ui/test_first_screen_imports.py).
    monkeypatch.setenv("TF_TUI_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("TF_TUI_STATE_FILE", str(tmp_path / "state.json"))
    collecting: list[bool] = []
    monkeypatch.setattr(cli_module, "_run_app", lambda *_: collecting.append(gc.isenabled()) or 0)
    try:
        assert main(["--url", "http://127.0.0.1:9"]) == 0
        assert collecting == [False]
    finally:
        start_collection.release()
        gc.unfreeze()  # the test process's objects go back to the collector's care
    assert gc.isenabled()
    assert main(["--url", "http://127.0.0.1:9", "completion", "bash"]) == 0
    assert gc.isenabled()
