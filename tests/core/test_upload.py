"""An upload through `tf_tui.core.datasets.upload` against the real reference server: cancelled half-way, it
leaves nothing on the server, neither a dataset nor a file."""

from __future__ import annotations

import asyncio

import pytest

from tf_tui.client.api import TalentFactoryApi
from tf_tui.core.datasets import upload

CANCEL_AFTER_BYTES = 1_000_000


async def test_an_upload_cancelled_half_way_leaves_nothing_on_the_server(start_server, tmp_path):
    server = start_server()  # its own data dir: only this test's files are in it
    data = tmp_path / "notes.txt"
    data.write_text("A passage of text to train on.\n\n" * 250_000)  # 8 MB, under the 10 MB limit
    api = TalentFactoryApi(server.url, trust_env=False)
    try:
        before = await api.datasets()
        files_before = sorted((server.data_dir / "datasets").iterdir())
        uploading = asyncio.current_task()
        assert uploading is not None
        sent_when_cancelled: list[int] = []

        def cancel_half_way(sent: int, total: int) -> None:
            if sent > CANCEL_AFTER_BYTES and not sent_when_cancelled:
                sent_when_cancelled.append(sent)
                uploading.cancel()

        with pytest.raises(asyncio.CancelledError):
            await upload(api, [data], None, cancel_half_way)
        uploading.uncancel()
        assert sent_when_cancelled and sent_when_cancelled[0] < data.stat().st_size
        # A body cut short never reaches the route (the form is read whole first), so nothing comes later either.
        assert await api.datasets() == before
        assert sorted((server.data_dir / "datasets").iterdir()) == files_before
    finally:
        await api.aclose()
