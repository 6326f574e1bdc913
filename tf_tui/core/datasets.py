"""Datasets as the CLI and the dashboard show them, the files a user asks to upload, and the datasets a user
names to train on, each checked first.

A path is checked on this machine before anything is sent, so that a typo, a folder or an empty file
is said in words at once rather than as the server's error after the upload, and so are files bigger than
the backend says it takes; a dataset id is checked against the backend's list, so that a typo is not a run
that fails at once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tf_tui.base.ids import resolve_dataset
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, HttpError, NotTalentFactory
from tf_tui.client.multipart import Progress
from tf_tui.core.environment import memory_text
from tf_tui.core.format import local_time, plural
from tf_tui.core.ports import BackendApi

# `GET /datasets/available` entries: (heading, key)
DATASET_COLUMNS = (
    ("ID", "id"),
    ("NAME", "name"),
    ("SOURCE", "source"),
    ("ROWS", "rows"),
    ("PII MASKED", "pii_masked"),
    ("CREATED", "created_at"),
)


SOURCE_LIMIT = 1000


class UploadPathError(ValueError):
    """A path that cannot be uploaded, said in words fit to show."""


class UploadTooLarge(ApiError):
    """Files bigger than the backend takes, said with both sizes as far as they are known."""


async def upload(api: BackendApi, paths: Sequence[Path], name: str | None, on_progress: Progress) -> dict[str, Any]:
    """Upload checked files as one new dataset (`BackendApi.ingest`). Refused before a byte is sent when they
    are bigger than the limit the backend states (`max_upload_bytes` in `GET /health`, the reference server's
    extension); a backend that states none is sent them, and its 413 then names the sizes known."""
    size = sum(_size(path) for path in paths)
    limit = await upload_limit(api)
    if limit is not None and size > limit:
        raise UploadTooLarge(f"{_sizes_said(paths, size, limit)}; this server takes at most {_bytes(limit, size)}")
    try:
        return await api.ingest(paths, name, on_progress)
    except HttpError as error:
        if error.status_code != 413:
            raise
        stated = "" if limit is None else f" (it says it takes at most {_bytes(limit, size)})"
        said = f"{_sizes_said(paths, size, limit)}; the server refused it as too large{stated}: {error}"
        raise UploadTooLarge(said) from None


async def upload_limit(api: BackendApi) -> int | None:
    """The most an upload's files may hold together, as the backend states it; None when it states none (the
    deployed backend) or its health cannot be read now."""
    try:
        health = await api.health()
    except NotTalentFactory:
        raise  # nothing could be uploaded there
    except ApiError:
        return None
    limit = health.get("max_upload_bytes")
    return limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else None


def _sizes_said(paths: Sequence[Path], size: int, limit: int | None) -> str:
    said = _bytes(size, limit)
    return f"{printable(paths[0].name)} is {said}" if len(paths) == 1 else f"the {len(paths)} files are {said} together"


def _bytes(count: int, other: int | None) -> str:
    """`200 MB`; exact (`10,485,761 bytes`) when the other size it is said beside would read the same."""
    rounded = memory_text(count / 1e9)
    return f"{count:,} bytes" if other is not None and memory_text(other / 1e9) == rounded else rounded


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone since it was checked: sending it says so


def upload_paths(typed: Sequence[str]) -> list[Path]:
    """The files to upload, each checked: it exists, is a regular file, can be read and is not empty."""
    texts = [text.strip() for text in typed if text.strip()]
    if not texts:
        raise UploadPathError("give the path of a file to upload")
    return [_checked(Path(text).expanduser()) for text in texts]


def _checked(path: Path) -> Path:
    shown = printable(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise UploadPathError(f"{shown}: no such file") from None
    except OSError as error:
        raise UploadPathError(f"{shown}: {error.strerror or error}") from None
    if stat.S_ISDIR(status.st_mode):
        raise UploadPathError(f"{shown} is a directory: give a file in it")
    if not stat.S_ISREG(status.st_mode):
        raise UploadPathError(f"{shown} is not a regular file")
    if not os.access(path, os.R_OK):
        raise UploadPathError(f"{shown}: you may not read it (permission denied)")
    if status.st_size == 0:
        raise UploadPathError(f"{shown} is empty: there is nothing to upload")
    return path


async def named_datasets(api: BackendApi, typed: Sequence[str]) -> list[str]:
    """The backend's ids of the datasets as typed (a unique prefix will do), checked against its list before a
    run is started on them. Raises `DatasetIdError` for one it does not have or a prefix of several."""
    available = [entry["id"] for entry in await api.datasets() if isinstance(entry.get("id"), str)]
    return [resolve_dataset(text, available) for text in typed]


def ingest_summary(reply: dict[str, Any]) -> str:
    """What the server made of an upload: the new dataset's id, its rows, and whether PII was masked."""
    rows = reply.get("rows")
    parts = [f"dataset {printable(reply.get('dataset_id'), 80)}"]
    if isinstance(rows, int) and not isinstance(rows, bool):
        parts.append(plural(rows, "row"))
    parts.append("PII found and masked" if reply.get("has_pii") is True else "no PII found")
    return ", ".join(parts)


def name_not_taken(reply: dict[str, Any], asked: str | None) -> str | None:
    """A sentence when the server did not call the new dataset what was asked (the deployed backend reads no
    name: it names a dataset after its file); None when it did, or none was asked for."""
    if not asked:
        return None
    given = reply.get("name") if isinstance(reply.get("name"), str) else reply.get("filename")
    if given == asked:
        return None
    called = f"it is called {printable(given, 80)!r}" if isinstance(given, str) and given else "it has no name"
    return f"this backend did not take the name {printable(asked, 80)!r}: {called}"


def cut_in_the_middle(text: str, width: int) -> str:
    """`/home/me/data/…/train.jsonl`: a path keeps its start and its file's name when cut to `width`."""
    if len(text) <= width:
        return text
    kept = max(width - 1, 0)
    return f"{text[: kept - kept // 2]}…{text[len(text) - kept // 2 :] if kept // 2 else ''}"


def dataset_cells(entry: dict[str, Any]) -> tuple[str, ...]:
    """One `/datasets/available` entry as the cells of DATASET_COLUMNS, in words fit to show."""
    return tuple(_cell(key, entry.get(key)) for _, key in DATASET_COLUMNS)


def _cell(key: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "rows" and isinstance(value, int):
        return f"{value:,}"
    if key == "created_at" and isinstance(value, str):
        return local_time(value)
    # A source (a path) whole, to be cut where it is shown: its end, the file's name, is what tells it apart.
    return printable(value, SOURCE_LIMIT if key == "source" else 60)
