"""What the server keeps is its user's alone: its files are private, and no token reaches its log."""

from __future__ import annotations

import stat

from tests.conftest import SHORT_PARAMS, api_client, open_socket, receive_json, send_json, start_run, wait_for_status
from tf_tui.common.server_address import ADDRESS_FILE

TOKEN = "log-secret-5f0c9e"


async def test_no_log_line_at_debug_level_holds_a_token(start_server):
    server = start_server(token=TOKEN, serve_args=["--log-level", "debug"])
    async with open_socket(server.url, token=TOKEN) as socket:
        await send_json(socket, {"type": "ping"})
        assert (await receive_json(socket))["type"] == "pong"
    async with api_client(server.url, token=TOKEN) as client:
        assert (await client.get("/train/active")).status_code == 200
        # A wrong token, and another shape of header, are as secret as the right one.
        wrong = await client.get("/train/active", headers={"Authorization": "bearer not-the-token-77"})
        assert wrong.status_code == 401
    server.stop()
    log = server.log_path.read_text()
    assert "authorization: Bearer ***" in log  # the handshake's headers are logged, masked
    assert TOKEN not in log and "not-the-token-77" not in log


async def test_the_data_dir_and_every_file_in_it_are_private(start_server, tmp_path):
    data_dir = tmp_path / "open-data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)  # whatever the umask
    earlier = data_dir / "notes.txt"
    earlier.write_text("from before")
    earlier.chmod(0o644)
    server = start_server(data_dir)
    async with api_client(server.url) as client:
        reply = await client.post("/dataset/ingest-single", files={"file": ("mine.txt", b"A private passage.\n" * 50)})
        assert reply.status_code == 200
        train_id = await start_run(client, **SHORT_PARAMS)
        assert (await wait_for_status(client, train_id, {"completed", "failed"}))["status"] == "completed"
    address_mode = stat.S_IMODE((data_dir / ADDRESS_FILE).stat().st_mode)  # removed when the server stops
    server.stop()
    start_server(data_dir).stop()  # already private: nothing to say the second time

    kept = [data_dir, *data_dir.rglob("*")]
    names = {path.relative_to(data_dir).as_posix() for path in kept}
    assert {"talent-factory.db", "server.lock", f"logs/{train_id}.log", f"models/{train_id}.npz"} <= names
    assert f"datasets/{reply.json()['dataset_id']}.jsonl" in names
    open_to_others = {path.relative_to(data_dir).as_posix(): oct(stat.S_IMODE(path.stat().st_mode)) for path in kept}
    assert {name: mode for name, mode in open_to_others.items() if int(mode, 8) & 0o077} == {}
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700 and address_mode == 0o600
    assert server.log_path.read_text().count("private to its user") == 1
