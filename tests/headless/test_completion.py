"""Shell completion: the script for each shell, and tf-tui answering a completion request from its own
parser, with the run ids the state file remembers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli_environment
from tf_tui.cli import main
from tf_tui.core.state import StateFile

FIRST = "3f2a9c1e-5b7d-4e21-9a0c-1d2e3f4a5b6c"
SECOND = "51d0c6f4-8a9b-4c3d-a2e1-f0e9d8c7b6a5"
OTHER = "3f00aaaa-0000-4000-8000-000000000000"  # on another backend


@pytest.fixture
def remembered(tmp_path):
    """A state file remembering runs on two backends."""
    state = StateFile(tmp_path / "state.json")
    state.add_many("http://localhost:8084", [FIRST, SECOND])
    state.add("http://gpu1:8084", OTHER)
    return state.path


@pytest.mark.parametrize(
    ("shell", "registration"),
    [
        ("bash", "complete -o nospace -o default -o bashdefault -F _python_argcomplete tf-tui"),
        ("zsh", "#compdef tf-tui"),
        ("fish", "complete --command tf-tui"),
    ],
)
def test_the_script_is_printed_for_each_shell(shell, registration, capsys):
    assert main(["completion", shell]) == 0
    assert registration in capsys.readouterr().out


def completions(command_line: str, directory, extra_env: dict[str, str] | None = None) -> list[str]:
    """What tf-tui answers the shell for the command line, the cursor at its end, as the scripts ask it."""
    answer = directory / "completions"
    environment = {
        **cli_environment(directory),
        "COMP_LINE": command_line,
        "COMP_POINT": str(len(command_line)),
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_STDOUT_FILENAME": str(answer),
        **(extra_env or {}),
    }
    subprocess.run([sys.executable, "-m", "tf_tui"], env=environment, timeout=60, check=True)
    return answer.read_text().split("\013")


@pytest.mark.parametrize("command", ["watch", "stop", "logs", "metrics"])
def test_a_run_id_is_completed_from_the_remembered_runs(command, remembered, tmp_path):
    assert completions(f"tf-tui {command} 3f", tmp_path) == [FIRST, OTHER]  # every backend's
    assert completions(f"tf-tui {command} 51", tmp_path) == [f"{SECOND} "]  # the one: a space after it


def test_watch_completes_the_runs_not_given_yet_and_the_state_file_flag_is_followed(remembered, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shown = completions(f"tf-tui watch --state-file {remembered} {FIRST} ", elsewhere)
    assert SECOND in shown and OTHER in shown and FIRST not in shown
    assert "--json" in shown  # the parser's own options too


def test_commands_are_completed_from_the_parser(tmp_path):
    assert completions("tf-tui me", tmp_path) == ["metrics "]
    assert completions("tf-tui completion f", tmp_path) == ["fish "]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.skipif(not (Path(sys.executable).parent / "tf-tui").exists(), reason="tf-tui is not installed here")
def test_bash_completes_a_remembered_id_with_the_printed_script(remembered, tmp_path):
    script = tmp_path / "tf-tui.bash"
    with script.open("w") as out:
        subprocess.run([sys.executable, "-m", "tf_tui", "completion", "bash"], stdout=out, check=True, timeout=60)
    # The script runs `tf-tui` as the shell finds it: the one installed beside this interpreter.
    bin_dir = Path(sys.executable).parent
    session = (
        f"source {script}\n"
        'COMP_LINE="tf-tui stop 51"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(tf-tui stop 51); COMP_CWORD=2\n'
        "_python_argcomplete tf-tui 51 stop\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    environment = cli_environment(tmp_path, {"PATH": f"{bin_dir}:/usr/bin:/bin"})
    shown = subprocess.run(["bash", "-c", session], env=environment, capture_output=True, text=True, timeout=60)
    assert shown.stdout.split() == [SECOND], shown
