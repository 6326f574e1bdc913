"""The lowest Textual and Rich that pyproject.toml allows are tested, not assumed: a fresh virtual
environment holds exactly those two (and what they require, from the package index) and runs the render
path's tests, the reaches into Textual's private API among them.

Only Textual and Rich are pinned there: the environment then reads this test environment's packages (pytest,
the reference server's...) after its own. It is kept under .venv-floor/, by versions, so that only the first
run installs anything.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".venv-floor"
PINNED = ("textual", "rich")
FLOOR_TESTS = (
    "tests/ui/test_terminal_diff.py",
    # Not the idle dashboard's test: it watches a real terminal for 3 s and proves nothing of the reaches
    # that the burst below and the terminal diff's own tests do not.
    "tests/ui/test_render_cost.py::test_a_burst_of_5000_frames_repaints_each_row_a_handful_of_times",
    "tests/ui/test_render_cost.py::test_an_update_of_the_selected_run_lays_nothing_out_unless_the_pane_grows",
    "tests/ui/test_paint.py",
    "tests/ui/test_datasets_screen.py::test_tab_completes_directories_then_file_names_then_moves_on",
)
INSTALL_TIMEOUT_S = 300
RUN_TIMEOUT_S = 600


def floors() -> dict[str, Version]:
    """Each pinned package's lowest allowed version, as pyproject.toml declares it (`>=`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    return {
        requirement.name: Version(specifier.version)
        for requirement in requirements
        if requirement.name in PINNED
        for specifier in requirement.specifier
        if specifier.operator == ">="
    }


def site_packages(venv: Path) -> Path:
    return Path(sysconfig.get_path("purelib", "venv", vars={"base": str(venv), "platbase": str(venv)}))


def build(venv: Path, pins: list[str]) -> None:
    """A virtual environment holding `pins` and what they require; fails the test, saying why, when pip cannot."""
    subprocess.run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--quiet", "--python", str(python), "install", *pins]
    result = subprocess.run(install, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False)
    if result.returncode != 0:
        pytest.fail(f"pip could not install {' '.join(pins)} into {venv}:\n{result.stderr}", pytrace=False)


@pytest.fixture(scope="module")
def floor_python() -> Path:
    """The interpreter of the environment with the lowest allowed Textual and Rich, built on first use."""
    wanted = floors()
    assert set(wanted) == set(PINNED), f"pyproject.toml gives no `>=` floor for {set(PINNED) - set(wanted)}"
    pins = [f"{name}=={version}" for name, version in sorted(wanted.items())]
    python_version = f"py{sys.version_info.major}.{sys.version_info.minor}"
    venv = CACHE / "-".join([*pins, python_version]).replace("==", "-")
    installed = venv / "installed"  # written last: a build cut short is built again
    CACHE.mkdir(exist_ok=True)
    with (CACHE / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once build it once
        if not installed.exists():
            build(venv, pins)
            installed.write_text("\n".join(pins) + "\n")
    # This test environment's packages after the environment's own, its .pth files (the editable install) read.
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    layer = "".join(f"import site; site.addsitedir({path!r})\n" for path in ours)
    (site_packages(venv) / "zz_test_environment.pth").write_text(layer)
    return venv / "bin" / "python"


def test_the_floor_environment_holds_the_lowest_allowed_textual_and_rich(floor_python: Path):
    probe = "import importlib.metadata as m, rich, textual; print(m.version('textual'), m.version('rich'))"
    probe += "; print(textual.__file__); print(rich.__file__)"
    said = subprocess.run([str(floor_python), "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    textual_version, rich_version, *imported = said.stdout.split()
    assert {"textual": Version(textual_version), "rich": Version(rich_version)} == floors()
    venv = floor_python.parents[1]
    assert all(venv in Path(path).parents for path in imported), imported  # not this environment's


def test_the_render_path_works_with_the_lowest_allowed_textual_and_rich(floor_python: Path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    command = [str(floor_python), "-m", "pytest", "-p", "no:cacheprovider", "-q", *FLOOR_TESTS]
    result = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert "passed" in summary and "skipped" not in summary, summary
