"""Input the server cannot hold gets a 4xx and a sentence, never a 500: numbers past what a float or
SQLite's integer holds, lone surrogates, deep nesting, booleans for numbers; and the connection it came
on stays open, HTTP keep-alive and WebSocket alike."""

from __future__ import annotations

import httpx
from fastapi.routing import APIRoute, iter_route_contexts

from tests.conftest import SHORT_PARAMS, open_socket, receive_json, send_json, wait_for_status
from tf_tui.server.app import create_app
from tf_tui.server.json_input import MAX_DEPTH
from tf_tui.server.json_route import CheckedJsonRoute
from tf_tui.server.settings import ServerSettings

START = '{"base_model": "tiny", "dataset_ids": ["builtin-shell"], "params": {%s}}'
TWO_TO_THE_63 = 2**63

# (route, raw JSON body, words of the sentence that refuses it)
BAD_BODIES = [
    ("/train/start", START % '"learning_rate": NaN', "NaN is not a number"),
    ("/train/start", START % '"learning_rate": Infinity', "Infinity is not a number"),
    ("/train/start", START % '"learning_rate": -Infinity', "-Infinity is not a number"),
    ("/train/start", START % '"learning_rate": 1e400', "1e400 is out of range"),
    ("/train/start", START % f'"max_steps": {TWO_TO_THE_63}', "out of range"),
    ("/train/start", START % f'"seed": -{TWO_TO_THE_63 + 1}', "out of range"),
    ("/train/start", START % '"max_steps": true', "a number is needed, not true"),
    ("/train/start", START % '"batch_size": false', "a number is needed, not false"),
    ("/train/start", '{"base_model": "\\ud800", "dataset_ids": ["builtin-shell"]}', "lone surrogate"),
    ("/train/start", '{"base_model": "tiny", "dataset_ids": ["\\udfff"]}', "lone surrogate"),
    ("/train/start", "[" * 3000 + "]" * 3000, f"at most {MAX_DEPTH}"),
    ("/train/start", '{"base_model": "tiny", "dataset_ids": ' + "[" * 100 + "]" * 100 + "}", f"at most {MAX_DEPTH}"),
    ("/evaluate/run", '{"talent_id": "\\ud800"}', "lone surrogate"),
    ("/talents/publish", '{"id": "x", "name": "n", "metrics": {"loss": NaN}}', "NaN is not a number"),
    ("/talents/publish", '{"id": "x", "name": "\\udc00"}', "lone surrogate"),
    ("/mcp/talents/x/test", '{"test_input": "\\ud800"}', "lone surrogate"),
]
BAD_QUERIES = [
    ("/train/logs/some-run", {"offset": str(TWO_TO_THE_63)}, "less than or equal to"),
    ("/train/metrics/some-run", {"after_step": str(TWO_TO_THE_63)}, "less than or equal to"),
    ("/train/logs/some-run", {"offset": "nan"}, "valid integer"),
]


def messages(reply: httpx.Response) -> str:
    """A 422's field errors, each a sentence, as one text; the detail must be FastAPI's list."""
    detail = reply.json()["detail"]
    assert isinstance(detail, list) and all({"loc", "msg", "type"} <= set(error) for error in detail), detail
    return " ".join(error["msg"] for error in detail)


def local_port(reply: httpx.Response) -> int:
    return reply.extensions["network_stream"].get_extra_info("client_addr")[1]


def test_every_route_reads_its_json_body_through_the_checks(tmp_path):
    app = create_app(ServerSettings(data_dir=tmp_path / "unused"))
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    api_routes = [route for route in routes if isinstance(route, APIRoute)]
    assert len(api_routes) > 10
    assert [route.path for route in api_routes if not isinstance(route, CheckedJsonRoute)] == []


