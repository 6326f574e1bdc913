"""A field for a file's path: it suggests the rest of a directory or file name as one types, and tab takes it."""

from __future__ import annotations

import os
from pathlib import Path

from textual.actions import SkipAction
from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

from tf_tui.ui.paint.suggestion import shown_suggestion


def complete_path(typed: str) -> str | None:
    """`typed` completed to the names it can only go on as (the longest common start of the matching ones),
    or else to the first matching name; a directory ends with `/`. None when there is nothing to add."""
    if not typed:
        return None
    head, start = os.path.split(typed)
    folder = Path(head).expanduser() if head else Path()
    try:
        with os.scandir(folder) as entries:
            # Hidden names only once a dot is typed, as shells complete them.
            matches = sorted(
                (entry.name, entry.is_dir())
                for entry in entries
                if entry.name.startswith(start) and (start.startswith(".") or not entry.name.startswith("."))
            )
    except OSError:  # no such folder (yet), or one that may not be read
        return None
    if not matches:
        return None
    # Character by character on purpose: names, not paths, are compared.
    common = os.path.commonprefix([name for name, _ in matches])  # noqa: RUF071
    if len(matches) > 1 and len(common) > len(start):
        return typed + common[len(start) :]
    name, is_dir = matches[0]
    completed = typed + name[len(start) :] + ("/" if is_dir else "")
    return completed if completed != typed else None


class PathSuggester(Suggester):
    def __init__(self) -> None:
        # Not cached: the folder's content changes, and a suggestion must follow it.
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value)


class PathInput(Input):
    """An Input with path suggestions; tab takes the suggestion, and moves the focus when there is none."""

    BINDINGS = [Binding("tab", "complete", "Complete", show=False, id="complete")]  # noqa: RUF012 - Textual's own style

    def __init__(self, **options: object) -> None:
        super().__init__(suggester=PathSuggester(), **options)  # type: ignore[arg-type]

    def action_complete(self) -> None:
        # Taking the suggestion is what Input's own cursor_right does at the end.
        if not (self.cursor_at_end and shown_suggestion(self)):
            raise SkipAction  # tab then moves the focus, as in any other field
        self.action_cursor_right()
