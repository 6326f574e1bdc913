"""tf-tui installed as people install a command-line tool: from its wheel, into a fresh virtual environment.

`make run` uses an editable install, which reads every file from the checkout and so hides a file the
wheel forgot. These tests build the wheel, install it (its dependencies from the package index, as
pipx would) and run the installed `tf-tui` on a terminal.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pexpect
import pytest

from tests.terminal import FIRST_SCREEN, isolated_environment, quit_dashboard, spawn

ROOT = Path(__file__).resolve().parents[1]
INSTALL_TIMEOUT_S = 300
UNCOMPILED = shutil.ignore_patterns("__pycache__", "*.pyc")


def _pip(*arguments: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--quiet", *arguments],
        check=True,
        timeout=INSTALL_TIMEOUT_S,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy: building in the checkout would leave build/ and egg-info behind.
    source = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    shutil.copytree(ROOT / "tf_tui", source / "tf_tui", ignore=UNCOMPILED)
    dist = tmp_path_factory.mktemp("dist")
    _pip("wheel", "--no-deps", "--wheel-dir", str(dist), str(source))
    return next(dist.glob("tf_tui-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `tf-tui` command of a fresh virtual environment holding the wheel and its declared dependencies."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=INSTALL_TIMEOUT_S)
    _pip("--python", str(venv / "bin" / "python"), "install", str(wheel))
    return venv / "bin" / "tf-tui"


def test_the_wheel_ships_every_file_of_the_package(wheel: Path):
    shipped = set(zipfile.ZipFile(wheel).namelist())
    in_checkout = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tf_tui").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "tf_tui/ui/app.tcss" in in_checkout
    assert in_checkout - shipped == set()


def test_the_installed_dashboard_renders_its_first_screen_and_quits_with_status_0(installed, server, tmp_path):
    dashboard = spawn([str(installed), "--url", server.url], isolated_environment(tmp_path))
    dashboard.expect_exact(FIRST_SCREEN)
    dashboard.expect_exact(server.url)
    quit_dashboard(dashboard)
    assert dashboard.exitstatus == 0


def test_a_dashboard_that_crashes_at_launch_exits_1_with_a_sentence_and_the_details_in_the_log(server, tmp_path):
    # The crash the wheel without its stylesheet caused: the app cannot read its CSS file.
    crash = (
        "import sys; from tf_tui.ui.app import TfTuiApp; TfTuiApp.CSS_PATH = 'missing.tcss';"
        "from tf_tui.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    stderr = tmp_path / "stderr.txt"
    log_file = tmp_path / "tf-tui.log"
    environment = isolated_environment(tmp_path, TF_TUI_LOG_FILE=str(log_file), TF_TUI_TOKEN="secret-token-123")
    # stderr apart from the terminal, to see exactly what the user is told.
    command = ["/bin/sh", "-c", 'exec "$@" 2>"$0"', str(stderr), sys.executable, "-c", crash, "--url", server.url]
    dashboard = spawn(command, environment)
    dashboard.expect(pexpect.EOF)
    dashboard.close()
    assert dashboard.exitstatus == 1
    said = stderr.read_text()
    assert f"tf-tui: the dashboard crashed; details in {log_file}" in said
    assert "Traceback" not in said and "missing.tcss" not in said
    logged = log_file.read_text()
    assert "missing.tcss" in logged
    assert "secret-token-123" not in logged


def test_local_without_the_server_extra_says_what_to_install(installed, tmp_path):
    # The wheel alone is the dashboard: the reference server's dependencies are the `server` extra.
    result = subprocess.run(
        [str(installed), "--local"],
        env=isolated_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 1
    assert "tf-tui serve needs the server extra (pip install 'tf-tui[server]')" in result.stderr
    assert "Traceback" not in result.stderr
