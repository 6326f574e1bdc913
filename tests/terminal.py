"""tf-tui as a person runs it: a real process on a pseudo-terminal, with its files kept in a test directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect

DEADLINE_S = 60.0
# The header's title: painted with the dashboard's first screen, whatever the runs.
FIRST_SCREEN = " tf-tui "


def isolated_environment(home: Path, **extra: str) -> dict[str, str]:
    """The environment with every directory tf-tui reads or writes under `home`, so nothing touches the
    user's real config, state, log or local server, and with no TF_TUI_ variable inherited."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TF_TUI_")}
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        environment[variable] = str(home / variable.lower())
    environment["TERM"] = "xterm-256color"
    environment.pop("NO_COLOR", None)
    environment.update(extra)
    return environment


def spawn(command: list[str], environment: dict[str, str]) -> pexpect.spawn:
    """A process on its own pseudo-terminal (its own session, as under an SSH login), 80 by 24."""
    return pexpect.spawn(command[0], command[1:], env=environment, dimensions=(24, 80), timeout=DEADLINE_S)


def module_command(*arguments: str) -> list[str]:
    """`tf-tui ARGUMENTS` from this checkout, through the test interpreter."""
    return [sys.executable, "-m", "tf_tui", *arguments]


def quit_dashboard(dashboard: pexpect.spawn) -> str:
    """Press q and wait for the process to end; what it printed after leaving the screen."""
    dashboard.send("q")
    dashboard.expect(pexpect.EOF)
    dashboard.close()
    return dashboard.before.decode(errors="replace")
