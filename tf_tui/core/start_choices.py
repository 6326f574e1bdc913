"""The start dialog's last choices per backend, so that the next run starts from them (a `PerBackendFile`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tf_tui.core.backend_file import PerBackendFile
from tf_tui.core.config import Settings


@dataclass(frozen=True)
class StartChoices:
    model: str = ""  # empty: none remembered
    datasets: tuple[str, ...] = ()
    outcome: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def start_choices_path(settings: Settings) -> Path:
    return settings.state_file.with_name("start-choices.json")


class StartChoicesFile:
    """The last choices made in the start dialog, per backend."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = PerBackendFile(path, "the start dialog's choices")

    def get(self, url: str) -> StartChoices:
        entry = self._file.entry(url)
        datasets = entry.get("datasets")
        params = entry.get("params")
        return StartChoices(
            model=_text(entry.get("model")),
            datasets=tuple(item for item in datasets if isinstance(item, str)) if isinstance(datasets, list) else (),
            outcome=_text(entry.get("outcome")),
            params=params if isinstance(params, dict) else {},
        )

    def remember(self, url: str, choices: StartChoices) -> None:
        entry = {
            "model": choices.model,
            "datasets": list(choices.datasets),
            "outcome": choices.outcome,
            "params": choices.params,
        }
        self._file.update(url, lambda _: entry)

    def prefer_dataset(self, url: str, dataset_id: str) -> None:
        """A dataset just uploaded is the one ticked when the dialog next opens; the other choices stay."""
        self._file.update(url, lambda entry: {**entry, "datasets": [dataset_id]})

    def move(self, old_url: str, new_url: str) -> None:
        self._file.move(old_url, new_url)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
