"""The reference server's WebSocket: every message kind, bad input, and live training updates."""

from __future__ import annotations

from tests.conftest import open_socket, receive_json, receive_until, send_json, start_run, wait_for_status

# "queued" first: on the shared server a run waits there whenever its four slots are busy.
PHASES = ["queued", "starting", "preprocessing", "training", "evaluating", "completed"]


def updates_for(frames: list[dict], train_id: str) -> list[dict]:
    return [frame for frame in frames if frame["type"] == "training_update" and frame["train_id"] == train_id]


async def test_ping_subscribe_unsubscribe_and_unknown(server):
    async with open_socket(server.url) as socket:
        await send_json(socket, {"type": "ping"})
        pong = await receive_json(socket)
        assert pong["type"] == "pong" and pong["timestamp"]

        await send_json(socket, {"type": "subscribe_training", "train_id": "never-heard-of"})
        assert await receive_json(socket) == {
            "type": "subscription_confirmed",
            "train_id": "never-heard-of",
            "status": "subscribed",
        }
        await send_json(socket, {"type": "unsubscribe_training", "train_id": "never-subscribed"})
        assert await receive_json(socket) == {
            "type": "subscription_confirmed",
            "train_id": "never-subscribed",
            "status": "unsubscribed",
        }
        await send_json(socket, {"type": "launch_rockets"})
        assert await receive_json(socket) == {"type": "error", "message": "Unknown message type: launch_rockets"}
        await send_json(socket, {"no_type": True})
        assert await receive_json(socket) == {"type": "error", "message": "Unknown message type: None"}


async def test_bad_frames_get_error_frames_and_the_connection_survives(server):
    async with open_socket(server.url) as socket:
        bad_frames = {
            "{not json": "Invalid JSON",
            "[1, 2]": "JSON objects",
            '"just a string"': "JSON objects",
            '{"type": "subscribe_training"}': "needs a train_id",
            '{"type": "subscribe_training", "train_id": 42}': "needs a train_id",
        }
        for text, words in bad_frames.items():
            await socket.send(text)
            reply = await receive_json(socket)
            assert reply["type"] == "error" and words in reply["message"], (text, reply)
        await socket.send(b"\x00binary")
        assert "Binary frames" in (await receive_json(socket))["message"]
        await send_json(socket, {"type": "ping"})
        assert (await receive_json(socket))["type"] == "pong"


async def test_live_updates_arrive_in_order_and_the_loss_falls(server, http):
    async with open_socket(server.url) as socket, open_socket(server.url) as bystander:
        train_id = await start_run(http, max_steps=3000, batch_size=32)
        await send_json(socket, {"type": "subscribe_training", "train_id": train_id})
        frames = await receive_until(
            socket, lambda frame: frame.get("type") == "training_update" and frame["data"]["status"] == "completed"
        )
        assert {"type": "subscription_confirmed", "train_id": train_id, "status": "subscribed"} in frames
        updates = updates_for(frames, train_id)
        statuses = [update["data"]["status"] for update in updates]
        assert [PHASES.index(status) for status in statuses] == sorted(PHASES.index(s) for s in statuses)
        progress = [update["data"]["progress"] for update in updates]
        assert progress == sorted(progress) and progress[-1] == 100

        training = [update["data"]["details"] for update in updates if update["data"]["status"] == "training"]
        assert len(training) >= 3
        steps = [details["step"] for details in training]
        assert steps == sorted(steps) and steps[-1] == 3000
        assert {"step", "total_steps", "epoch", "loss", "samples_per_s", "eta_s", "message"} <= set(training[-1])
        assert training[-1]["loss"] < training[0]["loss"]

        completion = updates[-1]["data"]
        assert completion["success"] is True and "details" not in completion
        assert completion["result"]["final_loss"] < completion["result"]["baseline_loss"]

        # Every connection hears that the run ended; only subscribers hear the run's updates. Nothing was
        # published, so no connection hears of a talent: a ping's pong comes after all the server queued.
        heard = await receive_until(
            bystander, lambda frame: frame.get("type") == "system_update" and frame["data"]["event"] == "training_ended"
        )
        assert heard[-1]["data"]["train_id"] == train_id and heard[-1]["data"]["status"] == "completed"
        await send_json(bystander, {"type": "ping"})
        heard += await receive_until(bystander, lambda frame: frame["type"] == "pong")
        assert updates_for(heard, train_id) == []
        assert [frame for frame in heard if frame["type"] == "talent_event"] == []


async def test_no_updates_after_unsubscribe(server, http):
    async with open_socket(server.url) as socket:
        train_id = await start_run(http, max_steps=4000, batch_size=32)
        await send_json(socket, {"type": "subscribe_training", "train_id": train_id})
        await receive_until(socket, lambda frame: frame.get("type") == "training_update")
        await send_json(socket, {"type": "unsubscribe_training", "train_id": train_id})
        await receive_until(socket, lambda frame: frame.get("status") == "unsubscribed")
        await wait_for_status(http, train_id, {"completed"})
        # A ping's pong arrives after anything the server queued before it, so this sees all that came.
        await send_json(socket, {"type": "ping"})
        after = await receive_until(socket, lambda frame: frame["type"] == "pong")
        assert updates_for(after, train_id) == []
