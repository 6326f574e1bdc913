"""What the benchmark's two reference clients share: follow every active run of a backend, as the protocol
asks (list, subscribe, read each status), and one line of text per run. Not tf-tui's code on purpose:
the reference clients are what a person would write in an afternoon."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import connect

Update = Callable[[str, dict[str, Any]], None]


def row_text(train_id: str, data: dict[str, Any]) -> str:
    """`00000001  training     37%  37/100  0.1053`."""
    details = data.get("details") or {}
    step, total, loss = details.get("step"), details.get("total_steps"), details.get("loss")
    steps = f"{step}/{total}" if step is not None else ""
    loss_text = f"{loss:.4f}" if isinstance(loss, float) else ""
    return f"{train_id[:8]}  {data.get('status', '?'):<12} {data.get('progress', 0):>3}%  {steps:>8}  {loss_text}"


async def follow(url: str, on_listed: Callable[[list[str]], None], on_update: Update) -> None:
    """List the runs, subscribe to each, read each one's status, then pass every update on, forever."""
    async with httpx.AsyncClient(base_url=url) as http:
        listed = (await http.get("/train/active")).json()["active_trainings"]
        on_listed(listed)
        async with connect(url.replace("http", "ws", 1) + "/ws", compression=None, max_queue=None) as socket:
            for train_id in listed:
                await socket.send(json.dumps({"type": "subscribe_training", "train_id": train_id}))
            statuses = await asyncio.gather(*(http.get(f"/train/status/{train_id}") for train_id in listed))
            for train_id, response in zip(listed, statuses, strict=True):
                on_update(train_id, response.json())
            async for message in socket:
                frame = json.loads(message)
                if frame.get("type") == "training_update":
                    on_update(frame["train_id"], frame["data"])
