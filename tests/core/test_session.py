"""The streaming core against the real reference server: live updates, outages, restarts, persistence."""

from __future__ import annotations

import asyncio
import io
import json
import ssl
import subprocess

import pytest

from tests.conftest import (
    DEADLINE_S,
    ENDLESS_PARAMS,
    RecordingOutput,
    api_client,
    client_settings,
    local_stream,
    start_run,
    until,
)
from tests.proxy import socket_gate
from tf_tui.base.exit_codes import ExitCode
from tf_tui.client.poller import PollIntervals
from tf_tui.client.stream import Phase, Timeouts
from tf_tui.core import state as state_module
from tf_tui.core.session import Session
from tf_tui.core.state import StateFile
from tf_tui.core.store import Source
from tf_tui.headless.commands import follow, show_status

# "queued" first: on the shared server a run waits there whenever its four slots are busy.
PHASE_ORDER = ["queued", "starting", "preprocessing", "training", "evaluating", "completed"]
SHORT_RUN = {"max_steps": 2500, "batch_size": 32}


async def test_a_run_streams_live_in_order_without_polling(server, make_session):
    output = RecordingOutput()
    async with make_session(server.url) as session:
        train_id = (await session.start("tiny", ["builtin-arithmetic"], params=SHORT_RUN)).train_id
        assert StateFile(session.settings.state_file).active(server.url) == [train_id]
        assert await follow(session, [train_id], output, timeout=DEADLINE_S) == ExitCode.OK

        statuses = [shown["status"] for shown in output.shown]
        assert [PHASE_ORDER.index(status) for status in statuses] == sorted(PHASE_ORDER.index(s) for s in statuses)
        progress = [shown["progress"] for shown in output.shown]
        assert progress == sorted(progress) and progress[-1] == 100
        assert sum(shown["source"] is Source.WS for shown in output.shown) >= 3
        assert session.counters["status_reads.poll"] == 0
        assert session.counters["status_reads.resync"] >= 1
        run = session.store.runs[train_id]
        assert run.history.points[-1].loss < run.history.points[0].loss
        await until(lambda: train_id not in session.watched, what="the ended run is unsubscribed")
        assert StateFile(session.settings.state_file).active(server.url) == []
        texts = [entry.text for entry in session.events.entries]
        assert f"subscription confirmed for {train_id}: subscribed" in texts
        assert f"unsubscribing from {train_id}" in texts


async def test_a_socket_outage_loses_nothing(server, http, make_session):
    output = RecordingOutput()
    quick = PollIntervals(down=0.3)
    async with socket_gate(server.port) as gate, make_session(gate.url, poll_intervals=quick) as session:
        # Endless, so that it is still training when the socket comes back, however slow the machine.
        train_id = (await session.start("tiny", ["builtin-arithmetic"], params=ENDLESS_PARAMS)).train_id
        following = asyncio.create_task(follow(session, [train_id], output, timeout=None))
        try:
            await until(lambda: session.store.ensure(train_id).status == "training", what="training")
            gate.refuse_websockets = True
            gate.cut_websockets()
            await until(lambda: session.connection.phase is Phase.RETRYING, what="the client notices")
            # News by polling, not polls alone: a poll right after the drop finds what the socket last said.
            await until(
                lambda: any(shown["source"] is Source.POLL for shown in output.shown), what="news by polling while down"
            )

            attempts = gate.websocket_attempts
            gate.refuse_websockets = False
            await until(lambda: session.connection.phase is Phase.LIVE, what="the socket is back")
            assert gate.websocket_attempts > attempts
            frames = session.counters["frames.RunUpdate"]
            await until(lambda: session.counters["frames.RunUpdate"] > frames, what="updates over the new socket")
        finally:
            # Stopped behind the client's back: its end must reach the client all the same.
            await http.post(f"/train/stop/{train_id}")
            code = await asyncio.wait_for(following, DEADLINE_S)

    assert code == ExitCode.STOPPED and output.shown[-1]["status"] == "stopped"
    steps = [shown["step"] for shown in output.shown if shown["step"] is not None]
    assert steps == sorted(steps)
    sources = [shown["source"] for shown in output.shown]
    assert Source.POLL in sources, "the outage was bridged by polling"
    assert Source.WS in sources[sources.index(Source.POLL) :], "and the socket took over again"


