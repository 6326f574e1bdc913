"""The server's data is its user's: runs, uploaded datasets, logs and weights are nobody else's to read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077  # new folders 0700, new files 0600
OPEN_TO_OTHERS = 0o077


def make_private(data_dir: Path) -> int:
    """Make the data dir (0700), or take from an existing one, and from everything in it, what its group
    and others may do. How many files and folders that changed; symlinks are left alone (their own mode
    means nothing, and what they point to is not the server's)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    paths = [data_dir]
    for folder, folders, files in os.walk(data_dir):
        paths += [Path(folder, name) for name in (*folders, *files)]
    tightened = 0
    for path in paths:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and mode & OPEN_TO_OTHERS:
            path.chmod(stat.S_IMODE(mode) & ~OPEN_TO_OTHERS)
            tightened += 1
    return tightened
