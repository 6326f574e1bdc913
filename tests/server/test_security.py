"""The reference server against a hostile client: auth on every route, bounded input, ids that stay ids."""

from __future__ import annotations

import asyncio
import os
import re
import select
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import CloseCode

from tests.conftest import api_client, open_socket, receive_json, send_json, wait_for_status, ws_url
from tf_tui.server.app import MAX_REQUEST_BYTES, ServerSettings, create_app
from tf_tui.server.hub import MAX_CLIENT_FRAME_BYTES, MAX_SUBSCRIPTIONS, MAX_TRAIN_ID_CHARS

TOKEN = "route-guard-7d1e"
PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def route_table(tmp_path: Path) -> list[tuple[str, str]]:
    """Every (method, path) and ("WS", path) the app serves, read from the app itself, so a new route
    is checked the day it is added. A route of a kind this test does not know fails it."""
    app = create_app(ServerSettings(data_dir=tmp_path / "unused", token=TOKEN))
    table = []
    # Flattened: `app.routes` holds each included router as one entry, its routes inside.
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, PATH_PARAMETER.sub("some-id", context.path or "")
        if isinstance(route, APIRoute | Route):
            table += [(method, path) for method in sorted(context.methods or ())]
        elif isinstance(route, APIWebSocketRoute):
            table.append(("WS", path))
        else:
            pytest.fail(f"a route of an unknown kind: {route!r}; check that it needs the token")
    return table


async def test_every_route_but_health_needs_the_token(start_server, tmp_path):
    table = route_table(tmp_path)
    assert ("POST", "/dataset/ingest-single") in table and ("WS", "/ws") in table and ("GET", "/docs") in table
    server = start_server(token=TOKEN)
    async with (
        api_client(server.url) as anonymous,
        api_client(server.url, token=TOKEN + "x") as wrong,
        api_client(server.url, token=TOKEN) as right,
    ):
        for method, path in table:
            if method == "WS":
                for token in (None, TOKEN + "x"):
                    with pytest.raises(InvalidStatus) as refused:
                        async with open_socket(server.url, token=token):
                            pass
                    assert refused.value.response.status_code == 403
                async with open_socket(server.url, token=TOKEN) as socket:
                    await send_json(socket, {"type": "ping"})
                    assert (await receive_json(socket))["type"] == "pong"
                continue
            for client in (anonymous, wrong):
                reply = await client.request(method, path)
                expected = 200 if path == "/health" else 401
                assert reply.status_code == expected, (method, path, reply.status_code)
                if expected == 401:
                    assert reply.headers["www-authenticate"] == "Bearer"
            # The right token is let through: whatever the route answers, it is not a refusal.
            assert (await right.request(method, path)).status_code not in (401, 403), (method, path)
        # Refused before the body is read: malformed JSON gets 401, not 422.
        reply = await anonymous.post("/train/start", content=b"{not json", headers={"content-type": "application/json"})
        assert reply.status_code == 401
    assert TOKEN not in server.log_path.read_text()


async def test_the_bearer_scheme_is_case_insensitive_and_the_token_is_not(start_server):
    server = start_server(token=TOKEN)
    for scheme in ("bearer", "BEARER", "BeArEr"):
        headers = {"Authorization": f"{scheme} {TOKEN}"}
        async with api_client(server.url) as client:
            assert (await client.get("/train/active", headers=headers)).status_code == 200, scheme
            refused = await client.get("/train/active", headers={"Authorization": f"{scheme} {TOKEN.upper()}"})
            assert refused.status_code == 401
        async with connect(ws_url(server.url), proxy=None, additional_headers=headers, open_timeout=10) as socket:
            await send_json(socket, {"type": "ping"})
            assert (await receive_json(socket))["type"] == "pong"
    async with api_client(server.url) as client:
        for wrong in (f"Basic {TOKEN}", TOKEN, f"Bearer{TOKEN}", f"Token {TOKEN}"):
            assert (await client.get("/train/active", headers={"Authorization": wrong})).status_code == 401, wrong


