"""The datasets screen (`d`): the backend's datasets, and a field to upload a file as a new one.

The upload shows the bytes sent and then the server's answer. What goes wrong (a path that is not a
readable file, a refusal from the server, a connection that breaks) is said under the field, and the
path typed stays there to be corrected. A dataset just uploaded is the one the start dialog ticks next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, ProgressBar, Static

from tf_tui.base.text import printable
from tf_tui.client.api import ApiError
from tf_tui.core.datasets import (
    DATASET_COLUMNS,
    UploadPathError,
    cut_in_the_middle,
    dataset_cells,
    ingest_summary,
    upload_paths,
)
from tf_tui.core.session import Session
from tf_tui.core.start_choices import StartChoicesFile, start_choices_path
from tf_tui.ui.widgets.footer import LeakFreeFooter
from tf_tui.ui.widgets.path_input import PathInput

NAME_WIDTH = 24
MIN_SOURCE_WIDTH = 12
CELL_PADDING = 2  # a DataTable cell's padding, one column each side
NO_DATASETS = "No datasets yet: type a file's path after Upload below and press enter to upload one."


class DatasetsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DatasetsScreen { background: $background; overflow: hidden; }
    DatasetsScreen > #datasets-title { height: 1; background: $panel; padding: 0 1; }
    DatasetsScreen > DataTable { width: 100%; height: 1fr; border: round $primary; }
    DatasetsScreen > Horizontal { height: 1; margin: 1 1 0 1; }
    DatasetsScreen Label { width: auto; padding-right: 1; }
    DatasetsScreen PathInput { width: 1fr; }
    DatasetsScreen ProgressBar { display: none; margin: 0 1; }
    DatasetsScreen #upload-message { height: auto; min-height: 1; margin: 0 1; }
    DatasetsScreen #upload-message.error { color: $error; text-style: bold; }
    """
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        Binding("escape", "close", "Close"),
        Binding("f5", "reload", "Reload"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session
        self._datasets: list[dict[str, Any]] = []  # as last listed: redrawn when the screen's width changes

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Datasets on {printable(self._session.url, 80)}"), id="datasets-title")
        yield DataTable[Text](cursor_type="row", zebra_stripes=True, id="dataset-list")
        with Horizontal():
            yield Label("Upload")
            yield PathInput(
                placeholder="path of a JSON, JSON Lines or text file (tab completes, enter uploads)", compact=True
            )
        yield ProgressBar(show_eta=False, id="upload-progress")
        yield Static("", id="upload-message")
        yield LeakFreeFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for heading, key in DATASET_COLUMNS:
            # A long name is cut (the CLI shows it whole), so that rows and PII fit in 80 columns.
            table.add_column(heading, key=key, width=NAME_WIDTH if key == "name" else None)
        self.query_one(PathInput).focus()
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self.load()

    @work(exclusive=True, group="datasets-list", exit_on_error=False)
    async def load(self, select: str | None = None) -> None:
        """The list from the server; `select` moves the cursor to that dataset (one just uploaded)."""
        try:
            datasets = await self._session.api.datasets()
        except ApiError as error:
            self._say(f"Could not list the datasets: {error}", error=True)
            return
        self._datasets = datasets
        self._fill(select)
        if not datasets:
            self._say(NO_DATASETS)

    def on_resize(self) -> None:
        if self._datasets:
            self._fill()

    def _fill(self, select: str | None = None) -> None:
        """The rows, each source cut in the middle to what the other columns leave of the screen's width: a
        long path must not push the rows, PII and dates off it."""
        table = self.query_one(DataTable)
        kept = select or (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
        )
        rows = [dataset_cells(entry) for entry in self._datasets]
        source = [key for _, key in DATASET_COLUMNS].index("source")
        others = sum(
            CELL_PADDING + (NAME_WIDTH if key == "name" else max([len(heading), *(len(row[index]) for row in rows)]))
            for index, (heading, key) in enumerate(DATASET_COLUMNS)
            if index != source
        )
        width = max(MIN_SOURCE_WIDTH, table.scrollable_content_region.width - others - CELL_PADDING)
        table.clear()
        for entry, cells in zip(self._datasets, rows, strict=True):
            # Text, never a string: a DataTable reads a string cell as markup.
            row = [
                Text(
                    cut_in_the_middle(cell, width) if key == "source" else cell,
                    justify="right" if key == "rows" else "left",
                )
                for cell, (_, key) in zip(cells, DATASET_COLUMNS, strict=True)
            ]
            table.add_row(*row, key=str(entry.get("id")))
        if kept is not None and kept in table.rows:
            table.move_cursor(row=table.get_row_index(kept))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            [path] = upload_paths([event.value])
        except UploadPathError as error:
            self._say(f"Cannot upload: {error}.", error=True)
            return
        self.upload(path)

    @work(group="datasets-upload", exit_on_error=False)
    async def upload(self, path: Path) -> None:
        field = self.query_one(PathInput)
        bar = self.query_one(ProgressBar)
        field.disabled = True  # one upload at a time; what was typed stays
        bar.update(total=None, progress=0)
        bar.display = True
        self._say(f"Uploading {printable(path)}…")
        try:
            reply = await self._session.api.ingest(
                [path], None, lambda sent, total: bar.update(total=total, progress=sent)
            )
        except ApiError as error:
            self._say(f"The upload failed: {error}", error=True)
            return
        finally:
            bar.display = False  # never left on screen without a total: it would animate for ever
            field.disabled = False
            field.focus()
        dataset_id = str(reply["dataset_id"])
        StartChoicesFile(start_choices_path(self._session.settings)).prefer_dataset(self._session.state_key, dataset_id)
        field.value = ""
        self._say(f"Uploaded {printable(path)}: {ingest_summary(reply)}. The start dialog (s) has it ticked.")
        self.load(select=dataset_id)

    def _say(self, message: str, *, error: bool = False) -> None:
        shown = self.query_one("#upload-message", Static)
        shown.update(Text(printable(message)))
        shown.set_class(error, "error")