async def test_the_poll_loop_asleep_until_a_far_poll_wakes_when_the_socket_drops(server, make_session):
    """While the socket is live the poll loop sleeps until the next run falls due (here 10 minutes away): a
    drop of the socket wakes it, and the runs are polled at the down pace from then on."""
    far = PollIntervals(live=600.0, down=0.3)
    async with socket_gate(server.port) as gate, make_session(gate.url, poll_intervals=far) as session:
        train_id = (await session.start("tiny", ["builtin-arithmetic"], params=ENDLESS_PARAMS)).train_id
        try:
            await until(lambda: session.store.ensure(train_id).status == "training", what="training")
            assert session.counters["status_reads.poll"] == 0
            gate.refuse_websockets = True
            gate.cut_websockets()
            await until(lambda: session.counters["status_reads.poll"] >= 2, what="polling while it is down")
        finally:
            await session.stop(train_id)


async def test_a_run_started_while_the_socket_is_down_is_subscribed_when_it_opens(server, make_session):
    async with socket_gate(server.port) as gate:
        gate.refuse_websockets = True
        async with make_session(gate.url) as session:
            await until(lambda: session.connection.phase is Phase.RETRYING, what="the socket is down")
            train_id = (await session.start("tiny", ["builtin-arithmetic"], params=ENDLESS_PARAMS)).train_id
            try:
                assert train_id in session.watched
                gate.refuse_websockets = False
                await until(lambda: session.connection.phase is Phase.LIVE, what="the socket opens")
                await until(lambda: session.counters["frames.RunUpdate"] >= 2, what="updates over the new socket")
                assert session.store.runs[train_id].last_source is Source.WS
            finally:
                assert (await session.stop(train_id)).stopped


async def test_a_server_restart_mid_run_is_followed_to_the_end(start_server, tmp_path, make_session):
    data_dir = tmp_path / "restarting"
    server = start_server(data_dir)
    port = server.port
    output = RecordingOutput()
    async with make_session(server.url) as session:
        async with api_client(server.url) as client:
            train_id = await start_run(client, **ENDLESS_PARAMS)
        await session.watch([train_id])
        await until(lambda: session.store.ensure(train_id).status == "training", what="training")
        server.kill()
        await until(lambda: session.connection.phase is Phase.RETRYING, what="the client notices the death")
        start_server(data_dir, port=port)
        code = await follow(session, [train_id], output, timeout=DEADLINE_S)
    assert code == ExitCode.FAILED
    run = session.store.runs[train_id]
    assert "server stopped while this run was training" in (run.error or "")
    assert output.phases[-1] in ("live", "retrying")


async def test_active_runs_survive_a_client_restart(server, tmp_path):
    settings = client_settings(server.url, tmp_path)
    async with Session(settings) as first:
        train_id = (await first.start("tiny", ["builtin-units"], params=SHORT_RUN)).train_id
    assert StateFile(settings.state_file).active(server.url) == [train_id]

    async with Session(settings) as second:
        assert second.watched == [train_id]
        assert await follow(second, [train_id], RecordingOutput(), timeout=DEADLINE_S) == ExitCode.OK
    assert StateFile(settings.state_file).active(server.url) == []


async def test_a_session_without_a_stream_answers_over_http_alone(server, tmp_path):
    """`tf-tui status` and `stop`: a question and its answer; no socket, and the remembered runs only read."""
    async with socket_gate(server.port) as gate:
        settings = client_settings(gate.url, tmp_path)
        StateFile(settings.state_file).add(settings.state_key, "remembered-but-gone")
        out = io.StringIO()
        async with Session(settings).without_stream() as session:
            assert session.watched == []  # nothing restored to follow
            assert await show_status(session, as_json=True, out=out) == 0
            outcome = await session.stop("remembered-but-gone")
        assert gate.websocket_attempts == 0
    [gone] = [record for record in json.loads(out.getvalue()) if record["train_id"] == "remembered-but-gone"]
    assert gone["missing"] and not outcome.stopped
    assert StateFile(settings.state_file).active(settings.state_key) == []  # its 404 forgot it


