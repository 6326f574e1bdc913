"""Every HTTP route of the reference server, over real sockets, with good and bad input."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3

from tests.conftest import DEADLINE_S, start_run, wait_for_status
from tf_tui.common.server_address import read_address
from tf_tui.server.catalog import MODEL_SIZES, VOCABULARY_SIZE
from tf_tui.server.datasets import MAX_UPLOAD_BYTES


async def test_health(http, server):
    reply = await http.get("/health")
    assert reply.status_code == 200
    # The contract's fields, the instance id by which a launcher knows its own server, and the upload limit.
    instance = read_address(server.data_dir).instance
    assert reply.json() == {
        "status": "healthy",
        "service": "Talent Factory",
        "instance": instance,
        "max_upload_bytes": MAX_UPLOAD_BYTES,
    }


async def test_models_list_gives_real_parameter_counts(http):
    models = {model["id"]: model for model in (await http.get("/models/list")).json()["models"]}
    assert set(models) == {"tiny", "small", "base"}
    for model in models.values():
        assert {"id", "name", "size_gb", "min_vram_gb", "description", "category", "backend"} <= set(model)
    tiny = MODEL_SIZES["tiny"]
    hand_count = (
        VOCABULARY_SIZE * tiny.embedding
        + tiny.context * tiny.embedding * tiny.hidden
        + tiny.hidden
        + tiny.hidden * VOCABULARY_SIZE
        + VOCABULARY_SIZE
    )
    assert models["tiny"]["parameters"] == hand_count
    assert models["tiny"]["parameters"] < models["small"]["parameters"] < models["base"]["parameters"]


async def test_builtin_datasets_are_listed(http):
    body = (await http.get("/datasets/available")).json()
    builtins = {dataset["id"]: dataset for dataset in body["datasets"] if dataset["source"] == "builtin"}
    assert set(builtins) == {"builtin-arithmetic", "builtin-units", "builtin-shell"}
    assert body["count"] == len(body["datasets"])
    for dataset in builtins.values():
        assert dataset["rows"] > 0
        assert {"id", "name", "source", "rows", "pii_masked", "created_at"} <= set(dataset)


async def test_ingest_json_list_jsonl_and_text(http):
    examples = [{"instruction": "Say hi.", "input": "", "output": "hi"}, {"instruction": "Count.", "output": "1 2 3"}]
    uploads = {
        "list.json": json.dumps(examples).encode(),
        "lines.jsonl": "\n".join(json.dumps(example) for example in examples).encode(),
        "notes.txt": b"First passage.\nStill first.\n\nSecond passage.\n\n\nThird.",
    }
    rows = {}
    for filename, payload in uploads.items():
        reply = await http.post("/dataset/ingest-single", files={"file": (filename, payload)})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["status"] == "ingested" and body["filename"] == filename and body["has_pii"] is False
        rows[filename] = body["rows"]
        listed = (await http.get("/datasets/available")).json()["datasets"]
        assert body["dataset_id"] in {dataset["id"] for dataset in listed}
    assert rows == {"list.json": 2, "lines.jsonl": 2, "notes.txt": 3}


async def test_ingest_flags_personal_data(http):
    payload = json.dumps([{"instruction": "Contact", "output": "mail ada@example.org"}]).encode()
    reply = await http.post("/dataset/ingest-single", files={"file": ("contacts.json", payload)})
    assert reply.json()["has_pii"] is True


async def test_ingest_masks_personal_data_and_lists_it_as_masked(http, server):
    payload = json.dumps([{"instruction": "Contact", "output": "mail ada@example.org or call +44 20 7946 0958"}])
    reply = (await http.post("/dataset/ingest-single", files={"file": ("contacts.json", payload.encode())})).json()
    listed = {dataset["id"]: dataset for dataset in (await http.get("/datasets/available")).json()["datasets"]}
    assert listed[reply["dataset_id"]]["pii_masked"] is True
    stored = (server.data_dir / "datasets" / f"{reply['dataset_id']}.jsonl").read_text()
    assert "ada@example.org" not in stored and "7946" not in stored and "[EMAIL]" in stored and "[PHONE]" in stored


async def test_ingest_multiple_makes_one_dataset_in_the_deployed_shape(http):
    files = [
        ("files", ("a.jsonl", b'{"instruction": "One", "output": "1"}\n{"instruction": "Two", "output": "2"}\n')),
        ("files", ("b.txt", b"mail ada@example.org\n\nA second passage.\n\nA third.")),
    ]
    reply = await http.post("/dataset/ingest-multiple", files=files, data={"name": "both"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["filename"] == "Multi-file dataset (2 files)" and body["name"] == "both"
    assert body["status"] == "ingested" and body["rows"] == 5 and body["training_examples"] == 5
    assert body["has_pii"] is True
    assert [(each["filename"], each["rows"], each["has_pii"]) for each in body["processed_files"]] == [
        ("a.jsonl", 2, False),
        ("b.txt", 3, True),
    ]
    assert all(isinstance(each["mime_type"], str) for each in body["processed_files"])
    listed = (await http.get("/datasets/available")).json()["datasets"]
    assert body["dataset_id"] in {dataset["id"] for dataset in listed}


async def test_ingest_multiple_refuses_the_whole_upload_for_one_bad_file(http):
    before = (await http.get("/datasets/available")).json()["count"]
    files = [("files", ("good.txt", b"A passage.")), ("files", ("bad.json", b"[1, 2]"))]
    reply = await http.post("/dataset/ingest-multiple", files=files)
    assert reply.status_code == 422
    assert [(error["loc"], "bad.json" in error["msg"]) for error in reply.json()["detail"]] == [
        (["body", "files"], True)
    ]
    assert (await http.get("/datasets/available")).json()["count"] == before


async def test_ingested_dataset_trains(http):
    payload = "\n".join(json.dumps({"instruction": "Echo", "output": f"word {n}"}) for n in range(200)).encode()
    dataset_id = (await http.post("/dataset/ingest-single", files={"file": ("echo.jsonl", payload)})).json()[
        "dataset_id"
    ]
    reply = await http.post(
        "/train/start", json={"base_model": "tiny", "dataset_ids": [dataset_id], "params": {"max_steps": 50}}
    )
    body = await wait_for_status(http, reply.json()["train_id"], {"completed", "failed"})
    assert body["status"] == "completed", body


async def test_bad_uploads_get_clear_4xx(http):
    cases = {
        "empty.json": (b"", 422, "empty"),
        "broken.json": (b'[{"instruction": "x", ', 422, "invalid JSON"),
        "broken.jsonl": (b'{"instruction": "a", "output": "b"}\nnot json\n', 422, "line 2"),
        "numbers.json": (b"[1, 2, 3]", 422, "not an example"),
        "partial.json": (b'[{"instruction": "only"}]', 422, "no output"),
        "binary.bin": (b"\x00\x01\x02\xff\xfe", 422, "UTF-8"),
        "huge.txt": (b"a" * (MAX_UPLOAD_BYTES + 1), 413, "limit"),
    }
    for filename, (payload, status, words) in cases.items():
        reply = await http.post("/dataset/ingest-single", files={"file": (filename, payload)})
        assert reply.status_code == status, (filename, reply.text)
        detail = reply.json()["detail"]
        # A 422 is a list of field errors, as FastAPI's own; the 413 a sentence.
        said = (
            detail if status == 413 else " ".join(error["msg"] for error in detail if error["loc"] == ["body", "file"])
        )
        assert words in said, (filename, detail)


async def test_ingest_without_file_is_422(http):
    reply = await http.post("/dataset/ingest-single", data={"name": "nothing"})
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["body", "file"]


async def test_start_rejects_bad_bodies_with_fastapi_detail_lists(http):
    good = {"base_model": "tiny", "dataset_ids": ["builtin-arithmetic"]}
    cases = [
        ({"dataset_ids": ["builtin-arithmetic"]}, ["body", "base_model"], "Field required"),
        ({"base_model": "tiny"}, ["body", "dataset_ids"], "Field required"),
        ({**good, "base_model": "gpt-17"}, ["body", "base_model"], "unknown model 'gpt-17'"),
        ({**good, "dataset_ids": ["no-such-set"]}, ["body", "dataset_ids", 0], "unknown dataset"),
        ({**good, "dataset_ids": []}, ["body", "dataset_ids"], "at least 1"),
        ({**good, "outcome_preference": "fast"}, ["body", "outcome_preference"], "'speed'"),
        ({**good, "params": {"max_steps": 0}}, ["body", "params", "max_steps"], "greater than or equal"),
        ({**good, "params": {"learning_rate": -1}}, ["body", "params", "learning_rate"], "greater than"),
    ]
    for body, location, words in cases:
        reply = await http.post("/train/start", json=body)
        assert reply.status_code == 422, (body, reply.text)
        detail = reply.json()["detail"]
        assert isinstance(detail, list)
        assert detail[0]["loc"] == location, (body, detail)
        assert words in detail[0]["msg"], (body, detail)
    assert (
        await http.post("/train/start", content=b"{not json", headers={"content-type": "application/json"})
    ).status_code == 422


async def test_start_applies_outcome_defaults_and_explicit_params(http):
    async def params_of(outcome: str, **params: object) -> dict:
        reply = await http.post(
            "/train/start",
            json={
                "base_model": "tiny",
                "dataset_ids": ["builtin-shell"],
                "outcome_preference": outcome,
                "params": params,
            },
        )
        body = reply.json()
        assert body["status"] == "started" and body["message"]
        run = (await http.get(f"/train/status/{body['train_id']}")).json()
        await http.post(f"/train/stop/{body['train_id']}")
        return run["params"]

    speed, quality = await params_of("speed"), await params_of("quality")
    assert speed["max_steps"] < quality["max_steps"]
    explicit = await params_of("quality", max_steps=7, learning_rate=0.01, batch_size=8, seed=3)
    assert explicit == {"max_steps": 7, "learning_rate": 0.01, "batch_size": 8, "seed": 3}


async def test_status_and_stop_of_unknown_runs_are_404(http):
    status = await http.get("/train/status/not-a-run")
    assert status.status_code == 404 and status.json() == {"detail": "Training run not found"}
    stop = await http.post("/train/stop/not-a-run")
    assert stop.status_code == 404 and stop.json() == {"detail": "Training run not found or not active"}


async def test_completed_run_status_active_and_dashboard(http):
    train_id = await start_run(http)
    body = await wait_for_status(http, train_id, {"completed", "failed"})
    assert body["status"] == "completed"
    assert body["progress"] == 100
    assert body["completed_at"] and body["started_at"]
    result = body["result"]
    assert result["final_loss"] < result["baseline_loss"]
    assert result["duration_s"] > 0 and result["model_path"].endswith(f"{train_id}.npz")

    active = (await http.get("/train/active")).json()
    assert train_id not in active["active_trainings"] and active["count"] == len(active["active_trainings"])

    dashboard = (await http.get("/dashboard")).json()
    assert {"talent_count", "dataset_count", "recent_runs", "environment", "active_training"} <= set(dashboard)
    assert dashboard["talent_count"] >= 1
    recent = {run["id"]: run for run in dashboard["recent_runs"]}
    assert recent[train_id]["status"] == "completed" and recent[train_id]["base_model"] == "tiny"


async def test_env_check_reports_this_machine(http):
    body = (await http.get("/env/check")).json()
    # The contract's fields, and the live figures this server adds.
    assert set(body) == {"gpu_name", "vram_gb", "cpu_cores", "ram_gb", "ready", "live"}
    assert body["cpu_cores"] == os.cpu_count() and body["ready"] is True
    ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    assert abs(body["ram_gb"] - ram_gb) <= 0.1
    live = body["live"]
    assert 0 <= live["cpu_percent"] <= 100
    assert 0 < live["ram_used_gb"] <= body["ram_gb"]
    if body["gpu_name"] is None:  # nothing invented without a GPU
        assert body["vram_gb"] == 0 and set(live) == {"cpu_percent", "ram_used_gb"}
    else:
        assert body["vram_gb"] > 0 and 0 <= live["vram_used_gb"] <= body["vram_gb"]
    # The dashboard's environment keeps the deployed backend's shape.
    environment = (await http.get("/dashboard")).json()["environment"]
    assert set(environment) == {"gpu_name", "vram_gb", "cpu_cores", "ram_gb", "ready"}
    assert environment["cpu_cores"] == os.cpu_count()


async def test_a_declared_oversized_upload_is_refused_before_it_is_read(server):
    # Only the headers go out: the answer must come without the server waiting for the 11 MB body.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        b"POST /dataset/ingest-single HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\n" + f"Content-Length: {11 * 1024 * 1024}\r\n\r\n".encode()
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), DEADLINE_S)  # the body never comes
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")


def test_the_database_is_in_wal_mode(server):
    connection = sqlite3.connect(server.data_dir / "talent-factory.db")
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


async def test_models_list_says_what_each_parameter_left_out_will_be(http):
    models = {model["id"]: model for model in (await http.get("/models/list")).json()["models"]}
    tiny = models["tiny"]["default_params"]
    assert set(tiny) == {"speed", "balanced", "quality"}
    assert tiny["balanced"] == {"max_steps": 15000, "learning_rate": 0.003, "batch_size": 64, "seed": 0}
    assert tiny["speed"]["max_steps"] == 6000 and tiny["quality"]["max_steps"] == 30000
