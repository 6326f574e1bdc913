"""The benchmark's load server (bench/loadserver.py) speaks the protocol: a real Session follows its runs
over the socket alone, and its socket answers as shared/PROTOCOL.md says. Keeps `make bench` from rotting
unseen, since the benchmark itself is not part of `make test`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from websockets.exceptions import ConnectionClosed

from bench.growing_log import LINE_BYTES, line
from bench.loadserver import LoadServer, Plan, serve_instances
from tests.conftest import ListingCounter, api_client, open_socket, receive_json, send_json, until
from tf_tui.base.capabilities import Capabilities
from tf_tui.client.api import TalentFactoryApi
from tf_tui.core.fleet import Fleet, RunKey
from tf_tui.core.history import StoredHistory
from tf_tui.core.log_reader import LogReader

STEPS = 5


@pytest.fixture
async def backend() -> AsyncIterator[LoadServer]:
    server = LoadServer(Plan(runs=3, rate=200, total_steps=STEPS, complete=True))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_a_session_follows_every_run_to_its_end_over_the_socket_alone(backend: LoadServer, make_session):
    async with make_session(backend.url) as session:
        listed = await session.refresh_listing(watch_active=True)
        assert sorted(listed) == sorted(backend.runs)
        await until(lambda: len(backend.status_reads) >= len(listed), what="the first status reads")
        steps_seen: dict[str, list[int]] = {train_id: [] for train_id in listed}
        original = session.on_change

        def record() -> None:
            for train_id, run in session.store.runs.items():
                if run.step is not None and (not steps_seen[train_id] or steps_seen[train_id][-1] != run.step):
                    steps_seen[train_id].append(run.step)
            original()

        session.on_change = record
        backend.go()
        await until(lambda: all(session.store.runs[train_id].ended for train_id in listed), what="every run's end")

    assert {session.store.runs[train_id].status for train_id in listed} == {"completed"}
    assert all(steps == sorted(steps) and steps[-1] == STEPS for steps in steps_seen.values()), steps_seen
    assert session.counters["status_reads.poll"] == 0
    assert all(len(run.sent_at) == STEPS for run in backend.runs.values())  # a send time for every step


async def test_the_socket_answers_as_the_protocol_says(backend: LoadServer):
    async with open_socket(backend.url) as socket:
        await send_json(socket, {"type": "subscribe_training", "train_id": "never-heard-of"})
        assert await receive_json(socket) == {
            "type": "subscription_confirmed",
            "train_id": "never-heard-of",
            "status": "subscribed",
        }
        await send_json(socket, {"type": "unsubscribe_training", "train_id": "never-heard-of"})
        assert (await receive_json(socket))["status"] == "unsubscribed"
        await send_json(socket, {"type": "ping"})
        assert (await receive_json(socket))["type"] == "pong"
        await send_json(socket, {"type": "dance"})
        assert await receive_json(socket) == {"type": "error", "message": "Unknown message type: dance"}
        await socket.send("not json")
        with pytest.raises(ConnectionClosed):
            await receive_json(socket)


async def test_status_reads_are_counted_and_unknown_runs_are_404(backend: LoadServer):
    train_id = next(iter(backend.runs))
    async with api_client(backend.url) as http:
        body = (await http.get(f"/train/status/{train_id}")).json()
        missing = await http.get("/train/status/nope")
        listing = (await http.get("/dashboard")).json()
    assert (body["status"], body["progress"]) == ("training", 0)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Training run not found"})
    assert {entry["id"] for entry in listing["recent_runs"]} == set(backend.runs)
    assert len(backend.status_reads) == 2


async def test_runs_that_ended_before_the_listing_are_listed_first_read_completed_and_never_streamed():
    """As the deployed backend lists every run since it started: the bench's ten thousand runs."""
    server = LoadServer(Plan(runs=2, rate=200, total_steps=STEPS, ended=3))
    await server.start()
    try:
        ended, going = list(server.runs)[:3], list(server.runs)[3:]
        async with api_client(server.url) as http:
            listed = (await http.get("/train/active")).json()["active_trainings"]
            body = (await http.get(f"/train/status/{ended[0]}")).json()
            recent = (await http.get("/dashboard")).json()["recent_runs"]
        async with open_socket(server.url) as socket:
            for train_id in server.runs:
                await send_json(socket, {"type": "subscribe_training", "train_id": train_id})
                await receive_json(socket)
            server.go()
            updated = [(await receive_json(socket))["train_id"] for _ in range(2 * STEPS)]
    finally:
        await server.stop()
    assert listed == [*ended, *going]
    assert (body["status"], body["progress"]) == ("completed", 100)
    assert {entry["id"]: entry["status"] for entry in recent}[ended[-1]] == "completed"
    assert set(updated) == set(going)


