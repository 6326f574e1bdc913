"""The client against the deployed backend's quirks, reproduced by a scripted backend over real sockets."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from fastapi.responses import JSONResponse

from tests.conftest import DEADLINE_S, RecordingOutput, until
from tests.scripted_backend import running_backend
from tf_tui.base.exit_codes import ExitCode
from tf_tui.client.stream import Phase
from tf_tui.core.format import summary
from tf_tui.core.store import Source
from tf_tui.headless.commands import follow, show_status


@pytest.fixture
async def backend():
    async with running_backend() as scripted:
        yield scripted
    for text in scripted.received:  # the deployed backend drops the socket on anything else
        assert isinstance(json.loads(text), dict), text


async def started(session, backend) -> str:
    train_id = (await session.start("tiny", ["d1"], params={})).train_id
    await backend.wait_until(lambda: backend.subscribed(train_id))
    return train_id


async def test_statuses_sent_before_the_subscription_are_read_back(backend, make_session):
    async with make_session(backend.url) as session:
        train_id = await started(session, backend)
        await until(lambda: session.store.ensure(train_id).status == "validating", what="the resync")
        assert session.store.runs[train_id].last_source is Source.RESYNC
        assert session.store.runs[train_id].progress == 20
        await backend.push(train_id, {"progress": 30, "status": "preprocessing", "details": {"message": "Prep"}})
        await until(lambda: session.store.ensure(train_id).status == "preprocessing", what="the first frame")
        assert session.store.runs[train_id].last_source is Source.WS


async def test_a_resync_asked_for_while_a_read_is_in_flight_is_made_after_it(backend, make_session):
    # The read in flight may have been sent before the subscription the resync follows: its answer can
    # be older news, so dropping the second resync would leave the run stale until the next frame.
    backend.status_bodies["slow"] = {"status": "training", "progress": 40}
    backend.status_gate = asyncio.Event()
    async with make_session(backend.url) as session:
        first = asyncio.create_task(session.resync(["slow"]))
        await backend.wait_until(lambda: backend.status_reads.count("slow") == 1)
        await session.resync(["slow"])  # returns at once: the run is being read
        backend.status_bodies["slow"] = {"status": "evaluating", "progress": 90}
        backend.status_gate.set()
        await first
        await until(lambda: session.store.ensure("slow").progress == 90, what="the second resync")
        assert session.store.runs["slow"].status == "evaluating"
        assert backend.status_reads.count("slow") == 2


async def test_a_run_that_failed_silently_is_seen_failed_at_once(backend, make_session):
    backend.status_bodies["silent"] = {"status": "failed", "progress": 0, "error": "Dataset d1 not found"}
    async with make_session(backend.url) as session:
        assert await follow(session, ["silent"], RecordingOutput(), timeout=DEADLINE_S) == ExitCode.FAILED
        assert session.store.runs["silent"].error == "Dataset d1 not found"


async def test_95_after_completion_and_a_double_completion_change_nothing(backend, make_session):
    output = RecordingOutput()
    async with make_session(backend.url) as session:
        train_id = await started(session, backend)
        done = {"progress": 100, "status": "completed", "success": True, "result": {"model_path": "/m"}}
        await backend.push(train_id, done)
        await backend.push(train_id, done)
        backend.status_bodies[train_id] = {"status": "completed", "progress": 95, "result": {"other": True}}
        assert await follow(session, [train_id], output, timeout=DEADLINE_S) == ExitCode.OK
        await session.resync([train_id])
        run = session.store.runs[train_id]
        assert (run.progress, run.result) == (100, {"model_path": "/m", "other": True})  # the frame's first
        assert [shown["status"] for shown in output.shown].count("completed") == 1


async def test_the_database_shaped_status_after_a_restart_keeps_our_progress(backend, make_session):
    async with make_session(backend.url) as session:
        train_id = await started(session, backend)
        await backend.push(train_id, {"progress": 70, "status": "training", "details": {}})
        await until(lambda: session.store.ensure(train_id).progress == 70, what="progress 70")
        backend.status_bodies[train_id] = {
            "status": "pending",
            "outcome": "balanced",
            "created_at": "2026-11-29 00:54:54",
        }
        connects = backend.connects
        await backend.drop_all()
        await backend.wait_until(lambda: backend.connects > connects and backend.subscribed(train_id))
        await until(lambda: session.store.ensure(train_id).status == "pending", what="the resync after reconnect")
        run = session.store.runs[train_id]
        assert (run.progress, run.created_at, run.ended) == (70, "2026-11-29 00:54:54", False)


async def test_a_socket_the_server_closes_cleanly_is_said_so(backend, make_session):
    async with make_session(backend.url) as session:
        await backend.wait_until(lambda: backend.connections)
        await backend.drop_all(code=1001)  # "going away", as a server shutting down says: a normal closure

        def said() -> bool:
            return any("the server closed the connection (code 1001)" in entry.text for entry in session.events.entries)

        await until(said, what="the clean close is said in words")


async def test_a_500_on_stop_is_said_in_words_and_the_updates_that_follow_are_believed(backend, make_session):
    async with make_session(backend.url) as session:
        train_id = await started(session, backend)
        await until(lambda: session.store.ensure(train_id).status == "validating", what="the first resync")
        outcome = await session.stop(train_id)
        assert not outcome.stopped
        assert "HTTP 500" in outcome.message and "'stopped' at 20%" in outcome.message
        assert "goes on following" in outcome.message
        await session.resync([train_id])
        assert not session.store.ensure(train_id).ended
        await backend.push(train_id, {"progress": 60, "status": "training", "details": {}})
        await backend.push(train_id, {"progress": 100, "status": "completed", "success": True, "result": {}})
        assert await follow(session, [train_id], RecordingOutput(), timeout=DEADLINE_S) == ExitCode.OK


async def test_a_stop_the_server_confirms(backend, make_session):
    async with make_session(backend.url) as session:
        train_id = await started(session, backend)
        backend.stop_replies[train_id] = JSONResponse({"status": "stopped", "progress": 40})
        outcome = await session.stop(train_id)
        assert outcome.stopped
        assert (session.store.runs[train_id].status, session.store.runs[train_id].progress) == ("stopped", 40)


async def test_malformed_unknown_and_oversized_frames_are_survived(backend, make_session):
    async with make_session(backend.url) as session:
        train_id = await started(session, backend)
        for text in ("{not json", "[1, 2]", json.dumps({"type": "mystery"}), json.dumps({"type": "training_update"})):
            await backend.push_raw(text)
        await backend.push(train_id, {"progress": 40, "status": "training", "details": {"message": "[bold]x"}})
        await until(lambda: session.store.ensure(train_id).progress == 40, what="the good frame after bad ones")
        assert session.counters["frames.Ignored"] == 4
        assert session.connection.phase is Phase.LIVE

        connects = backend.connects
        await backend.push_raw(json.dumps({"type": "system_update", "data": {"pad": "x" * (2 * 1024 * 1024)}}))
        await backend.wait_until(lambda: backend.connects > connects and backend.subscribed(train_id))
        assert any("over the 1024 KiB limit" in entry.text for entry in session.events.entries)
        await backend.push(train_id, {"progress": 55, "status": "training", "details": {}})
        await until(lambda: session.store.ensure(train_id).progress == 55, what="updates after the reconnect")
        assert session.store.runs[train_id].details["message"] == "[bold]x"


async def test_an_error_frame_and_server_events_are_logged(backend, make_session):
    async with make_session(backend.url) as session:
        await until(lambda: session.connection.phase is Phase.LIVE, what="live")
        await backend.push_raw(json.dumps({"type": "error", "message": "Unknown message type: None"}))
        await backend.push_raw(json.dumps({"type": "talent_event", "event": "talent_published", "data": {}}))
        await backend.push_raw(
            json.dumps({"type": "system_update", "data": {"event": "model_download_progress", "progress": 5}})
        )
        await until(lambda: session.counters["frames.SystemUpdate"] == 1, what="all three frames")
        texts = [entry.text for entry in session.events.entries]
        assert "the server reported an error: Unknown message type: None" in texts
        assert "server event: talent_published" in texts
        assert "server event: model_download_progress" in texts


async def test_non_finite_numbers_in_a_frame_are_survived(backend, make_session):
    async with make_session(backend.url) as session:
        train_id = await started(session, backend)
        odd = {
            "progress": float("inf"),
            "status": "training",
            "details": {"loss": float("-inf"), "eta_s": float("nan")},
        }
        # json.dumps writes these as Infinity and NaN, which Python's JSON parser accepts back.
        await backend.push_raw(json.dumps({"type": "training_update", "train_id": train_id, "data": odd}))
        await backend.push(train_id, {"progress": 45, "status": "training", "details": {"step": 8}})
        await until(lambda: session.store.ensure(train_id).progress == 45, what="the frame after the odd one")
        assert session.connection.phase is Phase.LIVE
        assert summary(session.store.runs[train_id]).startswith("training 45%")


async def test_only_the_backends_own_404_forgets_a_run(backend, make_session):
    backend.proxy_404.add("behind-a-proxy")
    async with make_session(backend.url) as session:
        session.state.add(backend.url, "behind-a-proxy")
        await session.resync(["behind-a-proxy"])
        assert session.state.active(backend.url) == ["behind-a-proxy"]
        assert not session.store.ensure("behind-a-proxy").missing


async def test_status_shows_server_text_literally(backend, make_session):
    hostile = "[/oops] [link=http://x]click[/link] \x1b]0;title\x07"
    backend.status_bodies["r-hostile"] = {"status": hostile, "progress": 10}
    async with make_session(backend.url) as session:
        session.state.add(backend.url, "r-hostile")
        out = io.StringIO()
        assert await show_status(session, as_json=False, out=out) == 0
    text = out.getvalue()
    assert "[/oops]" in text and "[link=http://x]click" in text and "\x1b" not in text