async def test_the_runs_one_status_forgets_leave_the_state_file_in_one_write(server, tmp_path, monkeypatch):
    """Each write reads and rewrites the whole file: one per forgotten run made `status` on thousands of
    remembered runs take time growing with the square of their number (4000 took 80 s, half of it writing)."""
    settings = client_settings(server.url, tmp_path)
    gone = [f"remembered-but-gone-{number}" for number in range(40)]
    StateFile(settings.state_file).add_many(settings.state_key, gone)
    writes: list[object] = []
    real_write = state_module.write_json_atomically
    monkeypatch.setattr(state_module, "write_json_atomically", lambda *args: writes.append(args) or real_write(*args))
    out = io.StringIO()
    async with Session(settings).without_stream() as session:
        assert await show_status(session, as_json=True, out=out) == 0
    assert {record["train_id"] for record in json.loads(out.getvalue()) if record["missing"]} == set(gone)
    assert StateFile(settings.state_file).active(settings.state_key) == []
    assert len(writes) == 1


async def test_an_unknown_run_is_forgotten_and_exits_4(server, make_session):
    async with make_session(server.url) as session:
        session.state.add(server.url, "no-such-run")
        assert await follow(session, ["no-such-run"], RecordingOutput(), timeout=DEADLINE_S) == ExitCode.UNKNOWN_RUN
        assert session.store.runs["no-such-run"].missing
    assert session.state.active(server.url) == []


async def test_a_network_error_never_forgets_a_run(start_server, make_session):
    server = start_server()
    url = server.url
    server.kill()
    async with make_session(url) as session:
        session.state.add(url, "remembered")
        await session.resync(["remembered"])
        assert session.state.active(url) == ["remembered"]
        assert any("status read of remembered failed" in entry.text for entry in session.events.entries)


@pytest.mark.parametrize("token", [None, "wrong"])
async def test_a_refused_token_fails_the_stream_in_words(start_server, make_session, token):
    server = start_server(token="right")
    async with make_session(server.url, token=token) as session:
        await until(lambda: session.connection.phase is Phase.FAILED, what="the stream gives up")
        assert "check the token" in session.connection.describe()
        session.state.add(server.url, "x")
        assert await follow(session, ["x"], RecordingOutput(), timeout=DEADLINE_S) == ExitCode.USAGE


async def test_the_right_token_goes_on_http_and_websocket(start_server, make_session):
    server = start_server(token="right")
    async with make_session(server.url, token="right") as session:
        started = await session.start("tiny", ["builtin-shell"], params=SHORT_RUN)
        assert await follow(session, [started.train_id], RecordingOutput(), timeout=DEADLINE_S) == ExitCode.OK
        assert session.counters["frames.RunUpdate"] > 0


async def test_a_silent_connection_is_noticed_by_the_heartbeat(server, make_session):
    # A quick heartbeat; reconnects tried during the silence time out fast.
    quick = Timeouts(open=0.5, ping_interval=0.2, ping=0.3, close=0.3)
    async with (
        socket_gate(server.port) as gate,
        make_session(gate.url, stream=local_stream(gate.url, timeouts=quick)) as session,
    ):
        await until(lambda: session.connection.phase is Phase.LIVE, what="live")
        gate.silent = True

        def noticed() -> bool:
            # The log, not the current phase: the retry that follows may already be under way.
            return any("keepalive ping timeout" in entry.text for entry in session.events.entries)

        await until(noticed, what="the silence is noticed")
        gate.silent = False
        await until(lambda: session.connection.phase is Phase.LIVE, what="live again")


async def test_an_untrusted_certificate_is_fatal(tmp_path, make_session):
    key, certificate = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)

    async def hang_up(reader, writer):
        writer.close()

    listener = await asyncio.start_server(hang_up, "127.0.0.1", 0, ssl=context)
    async with listener:
        port = listener.sockets[0].getsockname()[1]
        async with make_session(f"https://127.0.0.1:{port}") as session:
            await until(lambda: session.connection.phase is Phase.FAILED, what="the stream gives up")
            assert "TLS certificate is not trusted" in session.connection.describe()
