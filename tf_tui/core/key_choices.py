"""The config file's `[keys]` table: which keys the user gives each action, and the line that says so.

    [keys]
    stop = "X"                 # one key
    filter = ["f", "slash"]    # several, as a list
    event_log = "L,f9"         # or comma-separated, as Textual writes them

Only the shape is checked here (a table of strings or lists of strings): the actions and the key names
are the dashboard's, which only it knows (Textual's), and are checked by it before it starts
(`tf_tui.ui.keymap`), with the line each came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TABLE = "keys"


class KeyTableError(ValueError):
    """The `[keys]` table is not a table of strings or lists of strings; the message names the line."""


@dataclass(frozen=True)
class KeyChoice:
    """The keys the config file gives one action, and where it says so (`config.toml, line 12`)."""

    action: str
    keys: tuple[str, ...]
    where: str


def key_choices(table: object, text: str, path: Path) -> tuple[KeyChoice, ...]:
    """The `[keys]` table read from the config file `path`, whose text is `text`."""
    if not isinstance(table, Mapping):
        raise KeyTableError(f"{_where(path, text, None)}: keys must be a table, [keys], of action = key(s)")
    choices = []
    for action, value in table.items():
        where = _where(path, text, action)
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(each, str) for each in values):
            raise KeyTableError(f'{where}: {action} must be a key ("x"), keys ("x,f2") or a list (["x", "f2"])')
        keys = tuple(key.strip() for each in values for key in each.split(","))
        if not keys or not all(keys):
            raise KeyTableError(f"{where}: {action} needs a key, and no empty one between commas")
        choices.append(KeyChoice(action, keys, where))
    return tuple(choices)


def _where(path: Path, text: str, action: str | None) -> str:
    """The file and the line of an action in the `[keys]` table (or of the table when `action` is None)."""
    line = _line(text, action)
    return f"{path}, line {line}" if line else str(path)


def _line(text: str, action: str | None) -> int | None:
    table = re.compile(rf"^\s*\[\s*{TABLE}\s*\]")
    any_table = re.compile(r"^\s*\[")
    # Outside the table, the key is written `keys.stop = "X"` or inline, `keys = { stop = "X" }`.
    outside = re.compile(rf"^\s*{TABLE}\s*[=.]")
    named = re.compile(rf"""(^|[\s{{,.])\s*(["']?){re.escape(action or "")}\2\s*=""")
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if any_table.match(line):
            inside = bool(table.match(line))
            if inside and action is None:
                return number
            continue
        if inside:
            found = action is not None and named.match(line) is not None
        else:
            found = outside.match(line) is not None and (action is None or named.search(line) is not None)
        if found:
            return number
    return None
