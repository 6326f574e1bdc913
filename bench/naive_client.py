"""The naive client: a DataTable whose cells are updated on every frame, as a person would write first.

python -m bench.naive_client http://127.0.0.1:8084 [more backend URLs]
"""

from __future__ import annotations

import sys
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from bench.feed import follow

COLUMNS = ("run", "status", "progress", "step", "loss")


def cells(train_id: str, data: dict[str, Any]) -> tuple[str, ...]:
    details = data.get("details") or {}
    loss = details.get("loss")
    return (
        train_id[:8],
        str(data.get("status", "?")),
        f"{data.get('progress', 0):>3}%",
        f"{details.get('step', '')}/{details.get('total_steps', '')}",
        f"{loss:.4f}" if isinstance(loss, float) else "",
    )


class NaiveClient(App[None]):
    def __init__(self, urls: list[str]) -> None:
        super().__init__()
        self.urls = urls
        self.runs: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield DataTable(id="runs")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        for url in self.urls:
            self.run_worker(follow(url, self.listed, self.update_run))

    def listed(self, train_ids: list[str]) -> None:
        table = self.query_one(DataTable)
        for train_id in train_ids:
            table.add_row(train_id[:8], "", "", "", "", key=train_id)

    def update_run(self, train_id: str, data: dict[str, Any]) -> None:
        self.runs[train_id] = run = {**self.runs.get(train_id, {}), **data}
        table = self.query_one(DataTable)
        for column, value in zip(COLUMNS, cells(train_id, run), strict=True):
            table.update_cell(train_id, column, value)


if __name__ == "__main__":
    NaiveClient(sys.argv[1:]).run()
