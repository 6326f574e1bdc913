"""`tf-tui datasets` and `tf-tui dataset upload`: the backend's datasets, and a new one from files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskProgressColumn, TextColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from tf_tui.base.exit_codes import ExitCode
from tf_tui.client.multipart import Progress as OnProgress
from tf_tui.core.datasets import DATASET_COLUMNS, dataset_cells, ingest_summary, name_not_taken, upload
from tf_tui.core.session import Session
from tf_tui.core.start_choices import StartChoicesFile, start_choices_path

PIPE_WIDTH = 1000


async def list_datasets(session: Session, as_json: bool, out: TextIO = sys.stdout) -> int:
    datasets = await session.api.datasets()
    if as_json:
        print(json.dumps(datasets, indent=2), file=out)  # JSON escapes whatever the server wrote
        return ExitCode.OK
    if not datasets:
        print(f"No datasets on {session.url}.", file=out)
        return ExitCode.OK
    rows = [dataset_cells(entry) for entry in datasets]
    table = Table(box=None, pad_edge=False, header_style="bold")
    for index, (heading, key) in enumerate(DATASET_COLUMNS):
        # An id is what a user copies: whole, on one line, however narrow the terminal; names wrap instead.
        whole = key == "id"
        width = max(len(row[index]) for row in rows) if whole else None
        table.add_column(heading, justify="right" if key == "rows" else "left", no_wrap=whole, min_width=width)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # Text: server text is never read as markup
    # Not a terminal (a pipe, a file): one line per dataset, as wide as it takes, for grep and cut.
    Console(file=out, highlight=False, width=None if out.isatty() else PIPE_WIDTH).print(table)
    return ExitCode.OK


async def upload_dataset(
    session: Session, paths: Sequence[Path], name: str | None, as_json: bool, out: TextIO = sys.stdout
) -> int:
    """Upload checked files as one dataset (refused first when bigger than the backend takes); a bar of the
    bytes sent on a terminal (not with --json)."""
    with _progress_bar(out, enabled=not as_json and out.isatty()) as on_progress:
        reply = await upload(session.api, paths, name, on_progress)
    # The dashboard's start dialog then offers the new dataset first.
    StartChoicesFile(start_choices_path(session.settings)).prefer_dataset(session.state_key, reply["dataset_id"])
    print(json.dumps(reply) if as_json else f"Uploaded: {ingest_summary(reply)}", file=out, flush=True)
    renamed = name_not_taken(reply, name)
    if renamed is not None:
        print(f"tf-tui dataset upload: {renamed}", file=sys.stderr)
    return ExitCode.OK


@contextmanager
def _progress_bar(out: TextIO, *, enabled: bool) -> Iterator[OnProgress]:
    if not enabled:
        yield lambda sent, total: None
        return
    columns = (TextColumn("Uploading"), BarColumn(), TaskProgressColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=Console(file=out), transient=True) as bar:
        task = bar.add_task("upload", total=None)
        yield lambda sent, total: bar.update(task, completed=sent, total=total)