async def test_bad_bodies_and_queries_get_a_422_in_words_on_a_connection_that_stays_open(server):
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, limits=one_connection) as client:
        ports = {local_port(await client.get("/health"))}
        for route, body, words in BAD_BODIES:
            reply = await client.post(route, content=body.encode(), headers={"content-type": "application/json"})
            assert reply.status_code == 422, (route, body[:80], reply.status_code, reply.text[:300])
            assert words in messages(reply), (body[:80], reply.text[:300])
            ports.add(local_port(reply))
        for route, query, words in BAD_QUERIES:
            reply = await client.get(route, params=query)
            assert reply.status_code == 422 and words in messages(reply), (route, query, reply.text)
            ports.add(local_port(reply))
        not_utf8 = b'{"base_model": "\xff"}'
        reply = await client.post("/train/start", content=not_utf8, headers={"content-type": "application/json"})
        assert reply.status_code == 422 and "not UTF-8" in messages(reply)
        ports.add(local_port(reply))
        reply = await client.post("/train/start", content=not_utf8)  # no content type: not read as JSON at all
        assert reply.status_code == 422 and "valid dictionary" in messages(reply)
        ports.add(local_port(reply))
    assert len(ports) == 1  # every answer came on the first connection: none was dropped


async def test_a_log_offset_far_past_the_end_reads_nothing(http):
    train_id = (await http.post("/train/start", json={"base_model": "tiny", "dataset_ids": ["builtin-shell"]})).json()[
        "train_id"
    ]
    await http.post(f"/train/stop/{train_id}")
    reply = await http.get(f"/train/logs/{train_id}", params={"offset": TWO_TO_THE_63 - 1})
    assert reply.status_code == 200 and reply.content == b""
    assert reply.headers["x-next-offset"] == str(TWO_TO_THE_63 - 1)


async def test_datasets_nested_too_deep_or_holding_numbers_past_a_float_are_refused(http):
    cases = {
        "deep.json": ("[" * 5000 + "]" * 5000, f"at most {MAX_DEPTH}"),
        "deep.jsonl": ('{"instruction": "a", "output": ' + "[" * 5000 + "]" * 5000 + "}", f"at most {MAX_DEPTH}"),
        "nan.json": ('[{"instruction": "a", "output": NaN}]', "NaN is not a number"),
        "huge.jsonl": ('{"instruction": "a", "output": 1e999}', "out of range"),
        "surrogate.json": ('[{"instruction": "a", "output": "\\ud800"}]', "lone surrogate"),
    }
    for filename, (text, words) in cases.items():
        reply = await http.post("/dataset/ingest-single", files={"file": (filename, text.encode())})
        assert reply.status_code == 422, (filename, reply.status_code, reply.text[:300])
        assert filename in messages(reply) and words in messages(reply), (filename, reply.text[:300])


async def test_the_socket_answers_frames_it_cannot_use_and_stays_open(server):
    frames = {
        "[" * 2048: f"at most {MAX_DEPTH}",  # 2 KB of brackets
        "{" * 1024 + "}" * 1024: f"at most {MAX_DEPTH}",
        '{"type": "ping", "at": NaN}': "NaN is not a number",
        '{"type": "ping", "at": 1e400}': "out of range",
        f'{{"type": "subscribe_training", "train_id": "x", "n": {TWO_TO_THE_63}}}': "out of range",
        '{"type": "subscribe_training", "train_id": "\\ud800"}': "lone surrogate",
    }
    async with open_socket(server.url) as socket:
        for text, words in frames.items():
            await socket.send(text)
            reply = await receive_json(socket)
            assert reply["type"] == "error" and words in reply["message"], (text[:40], reply)
        await send_json(socket, {"type": "ping"})
        assert (await receive_json(socket))["type"] == "pong"


async def test_a_dataset_named_again_and_again_is_trained_on_once(http):
    reply = await http.post(
        "/train/start",
        json={"base_model": "tiny", "dataset_ids": ["builtin-shell", "builtin-units"] * 5_000, "params": SHORT_PARAMS},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["message"].endswith("on 2 dataset(s)")
    train_id = reply.json()["train_id"]
    body = await wait_for_status(http, train_id, {"completed", "failed"})
    assert body["dataset_ids"] == ["builtin-shell", "builtin-units"]
    log = (await http.get(f"/train/logs/{train_id}")).text
    assert "Reading 2 dataset(s)" in log  # the trainer was handed each dataset once
