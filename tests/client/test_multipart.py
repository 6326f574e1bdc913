"""The upload body: its announced length is what is sent, progress counts to it, and it goes out only once."""

from __future__ import annotations

import httpx
import pytest

from tf_tui.client.multipart import CHUNK_BYTES, MultipartBody, UnreadableFile


async def sent(request: httpx.Request) -> bytes:
    return b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]


async def test_the_body_is_as_long_as_announced_and_progress_reaches_it(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_bytes(b"x" * (3 * CHUNK_BYTES + 5))
    notes = tmp_path / 'odd "name".txt'
    notes.write_text("a passage")
    seen: list[tuple[int, int]] = []
    body = MultipartBody([("files", data), ("files", notes)], {"name": "both"}, lambda *each: seen.append(each))
    request = httpx.Request("POST", "http://backend/x", content=body.chunks(), headers=body.headers)
    payload = await sent(request)
    assert len(payload) == body.total == int(request.headers["Content-Length"])
    assert "Transfer-Encoding" not in request.headers
    assert seen[0] == (0, body.total) and seen[-1] == (body.total, body.total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert b'filename="odd %22name%22.txt"' in payload and b'name="name"\r\n\r\nboth\r\n' in payload


async def test_the_body_cannot_be_sent_a_second_time(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("a passage")
    body = MultipartBody([("file", data)], {}, lambda sent, total: None)
    request = httpx.Request("POST", "http://backend/x", content=body.chunks(), headers=body.headers)
    await sent(request)
    with pytest.raises(httpx.StreamConsumed):  # what any retry of a sent upload would meet
        await sent(request)


async def test_a_file_that_shrinks_while_sent_is_an_error(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("a passage that will be cut short")
    body = MultipartBody([("file", data)], {}, lambda sent, total: None)
    data.write_text("cut")
    with pytest.raises(UnreadableFile, match="became shorter"):
        [chunk async for chunk in body.chunks()]
