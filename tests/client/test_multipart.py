"""An upload's files as httpx sends them: a Content-Length announced, progress told a chunk at a time up to
the files' size, and a file that changes size while it is sent refused with both sizes said."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from tf_tui.client.api import ApiError, TalentFactoryApi
from tf_tui.client.multipart import multipart_files

CHUNK_BYTES = 64 * 1024  # what httpx reads of a file at a time


def jsonl_file(path: Path, count: int) -> Path:
    path.write_text("".join(json.dumps({"instruction": "Echo", "output": f"word {n}"}) + "\n" for n in range(count)))
    return path


@pytest.fixture
async def api(server) -> AsyncIterator[TalentFactoryApi]:
    client = TalentFactoryApi(server.url, trust_env=False)
    try:
        yield client
    finally:
        await client.aclose()


async def test_the_body_announces_its_length(tmp_path):
    data = jsonl_file(tmp_path / "data.jsonl", 5000)
    with multipart_files("file", [data], lambda sent, total: None) as files:
        request = httpx.Request("POST", "http://backend/x", data={"name": "five thousand"}, files=files)
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
    assert int(request.headers["Content-Length"]) == len(body) > data.stat().st_size
    assert "Transfer-Encoding" not in request.headers


@pytest.mark.parametrize("count", [1, 2], ids=["one file", "two files"])
async def test_progress_is_told_a_chunk_at_a_time_up_to_the_size_of_the_files(api, tmp_path, count):
    paths = [jsonl_file(tmp_path / f"part{number}.jsonl", 10_000) for number in range(count)]
    size = sum(path.stat().st_size for path in paths)
    seen: list[tuple[int, int]] = []
    reply = await api.ingest(paths, None, lambda sent, total: seen.append((sent, total)))
    assert reply["rows"] == 10_000 * count
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert {total for _, total in seen} == {size}
    steps = [after - before for (before, _), (after, _) in pairwise(seen)]
    assert all(0 < step <= CHUNK_BYTES for step in steps)  # a chunk at a time, never a whole file
    assert len(steps) >= size // CHUNK_BYTES


async def test_the_files_names_and_types_reach_the_server(api, tmp_path):
    notes = tmp_path / os.fsdecode(b"caf\xe9.txt")  # a name that is not UTF-8
    notes.write_text("A passage of text.\n\nAnother passage.")
    reply = await api.ingest(
        [jsonl_file(tmp_path / "a.jsonl", 3), notes], os.fsdecode(b"na\xefve"), lambda sent, total: None
    )
    assert reply["name"] == "na?ve"
    described = [(each["filename"], each["mime_type"]) for each in reply["processed_files"]]
    assert described == [("a.jsonl", "application/octet-stream"), ("caf?.txt", "text/plain")]


def append_four_bytes(path: Path) -> int:
    with path.open("ab") as file:
        file.write(b"more")
    return path.stat().st_size


def cut_short(path: Path) -> int:
    os.truncate(path, 100_000)
    return 100_000


@pytest.mark.parametrize("change", [append_four_bytes, cut_short], ids=["grows", "shrinks"])
async def test_a_file_that_changes_size_while_it_is_sent_is_refused(api, tmp_path, change):
    data = jsonl_file(tmp_path / "changing.jsonl", 20_000)
    size = data.stat().st_size
    before = {entry["id"] for entry in await api.datasets()}
    sizes_after: list[int] = []

    def change_once_sending(sent: int, total: int) -> None:
        if sent and not sizes_after:
            sizes_after.append(change(data))

    with pytest.raises(ApiError) as refused:
        await api.ingest([data], None, change_once_sending)
    assert sizes_after and sizes_after[0] != size
    assert str(refused.value) == (
        f"{data} changed size while it was being sent: it had {size} bytes when the upload began"
        f" and has {sizes_after[0]} now"
    )
    assert {entry["id"] for entry in await api.datasets()} == before
