"""What the user chose about the view, per backend and kept across relaunches: the runs list's order and
grouping, the charts' smoothing, window, scales and axis. A `PerBackendFile` of sections, one per part of
the view; each part reads its own section and checks its values (the file is the user's to edit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tf_tui.core.backend_file import PerBackendFile
from tf_tui.core.config import Settings

Section = dict[str, Any]


def view_choices_path(settings: Settings) -> Path:
    return settings.state_file.with_name("view.json")


class ViewChoicesFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = PerBackendFile(path, "the view's choices")

    def get(self, url: str, section: str) -> Section:
        """The section's choices for the backend; empty when none were kept (or the file was unusable)."""
        value = self._file.entry(url).get(section)
        return value if isinstance(value, dict) else {}

    def set(self, url: str, section: str, choices: Section) -> None:
        """Keep `choices` as the section's for the backend; the other sections stay as they are."""
        self._file.update(url, lambda entry: {**entry, section: choices})

    def move(self, old_url: str, new_url: str) -> None:
        self._file.move(old_url, new_url)
