"""Shell completion: `tf-tui completion bash|zsh|fish` prints the script that a shell sources once.

The script is argcomplete's: at each tab it runs tf-tui with the command line in its environment, and
tf-tui answers from its own parser (`complete`, called before the arguments are parsed), so the
completions are always the commands and options of the tf-tui installed. A run id argument (`TRAIN_ID`:
`watch`, `stop`, `logs`, `metrics`, ...) is completed from the runs the state file remembers.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator

SHELLS = ("bash", "zsh", "fish")
PROGRAM = "tf-tui"
RUN_ID_METAVAR = "TRAIN_ID"


def completion_script(shell: str) -> str:
    """The script that makes `shell` complete tf-tui's command line."""
    import argcomplete

    return argcomplete.shellcode([PROGRAM], shell=shell)


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit, when tf-tui was run for one; else return at once."""
    import argcomplete

    for action in _run_id_arguments(parser):
        action.completer = remembered_run_ids  # type: ignore[attr-defined]  # argcomplete's own attribute
    argcomplete.autocomplete(parser)


def _run_id_arguments(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if action.metavar == RUN_ID_METAVAR:
            yield action
        if isinstance(action, argparse._SubParsersAction):
            for subparser in dict.fromkeys(action.choices.values()):
                yield from _run_id_arguments(subparser)


def remembered_run_ids(prefix: str, parsed_args: argparse.Namespace, **_: object) -> list[str]:
    """The run ids the state file remembers, of every backend, that start with what was typed (and that
    `watch` was not given already)."""
    from tf_tui.core.config import state_file_path
    from tf_tui.core.state import StateFile

    path = getattr(parsed_args, "state_file", None) or state_file_path(os.environ)
    given = set(getattr(parsed_args, "train_ids", None) or ())
    state = StateFile(path)
    remembered = dict.fromkeys(train_id for backend in state.backends() for train_id in state.active(backend))
    return [train_id for train_id in remembered if train_id.startswith(prefix) and train_id not in given]
