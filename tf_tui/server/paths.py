"""Files named after ids, kept inside the data dir: no id, and no symlink put there, leads outside it."""

from __future__ import annotations

import re
from pathlib import Path

# Run ids are UUIDs, dataset ids hex UUIDs or `builtin-...`: no dots, slashes, NULs or leading dashes.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


class UnsafePath(ValueError):
    """A name or a file that would lead outside its folder."""


def file_in(directory: Path, name: str, suffix: str) -> Path:
    """`directory/name+suffix`, refused unless `name` is a plain id and the file stays in `directory`."""
    if not SAFE_NAME.fullmatch(name):
        raise UnsafePath(f"{name!r} cannot name a file")
    return inside(directory / f"{name}{suffix}", directory)


def inside(path: Path, directory: Path) -> Path:
    """`path` itself, if it is in `directory` once symlinks and `..` are resolved; else UnsafePath."""
    if not path.resolve().is_relative_to(directory.resolve()):
        raise UnsafePath(f"{path} leads outside {directory}")
    return path