async def test_every_client_request_is_counted_with_its_path_and_the_machine_reads_as_deployed(backend: LoadServer):
    async with api_client(backend.url) as http:
        machine = (await http.get("/env/check")).json()
        await http.get("/train/active")
        await http.get("/_bench/stats")  # the harness's own: not a client's
    assert [path for _, path in backend.requests] == ["/env/check", "/train/active"]
    assert "live" not in machine and machine["cpu_cores"] == 2


async def test_several_instances_serve_distinct_runs_on_distinct_ports():
    servers = await serve_instances([Plan(runs=2, rate=0), Plan(runs=2, rate=0)], go=False)
    try:
        ports = {server.port for server in servers}
        assert len(ports) == 2
        assert not set(servers[0].runs) & set(servers[1].runs)
        assert len({train_id[:8] for server in servers for train_id in server.runs}) == 4  # as screens show them
    finally:
        for server in servers:
            await server.stop()


async def test_watching_three_hundred_runs_reads_every_status_and_none_fails(make_session):
    many = LoadServer(Plan(runs=300, rate=0))
    await many.start()
    try:
        async with make_session(many.url) as session:
            await session.watch(list(many.runs))
            await until(
                lambda: all(session.store.runs[train_id].status == "training" for train_id in many.runs),
                what="every run's status read",
            )
            # A run's second read (the socket opened after its subscription) may still be on its way.
            await until(
                lambda: len(many.status_reads) == session.counters["status_reads.resync"],
                what="every read the session made answered",
            )
            failures = [entry.text for entry in session.events.entries if "failed" in entry.text]
    finally:
        await many.stop()
    assert failures == []
    # Each run is read once when watched, and again if the socket opened after its subscription.
    assert len(many.status_reads) >= 300


async def test_locating_many_runs_on_one_backend_lists_its_runs_once(make_session):
    many = LoadServer(Plan(runs=50, rate=0))
    await many.start()
    try:
        session = make_session(many.url)
        session.api = counter = ListingCounter(session.api)
        fleet = Fleet({"only": session})
        keys = await fleet.locate_all(
            [train_id[:-1] if number == 0 else train_id for number, train_id in enumerate(many.runs)]
        )
        await session.close()
    finally:
        await many.stop()
    assert keys == [RunKey("only", train_id) for train_id in many.runs]
    assert counter.listings == 2  # `/train/active` and `/dashboard`, once for all fifty


async def test_a_stored_history_is_served_as_the_reference_server_serves_one_or_no_route_without():
    with_history = LoadServer(Plan(runs=2, rate=0, history_points=250))
    without = LoadServer(Plan(runs=2, rate=0))
    for server in (with_history, without):
        await server.start()
    try:
        run = next(iter(with_history.runs))
        async with api_client(with_history.url) as http:
            body = (await http.get(f"/train/metrics/{run}")).json()
        stored = StoredHistory.from_json(body)
        assert body["train_id"] == run and stored is not None and not stored.downsampled
        assert [point.step for point in stored.points] == list(range(1, 251))
        assert [point.step for point in stored.points if point.eval_loss is not None] == [100, 200]
        async with api_client(without.url) as http:
            assert (await http.get(f"/train/metrics/{run}")).json() == {"detail": "Not Found"}  # no such route
    finally:
        for server in (with_history, without):
            await server.stop()


async def test_a_growing_log_reads_through_tf_tuis_reader_in_order_with_no_line_lost():
    server = LoadServer(Plan(runs=1, rate=0, log_rate=20_000))
    await server.start()
    api = TalentFactoryApi(server.url)
    try:
        server.go()
        await until(lambda: server.log.lines() >= 3000, what="3,000 lines of log")
        written = server.log.stop()
        reader = LogReader(api, next(iter(server.runs)), Capabilities())
        lines: list[str] = []
        while len(lines) < written:  # replies of 64 KiB, cut inside lines
            lines += await reader.read()
        assert lines == [line(number).removesuffix("\n") for number in range(written)]
        assert reader.offset == written * LINE_BYTES and not reader.more
    finally:
        await api.aclose()
        await server.stop()


async def test_the_stream_goes_on_from_the_end_of_the_stored_history_as_a_live_runs_does():
    server = LoadServer(Plan(runs=1, rate=200, total_steps=STEPS, history_points=250))
    await server.start()
    try:
        run = next(iter(server.runs))
        async with api_client(server.url) as http:
            stored = StoredHistory.from_json((await http.get(f"/train/metrics/{run}")).json())
        async with open_socket(server.url) as socket:
            await send_json(socket, {"type": "subscribe_training", "train_id": run})
            assert (await receive_json(socket))["status"] == "subscribed"
            server.go()
            first = (await receive_json(socket))["data"]
    finally:
        await server.stop()
    assert stored is not None and stored.points[-1].step == 250
    assert (first["details"]["step"], first["details"]["total_steps"]) == (251, 250 + STEPS)
    assert first["progress"] == 100 // STEPS  # the harness reads a frame's number from its percentage
    assert first["details"]["loss"] < stored.points[-1].loss  # on the same falling curve
