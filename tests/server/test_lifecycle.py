"""Stopping, queueing, restarts and auth: the reference server as a process, over real sockets."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.conftest import (
    DEADLINE_S,
    ENDLESS_PARAMS,
    api_client,
    eventually,
    open_socket,
    receive_until,
    send_json,
    start_run,
    trainer_processes,
    wait_for_status,
)
from tf_tui.base.exit_codes import ExitCode


async def test_stop_terminates_the_process_and_nothing_follows_stopped(server, http, endless_run):
    async with open_socket(server.url) as socket:
        train_id = await endless_run()
        await send_json(socket, {"type": "subscribe_training", "train_id": train_id})
        await receive_until(
            socket, lambda frame: frame.get("type") == "training_update" and frame["data"]["status"] == "training"
        )
        assert trainer_processes(train_id)

        reply = await http.post(f"/train/stop/{train_id}")
        assert reply.status_code == 200
        assert reply.json()["status"] == "stopped"
        assert trainer_processes(train_id) == []

        frames = await receive_until(
            socket, lambda frame: frame.get("type") == "training_update" and frame["data"]["status"] == "stopped"
        )
        assert frames[-1]["data"]["success"] is False
        await send_json(socket, {"type": "ping"})
        after = await receive_until(socket, lambda frame: frame["type"] == "pong")
        assert [frame for frame in after if frame["type"] == "training_update"] == []

    body = (await http.get(f"/train/status/{train_id}")).json()
    assert body["status"] == "stopped" and body["stopped_at"]
    assert train_id not in (await http.get("/train/active")).json()["active_trainings"]
    again = await http.post(f"/train/stop/{train_id}")
    assert again.status_code == 409 and "already ended: stopped" in again.json()["detail"]


async def test_stop_of_a_completed_run_is_409(http):
    train_id = await start_run(http)
    await wait_for_status(http, train_id, {"completed"})
    reply = await http.post(f"/train/stop/{train_id}")
    assert reply.status_code == 409 and "completed" in reply.json()["detail"]


async def test_runs_beyond_max_concurrent_wait_in_order(start_server):
    server = start_server(max_concurrent=1)
    async with api_client(server.url) as client:
        first = await start_run(client, **ENDLESS_PARAMS)
        second = await start_run(client)
        third = await start_run(client)
        for queued in (second, third):
            body = (await client.get(f"/train/status/{queued}")).json()
            assert body["status"] == "queued" and body["progress"] == 0
        assert (await client.get(f"/train/status/{third}")).json()["details"]["queue_position"] == 2
        fourth = await start_run(client)
        active = (await client.get("/train/active")).json()
        assert active == {"active_trainings": [first, second, third, fourth], "count": 4}
        assert trainer_processes(second) == []

        # A queued run can be stopped without ever starting, and those behind it move up.
        assert (await client.post(f"/train/stop/{third}")).json()["status"] == "stopped"
        assert (await client.get(f"/train/status/{fourth}")).json()["details"]["queue_position"] == 2
        await client.post(f"/train/stop/{first}")
        body = await wait_for_status(client, second, {"completed", "failed"})
        assert body["status"] == "completed"
        assert (await client.get(f"/train/status/{third}")).json()["started_at"] is None


async def test_status_survives_a_restart_and_in_flight_runs_are_failed(start_server, tmp_path):
    data_dir = tmp_path / "restarting"
    server = start_server(data_dir)
    async with api_client(server.url) as client:
        finished = await start_run(client)
        before = await wait_for_status(client, finished, {"completed"})
        in_flight = await start_run(client, **ENDLESS_PARAMS)
        await wait_for_status(client, in_flight, {"training"})
        uploaded = (
            await client.post("/dataset/ingest-single", files={"file": ("kept.txt", b"Kept across restarts.")})
        ).json()["dataset_id"]
    server.kill()

    restarted = start_server(data_dir)
    async with api_client(restarted.url) as client:
        after = (await client.get(f"/train/status/{finished}")).json()
        assert after == before  # same shape, progress and result included

        failed = (await client.get(f"/train/status/{in_flight}")).json()
        assert failed["status"] == "failed"
        assert "server stopped while this run was training" in failed["error"]
        assert set(failed) >= {"status", "progress", "started_at", "completed_at", "error"}

        datasets = {dataset["id"] for dataset in (await client.get("/datasets/available")).json()["datasets"]}
        assert uploaded in datasets
        assert (await client.get("/train/active")).json() == {"active_trainings": [], "count": 0}

    async def orphan_gone() -> bool:
        return trainer_processes(in_flight) == []

    await eventually(orphan_gone, what="the killed server's trainer exits")


async def test_graceful_shutdown_ends_runs_and_says_why(start_server, tmp_path):
    data_dir = tmp_path / "graceful"
    server = start_server(data_dir)
    async with api_client(server.url) as client:
        train_id = await start_run(client, **ENDLESS_PARAMS)
        await wait_for_status(client, train_id, {"training"})
    server.stop()
    assert trainer_processes(train_id) == []
    restarted = start_server(data_dir)
    async with api_client(restarted.url) as client:
        body = (await client.get(f"/train/status/{train_id}")).json()
    assert body["status"] == "failed" and "shut down" in body["error"]


def test_a_data_dir_that_cannot_be_made_is_said_so_and_a_busy_port_too(start_server, tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    cannot_make = serve_once("--data-dir", str(not_a_folder / "data"), "--port", "0")
    assert cannot_make.returncode == ExitCode.FAILED
    assert cannot_make.stderr.strip() == (
        f"tf-tui serve: cannot use the data directory {not_a_folder / 'data'}: Not a directory"
    )
    busy = start_server()
    taken = serve_once("--data-dir", str(tmp_path / "second"), "--port", str(busy.port))
    assert taken.returncode == ExitCode.FAILED
    assert taken.stderr.strip() == f"tf-tui serve: cannot listen on 127.0.0.1:{busy.port}: Address already in use"


def serve_once(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tf_tui", "serve", "--host", "127.0.0.1", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, check=False)


async def test_a_dead_server_is_a_connection_error(start_server):
    server = start_server()
    url = server.url
    server.kill()
    async with api_client(url) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/health")


async def test_a_run_that_cannot_train_fails_with_a_failure_frame(http, server):
    tiny = (await http.post("/dataset/ingest-single", files={"file": ("short.txt", b"Too short.")})).json()
    async with open_socket(server.url) as socket:
        reply = await http.post("/train/start", json={"base_model": "tiny", "dataset_ids": [tiny["dataset_id"]]})
        train_id = reply.json()["train_id"]
        await send_json(socket, {"type": "subscribe_training", "train_id": train_id})
        body = await wait_for_status(http, train_id, {"failed", "completed"})
    assert body["status"] == "failed" and "too few to train on" in body["error"]
    assert trainer_processes(train_id) == []