async def test_a_chunked_upload_past_the_limit_is_refused_while_it_streams(server):
    # No Content-Length: the server can only count, and must stop reading at the limit.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        b"POST /dataset/ingest-single HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
    )
    chunk = b"a" * (1024 * 1024)
    part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'

    async def send_more_than_the_limit() -> None:
        # The body never ends: a server that waited for its end before judging its size would never answer.
        with pytest.raises(ConnectionError):  # the server hangs up once it has answered
            writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            for _ in range(3 * MAX_REQUEST_BYTES // len(chunk)):
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
            await asyncio.Event().wait()

    sending = asyncio.create_task(send_more_than_the_limit())
    status_line = await asyncio.wait_for(reader.readline(), 30)
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    async with api_client(server.url) as client:
        assert (await client.get("/health")).status_code == 200


async def test_a_frame_over_the_limit_closes_the_socket_with_1009(server):
    async with open_socket(server.url) as socket:
        await socket.send("x" * (MAX_CLIENT_FRAME_BYTES + 1))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CloseCode.MESSAGE_TOO_BIG
    async with open_socket(server.url) as socket:  # the server itself is fine
        await send_json(socket, {"type": "ping"})
        assert (await receive_json(socket))["type"] == "pong"


async def test_subscriptions_per_connection_are_bounded_and_answered_in_words(server):
    async with open_socket(server.url) as socket:
        for number in range(MAX_SUBSCRIPTIONS):
            await send_json(socket, {"type": "subscribe_training", "train_id": f"run-{number}"})
            assert (await receive_json(socket))["type"] == "subscription_confirmed"
        await send_json(socket, {"type": "subscribe_training", "train_id": "one-too-many"})
        refused = await receive_json(socket)
        assert refused["type"] == "error" and "Too many subscriptions" in refused["message"]
        await send_json(socket, {"type": "subscribe_training", "train_id": "run-0"})  # already held: fine
        assert (await receive_json(socket))["type"] == "subscription_confirmed"
        await send_json(socket, {"type": "unsubscribe_training", "train_id": "run-1"})
        await receive_json(socket)
        await send_json(socket, {"type": "subscribe_training", "train_id": "room-made"})
        assert (await receive_json(socket))["type"] == "subscription_confirmed"
        await send_json(socket, {"type": "subscribe_training", "train_id": "x" * (MAX_TRAIN_ID_CHARS + 1)})
        too_long = await receive_json(socket)
        assert too_long["type"] == "error" and f"at most {MAX_TRAIN_ID_CHARS} characters" in too_long["message"]


HOSTILE_IDS = [
    "../../../../etc/passwd",
    "/etc/passwd",
    "builtin-units/../builtin-units",
    "builtin-units\x00.jsonl",
    "..",
    "builtin-units' OR '1'='1",
    'x"; DROP TABLE runs; --',
]


async def test_hostile_ids_name_nothing(server, http):
    for hostile in HOSTILE_IDS:
        reply = await http.post("/train/start", json={"base_model": "tiny", "dataset_ids": [hostile]})
        assert reply.status_code == 422 and "unknown dataset" in reply.text, (hostile, reply.text)
        for method, route in (("GET", "/train/status/"), ("POST", "/train/stop/")):
            reply = await http.request(method, route + quote(hostile, safe=""))
            assert reply.status_code == 404, (hostile, method, reply.status_code)
    # The tables are whole and still answer.
    assert (await http.get("/dashboard")).status_code == 200
    assert {"builtin-units", "builtin-shell"} <= {
        item["id"] for item in (await http.get("/datasets/available")).json()["datasets"]
    }


async def test_hostile_upload_names_are_kept_as_text_and_files_stay_in_the_data_dir(server, http):
    outside = server.data_dir.parent
    before = {path for path in outside.rglob("*") if server.data_dir not in path.parents}
    hostile_name = "'); DROP TABLE datasets; --"
    reply = await http.post(
        "/dataset/ingest-single",
        files={"file": ("../../../../escaped.jsonl", b'{"instruction": "a", "output": "b"}\n')},
        data={"name": hostile_name},
    )
    assert reply.status_code == 200, reply.text
    dataset_id = reply.json()["dataset_id"]
    after = {path for path in outside.rglob("*") if server.data_dir not in path.parents}
    # Nothing new outside the data dir. What other tests left there may go meanwhile (a database a
    # collection closes takes its -wal and -shm files with it): a file gone is no escape.
    assert after - before == set()
    assert (server.data_dir / "datasets" / f"{dataset_id}.jsonl").is_file()
    listed = {item["id"]: item for item in (await http.get("/datasets/available")).json()["datasets"]}
    assert listed[dataset_id]["name"] == hostile_name


async def test_a_dataset_file_swapped_for_a_symlink_out_of_the_data_dir_is_refused(start_server, tmp_path):
    server = start_server()
    examples = "".join(f'{{"instruction": "say {n}", "output": "{n} {n} {n}"}}\n' for n in range(200)).encode()
    async with api_client(server.url) as client:
        reply = await client.post("/dataset/ingest-single", files={"file": ("d.jsonl", examples)})
        dataset_id = reply.json()["dataset_id"]
        stored = server.data_dir / "datasets" / f"{dataset_id}.jsonl"
        secret = tmp_path / "outside.jsonl"
        secret.write_bytes(examples)
        stored.unlink()
        stored.symlink_to(secret)
        reply = await client.post("/train/start", json={"base_model": "tiny", "dataset_ids": [dataset_id]})
        body = await wait_for_status(client, reply.json()["train_id"], {"failed", "completed"})
    assert body["status"] == "failed" and "leads outside" in body["error"]


def test_serve_binds_loopback_unless_told_otherwise(tmp_path):
    ready_read, ready_write = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "tf_tui", "serve", "--port", "0", "--data-dir", str(tmp_path),
         "--ready-fd", str(ready_write)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(ready_write,),
    )  # fmt: skip
    os.close(ready_write)
    try:
        assert select.select([ready_read], [], [], 60)[0], "the server did not start"
        port = int(os.read(ready_read, 64).decode())
        listening = listening_addresses(port)
    finally:
        os.close(ready_read)
        process.terminate()
        process.wait(10)
    assert listening == ["127.0.0.1"]


def listening_addresses(port: int) -> list[str]:
    """The local addresses of sockets listening on `port`, from the kernel's own tables."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, local_port = local.split(":")
            if state == "0A" and int(local_port, 16) == port:  # 0A: LISTEN
                found.append(
                    ".".join(str(b) for b in reversed(bytes.fromhex(address))) if len(address) == 8 else address
                )
    return found
