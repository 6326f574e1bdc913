"""The datasets screen (`d`): the backend's datasets, and a field to upload a file as a new one.

The upload shows how much is sent (a bar, the percentage and the bytes) and then the server's answer. What
goes wrong (a path that is not a readable file, a file bigger than the server takes, a refusal from the
server, a connection that breaks) is said under the field, and the path typed stays there to be corrected.
Escape during an upload asks before cancelling it, then says it was. A dataset just uploaded is the one the
start dialog ticks next.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, ProgressBar, Static
from textual.worker import Worker

from tf_tui.base.text import printable
from tf_tui.client.api import ApiError
from tf_tui.core.datasets import (
    DATASET_COLUMNS,
    UploadPathError,
    UploadTooLarge,
    cut_in_the_middle,
    dataset_cells,
    ingest_summary,
    upload,
    upload_paths,
)
from tf_tui.core.environment import memory_text
from tf_tui.core.read_only import refusal
from tf_tui.core.session import Session
from tf_tui.core.start_choices import StartChoicesFile, start_choices_path
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.widgets.footer import LeakFreeFooter
from tf_tui.ui.widgets.path_input import PathInput

# When the table is narrower than its rows, a long source is cut in the middle first, down to this, and then
# a long name, no shorter than this (the CLI shows both whole): the rows, PII and dates stay in view.
MIN_SOURCE_WIDTH = 12
NAME_MIN_WIDTH = 24
NO_DATASETS = "No datasets yet: type a file's path after Upload below and press enter to upload one."


class DatasetsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DatasetsScreen { background: $background; overflow: hidden; }
    DatasetsScreen > #datasets-title { height: 1; background: $panel; padding: 0 1; }
    DatasetsScreen > DataTable { width: 100%; height: 1fr; border: round $primary; }
    DatasetsScreen > #upload-row { height: 1; margin: 1 1 0 1; }
    DatasetsScreen Label { width: auto; padding-right: 1; }
    DatasetsScreen PathInput { width: 1fr; }
    DatasetsScreen > #upload-progress { display: none; height: 1; margin: 0 1; }
    DatasetsScreen #upload-sent { width: auto; padding-left: 1; }
    DatasetsScreen #upload-message { height: auto; min-height: 1; margin: 0 1; }
    DatasetsScreen #upload-message.error { color: $error; text-style: bold; }
    """
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        Binding("escape", "close", "Close", id="close"),
        Binding("f5", "reload", "Reload", id="reload"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session
        self._upload: Worker[None] | None = None  # the upload on its way, if one is
        self._uploading: Path | None = None
        self._sent: tuple[int, int | None] = (0, None)  # its bytes sent, of how many
        self._rows: list[tuple[str, tuple[str, ...]]] = []  # each dataset's id and cells, as last listed

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Datasets on {printable(self._session.url, 80)}"), id="datasets-title")
        yield DataTable[Text](cursor_type="row", zebra_stripes=True, id="dataset-list")
        with Horizontal(id="upload-row"):
            yield Label("Upload")
            yield PathInput(
                placeholder="path of a JSON, JSON Lines or text file (tab completes, enter uploads)", compact=True
            )
        with Horizontal(id="upload-progress"):
            yield ProgressBar(show_eta=False, show_percentage=False)
            yield Static("", id="upload-sent")  # the percentage and the bytes: the bar alone says neither
        yield Static("", id="upload-message")
        yield LeakFreeFooter()

    def on_mount(self) -> None:
        if self._session.settings.read_only:  # no upload: the list only, and why
            self.query_one("#upload-row").display = False
            self.query_one(DataTable).focus()
            self._say(refusal("upload", self._session.settings.fleet[0].name))
        else:
            self.query_one(PathInput).focus()
        self.load()

    def on_resize(self) -> None:
        self.call_after_refresh(self._show)  # once the table has its new width

    def action_close(self) -> None:
        """Closing cancels an upload on its way: asked first, then said."""
        path = self._uploading
        if path is None:
            self.dismiss(None)
            return
        question = Text("Cancel the upload of ")
        question.append(printable(path.name, 60), style="bold")
        question.append("?")
        self.app.push_screen(ConfirmScreen(question), lambda yes: self._cancel_upload() if yes else None)

    def _cancel_upload(self) -> None:
        worker, path = self._upload, self._uploading
        if worker is None or path is None:
            return  # it ended while the question was asked: its outcome is on the screen
        sent, total = self._sent
        worker.cancel()
        if total and sent >= total:
            # All of it reached the server, which may have stored it before the answer could come.
            self._say(
                f"Cancelled the upload of {printable(path)} once it was all sent: the list shows whether it was kept."
            )
            self.load()
        else:
            self._say(f"Cancelled the upload of {printable(path)}: the server keeps none of it.")

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
        self._rows = [(str(entry.get("id")), dataset_cells(entry)) for entry in datasets]
        self._show(select)
        if not datasets:
            self._say(NO_DATASETS)

    def _show(self, select: str | None = None) -> None:
        """The datasets listed, cut to the table's width (`_widths`); the cursor on `select`, else where it was."""
        table = self.query_one(DataTable)
        if select is None and table.row_count:
            select = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        name_width, source_width = self._widths(table)
        table.clear(columns=True)
        for heading, key in DATASET_COLUMNS:
            table.add_column(heading, key=key, width=name_width if key == "name" else None)
        for dataset_id, cells in self._rows:
            # Text, never a string: a DataTable reads a string cell as markup.
            row = [
                Text(
                    cut_in_the_middle(cell, source_width) if key == "source" else cell,
                    justify="right" if key == "rows" else "left",
                )
                for cell, (_, key) in zip(cells, DATASET_COLUMNS, strict=True)
            ]
            table.add_row(*row, key=dataset_id)
        if select is not None and select in table.rows:
            table.move_cursor(row=table.get_row_index(select))

    def _widths(self, table: DataTable[Text]) -> tuple[int, int]:
        """The name column's width and the source's: each as long as its longest, unless the table is too
        narrow for every column whole; then the source gives up its room first, the name after it."""
        keys = [key for _, key in DATASET_COLUMNS]
        widths = [
            max([len(heading), *(Text(cells[index]).cell_len for _, cells in self._rows)])
            for index, (heading, _) in enumerate(DATASET_COLUMNS)
        ]
        padding = 2 * table.cell_padding
        # The vertical scrollbar's room is kept whether it shows or not: a list that grows past the screen
        # would otherwise gain a horizontal one too.
        room = table.scrollable_content_region.width - table.styles.scrollbar_size_vertical
        excess = sum(width + padding for width in widths) - room
        name, source = widths[keys.index("name")], widths[keys.index("source")]
        source_width = max(min(source, MIN_SOURCE_WIDTH), source - max(0, excess))
        excess -= source - source_width
        return max(min(name, NAME_MIN_WIDTH), name - max(0, excess)), source_width

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            [path] = upload_paths([event.value])
        except UploadPathError as error:
            self._say(f"Cannot upload: {error}.", error=True)
            return
        self._upload = self.upload(path)

    @work(group="datasets-upload", exit_on_error=False)
    async def upload(self, path: Path) -> None:
        field = self.query_one(PathInput)
        progress = self.query_one("#upload-progress")
        field.disabled = True  # one upload at a time; what was typed stays
        self._uploading = path
        self._show_sent(0, None)
        progress.display = True
        self._say(f"Uploading {printable(path)}…")
        try:
            reply = await upload(self._session.api, [path], None, self._show_sent)
        except UploadTooLarge as error:
            self._say(f"Not uploaded: {error}", error=True)
            return
        except ApiError as error:
            self._say(f"The upload failed: {error}", error=True)
            return
        finally:
            self._upload = self._uploading = None
            progress.display = False  # never left on screen without a total: it would animate for ever
            field.disabled = False
            field.focus()
        dataset_id = str(reply["dataset_id"])
        StartChoicesFile(start_choices_path(self._session.settings)).prefer_dataset(self._session.state_key, dataset_id)
        field.value = ""
        self._say(f"Uploaded {printable(path)}: {ingest_summary(reply)}. The start dialog (s) has it ticked.")
        self.load(select=dataset_id)

    def _show_sent(self, sent: int, total: int | None) -> None:
        self._sent = (sent, total)
        self.query_one(ProgressBar).update(total=total, progress=sent)
        words = f"{sent * 100 // total}%  {memory_text(sent / 1e9)} of {memory_text(total / 1e9)}" if total else ""
        self.query_one("#upload-sent", Static).update(words)

    def _say(self, message: str, *, error: bool = False) -> None:
        shown = self.query_one("#upload-message", Static)
        shown.update(Text(printable(message)))
        shown.set_class(error, "error")
