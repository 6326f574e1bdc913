"""Ten backends of twenty runs each, one of them answering no HTTP call until the test lets it: the
nine others' runs are all read and streamed meanwhile. The backends are ten gates (tests/proxy.py) in
front of one real reference server, so the same twenty runs are ten backends' runs; the gate is there
only for the slowness."""

from __future__ import annotations

import asyncio
import contextlib

from tests.conftest import ENDLESS_PARAMS, FAST_BACKOFF, api_client, client_settings, start_run, until, wait_for_status
from tests.proxy import socket_gate
from tf_tui.core.fleet import Fleet, RunKey
from tf_tui.core.session import Session
from tf_tui.core.store import Source

BACKENDS = 10
RUNS = 20


async def test_a_backend_whose_http_never_answers_delays_none_of_nine_others(start_server, tmp_path):
    real = start_server(max_concurrent=2)  # two runs train, eighteen wait queued: cheap, and never end
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(api_client(real.url))
        ids = [await start_run(http, **ENDLESS_PARAMS) for _ in range(RUNS)]
        for train_id in ids[:2]:  # the two that train: read as training by every backend from the start
            await wait_for_status(http, train_id, {"training"})
        gates = [await stack.enter_async_context(socket_gate(real.port)) for _ in range(BACKENDS)]
        slow = gates[-1]
        slow.hold_http = asyncio.Event()
        names = [f"box{number}" for number in range(BACKENDS)]
        fleet = Fleet(
            {
                name: Session(client_settings(gate.url, tmp_path / name), backoff=FAST_BACKOFF)
                for name, gate in zip(names, gates, strict=True)
            }
        )
        stack.push_async_callback(fleet.close)
        await fleet.open()
        await fleet.watch([RunKey(name, train_id) for name in names for train_id in ids])
        fast = [RunKey(name, train_id) for name in names[:-1] for train_id in ids]

        await until(lambda: all(fleet.get(key).status is not None for key in fast), what="the nine's runs read")
        training = [key for key in fast if key.train_id in ids[:2]]
        assert all(fleet.get(key).status == "training" for key in training)
        await until(
            lambda: all(
                fleet.get(key).step is not None and fleet.get(key).last_source is Source.WS for key in training
            ),
            what="the nine's training runs stream their steps",
        )
        # All the while the slow backend had every one of its status reads held at its gate.
        assert slow.held_http > 0
        queued_on_slow = [RunKey(names[-1], train_id) for train_id in ids[2:]]
        assert any(fleet.get(key).status is None for key in queued_on_slow)

        slow.hold_http.set()
        await until(
            lambda: all(fleet.get(RunKey(names[-1], train_id)).status is not None for train_id in ids),
            what="the slow backend's runs read once it answers",
        )
        for train_id in reversed(ids):  # the queued first: stopping a training run would start the next
            await http.post(f"/train/stop/{train_id}")
