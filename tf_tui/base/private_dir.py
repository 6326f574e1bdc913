"""The directory tf-tui keeps its state file, log and start choices in, readable by its owner only."""

from __future__ import annotations

from pathlib import Path


def make_private_dir(path: Path) -> None:
    """Create `path` mode 0700 if it is missing (its missing parents follow the umask, as `mkdir -p` does).
    The names in it are run ids and backends; the files are 0600 already. A directory that exists is left
    as it is: it may be one the user chose for the state file (`--state-file`) and shares on purpose."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
