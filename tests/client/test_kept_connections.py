"""Kept-alive connections the backend dropped without a word: the deployed backend does so after its stop's
500, and the status read that followed failed in 3 of 6 tries while the server was healthy.

A read (GET) that meets such a connection is made once more, on a new one; after a 5xx no request goes
over the connection that carried it; a request that changes something is never sent twice.
"""

from __future__ import annotations

import pytest

from tests.dropping_proxy import Drop
from tests.scripted_backend import running_backend
from tf_tui.client.api import BackendUnreachable, HttpError, TalentFactoryApi


@pytest.fixture
async def backend():
    async with running_backend() as scripted:
        scripted.status_bodies["run-1"] = {"status": "training", "progress": 40}
        yield scripted


@pytest.fixture
async def api(backend):
    client = TalentFactoryApi(backend.url, trust_env=False)
    yield client
    await client.aclose()


@pytest.mark.parametrize("drop", list(Drop), ids=lambda drop: drop.value)
async def test_a_read_that_meets_a_dropped_connection_is_made_again_on_a_new_one(backend, api, drop):
    backend.proxy.drop = drop
    assert (await api.status("run-1"))["progress"] == 40  # the connection is kept for the next request
    backend.proxy.kill_kept_connections()
    assert (await api.status("run-1"))["progress"] == 40
    assert [line.split(b" HTTP/")[0] for line in backend.proxy.dropped] == [b"GET /train/status/run-1"]
    assert backend.status_reads == ["run-1", "run-1"]  # the dropped one never reached the server


async def test_after_the_stops_500_nothing_goes_over_that_connection(backend, api):
    with pytest.raises(HttpError) as failed:
        await api.stop("run-1")
    assert failed.value.status_code == 500
    # A start is never sent twice: had it gone over the dead connection, it would have failed.
    started = await api.start("tiny", ["d"], {}, "balanced")
    assert started["status"] == "started" and len(backend.started) == 1
    assert (await api.status("run-1"))["status"] == "stopped"
    assert backend.proxy.dropped == []


async def test_a_request_that_changes_something_is_not_sent_again(backend, api):
    await api.status("run-1")
    backend.proxy.kill_kept_connections()
    with pytest.raises(BackendUnreachable, match="broke before the answer"):
        await api.start("tiny", ["d"], {}, "balanced")
    assert backend.started == [] and len(backend.proxy.dropped) == 1
    assert (await api.status("run-1"))["progress"] == 40  # the client goes on, on a new connection
