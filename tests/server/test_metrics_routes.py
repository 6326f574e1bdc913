"""`GET /train/metrics/{id}`: a run's whole history, from its first step, kept across restarts (real server)."""

from __future__ import annotations

import httpx

from tests.conftest import (
    ENDLESS_PARAMS,
    api_client,
    eventually,
    open_socket,
    receive_until,
    send_json,
    start_run,
    wait_for_status,
)

FIELDS = {"step", "elapsed_s", "loss", "eval_loss", "samples_per_s", "learning_rate"}


async def metrics(client: httpx.AsyncClient, train_id: str, **query: object) -> httpx.Response:
    return await client.get(f"/train/metrics/{train_id}", params=query)


async def test_a_finished_run_is_served_from_its_first_step_to_its_last_with_its_evaluations(http, server) -> None:
    train_id = await start_run(http, max_steps=1500, batch_size=32, learning_rate=0.004)
    await wait_for_status(http, train_id, {"completed"})
    reply = await metrics(http, train_id)
    assert reply.status_code == 200
    body = reply.json()
    assert (body["train_id"], body["downsampled"]) == (train_id, False)
    points = body["points"]
    assert all(set(point) == FIELDS for point in points)
    steps = [point["step"] for point in points]
    assert (steps[0], steps[-1]) == (1, 1500) and steps == sorted(set(steps))
    assert [point["step"] for point in points if point["eval_loss"] is not None] == list(range(150, 1501, 150))
    assert all(isinstance(point["loss"], float) for point in points)
    elapsed = [point["elapsed_s"] for point in points]
    assert elapsed == sorted(elapsed)
    assert {point["learning_rate"] for point in points} == {0.004}
    assert all(point["samples_per_s"] > 0 for point in points)

    after = (await metrics(http, train_id, after_step=750)).json()
    assert after["points"] == [point for point in points if point["step"] > 750]
    assert (await metrics(http, train_id, after_step=1500)).json()["points"] == []


async def test_an_update_carries_a_held_out_loss_at_the_steps_evaluated_only(http, server) -> None:
    async with open_socket(server.url) as socket:
        train_id = await start_run(http, max_steps=1500, batch_size=32)
        await send_json(socket, {"type": "subscribe_training", "train_id": train_id})
        frames = await receive_until(socket, lambda frame: frame.get("data", {}).get("status") == "completed")
    training = [frame["data"]["details"] for frame in frames if frame.get("data", {}).get("status") == "training"]
    assert training, "no training update"
    assert all(("eval_loss" in details) == (details["step"] % 150 == 0) for details in training)
    status = await wait_for_status(http, train_id, {"completed"})
    assert status["details"]["step"] == 1500 and status["details"]["eval_loss"] > 0  # the last step's evaluation


async def test_an_unknown_run_is_404_and_a_negative_step_is_refused(http, server, endless_run) -> None:
    reply = await metrics(http, "no-such-run")
    assert (reply.status_code, reply.json()) == (404, {"detail": "Training run not found"})
    train_id = await endless_run()
    assert (await metrics(http, train_id, after_step=-1)).status_code == 422


async def test_a_runs_history_is_kept_across_a_restart(start_server, tmp_path) -> None:
    data_dir = tmp_path / "restarting"
    server = start_server(data_dir)
    points: list[dict[str, object]] = []
    async with api_client(server.url) as client:
        train_id = await start_run(client, **ENDLESS_PARAMS)

        async def reported() -> bool:
            nonlocal points
            points = (await metrics(client, train_id)).json()["points"]
            return len(points) >= 3

        await eventually(reported, what="the endless run reports three steps")
    server.kill()

    restarted = start_server(data_dir)
    async with api_client(restarted.url) as client:
        await wait_for_status(client, train_id, {"failed"})  # it was in flight when the server died
        kept = (await metrics(client, train_id)).json()
    assert kept["points"][: len(points)] == points
    assert kept["points"][0]["step"] == 1
