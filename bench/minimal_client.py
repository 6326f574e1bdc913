"""The minimal coalescing client: one Static per run, the changed rows repainted every 50 ms. No detail
pane, no ages, no footer. What tf-tui's render path is measured against.

    python -m bench.minimal_client http://127.0.0.1:8084 [more backend URLs]
"""

from __future__ import annotations

import sys
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from bench.feed import follow, row_text

FLUSH_S = 0.05


class MinimalClient(App[None]):
    CSS = "Static { height: 1; }"

    def __init__(self, urls: list[str]) -> None:
        super().__init__()
        self.urls = urls
        self.runs: dict[str, dict[str, Any]] = {}
        self.rows: dict[str, Static] = {}
        self.changed: set[str] = set()

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="runs")

    def on_mount(self) -> None:
        self.set_interval(FLUSH_S, self.flush)
        for url in self.urls:
            self.run_worker(follow(url, self.listed, self.update_run))

    def listed(self, train_ids: list[str]) -> None:
        rows = {train_id: Static(train_id[:8]) for train_id in train_ids}
        self.rows.update(rows)
        self.query_one("#runs").mount_all(rows.values())

    def update_run(self, train_id: str, data: dict[str, Any]) -> None:
        self.runs[train_id] = {**self.runs.get(train_id, {}), **data}
        self.changed.add(train_id)

    def flush(self) -> None:
        changed, self.changed = self.changed, set()
        for train_id in changed:
            if train_id in self.rows:
                self.rows[train_id].update(row_text(train_id, self.runs[train_id]))


if __name__ == "__main__":
    MinimalClient(sys.argv[1:]).run()
