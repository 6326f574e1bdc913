"""The reference server on a real, full disk: a small tmpfs, filled up. Mounting it needs root (as the
suite's machines run); elsewhere these are skipped, and tests/server/test_failures.py injects the same
failure at the database call that meets it."""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEADLINE_S, ENDLESS_PARAMS, api_client, start_run, wait_for_status

DISK_BYTES = 16 * 1024 * 1024
CHUNK = b"\0" * (256 * 1024)


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / "filler"

    def fill(self, leave: int = 0) -> None:
        """Write until the disk is full, then give `leave` bytes back."""
        with self._filler.open("ab") as filler:
            try:
                while True:
                    filler.write(CHUNK)
                    filler.flush()
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
            written = filler.tell()
        os.truncate(self._filler, max(0, written - leave))

    def free(self) -> None:
        self._filler.unlink()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(mount_point)
    finally:
        # Lazily: a server that outlived its test must not make the unmount fail.
        subprocess.run(["umount", "--lazy", str(mount_point)], check=False)


async def test_a_start_on_a_full_disk_is_refused_in_words_and_leaves_nothing_behind(small_disk, start_server):
    data_dir = small_disk.path / "data"
    server = start_server(data_dir, max_concurrent=1)
    async with api_client(server.url) as client:
        small_disk.fill()
        body = {"base_model": "tiny", "dataset_ids": ["builtin-arithmetic"], "params": ENDLESS_PARAMS}
        refused = await client.post("/train/start", json=body)
        assert refused.status_code == 503, refused.text
        assert "could not record the run: database or disk is full" in refused.json()["detail"]
        assert (await client.get("/train/active")).json()["count"] == 0

        small_disk.free()
        train_id = await start_run(client, **ENDLESS_PARAMS)
        assert (await client.get(f"/train/status/{train_id}")).json()["status"] != "queued"  # the slot is free
    began = time.monotonic()
    server.stop(timeout=DEADLINE_S)  # SIGTERM, and SIGKILL only after the deadline
    assert time.monotonic() - began < DEADLINE_S / 2
    restarted = start_server(data_dir)  # the lock was let go
    async with api_client(restarted.url) as client:
        assert (await client.get(f"/train/status/{train_id}")).json()["status"] == "failed"


async def test_a_disk_that_fills_while_a_run_trains_ends_the_run_failed_with_the_reason(small_disk, start_server):
    server = start_server(small_disk.path / "data")
    async with api_client(server.url) as client:
        train_id = await start_run(client, **ENDLESS_PARAMS)
        await wait_for_status(client, train_id, {"training"})
        small_disk.fill()
        body = await wait_for_status(client, train_id, {"failed", "completed", "stopped"})
        assert body["status"] == "failed"
        assert "full" in body["error"] or "No space left" in body["error"], body["error"]
        assert train_id not in (await client.get("/train/active")).json()["active_trainings"]
        stop = await client.post(f"/train/stop/{train_id}")
        assert stop.status_code == 409 and stop.json()["detail"] == "Training run already ended: failed"


async def test_an_upload_cut_short_by_a_full_disk_leaves_no_partial_file(small_disk, start_server):
    server = start_server(small_disk.path / "data")
    datasets = server.data_dir / "datasets"
    before = sorted(datasets.iterdir())
    async with api_client(server.url) as client:
        small_disk.fill(leave=16 * 1024)
        payload = b"".join(b'{"instruction": "Say %d.", "output": "%d"}\n' % (n, n) for n in range(4_000))
        reply = await client.post("/dataset/ingest-single", files={"file": ("big.jsonl", payload)})
        assert reply.status_code == 503, reply.text
        assert reply.json()["detail"] == "The server could not store or read its data: No space left on device"
        assert sorted(datasets.iterdir()) == before
        small_disk.free()
        assert (await client.get("/health")).status_code == 200
