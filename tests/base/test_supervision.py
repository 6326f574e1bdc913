"""A bug of ours or of a view's never freezes the app: guarded callbacks, restarted or failed tasks."""

from __future__ import annotations

import asyncio
import logging
from itertools import count
from typing import Any

from tests.conftest import FAST_BACKOFF, local_stream, until, ws_url
from tests.proxy import socket_gate
from tf_tui.base.protocol import RunUpdate
from tf_tui.base.supervise import MAX_CRASHES
from tf_tui.client.poller import PollIntervals
from tf_tui.client.stream import Phase, UpdateStream


def raising(*_: Any) -> None:
    raise RuntimeError("a bug in the view")


async def test_callbacks_that_raise_do_not_stop_the_stream_from_delivering_or_reconnecting(server, endless_run):
    train_id = await endless_run()
    updates: list[RunUpdate] = []
    async with socket_gate(server.port) as gate:
        stream = UpdateStream(
            ws_url(gate.url),
            None,
            on_event=lambda event: updates.append(event) if isinstance(event, RunUpdate) else None,
            on_state=raising,
            on_open=raising,
            use_proxy=False,
            backoff=FAST_BACKOFF,
        )
        await stream.subscribe(train_id)
        task = asyncio.create_task(stream.run())
        try:
            await until(lambda: len(updates) >= 2, what="updates despite the raising callbacks")
            attempts = gate.websocket_attempts
            gate.cut_websockets()
            await until(lambda: gate.websocket_attempts > attempts, what="a reconnect")
            delivered = len(updates)
            await until(lambda: len(updates) > delivered, what="updates over the new connection")
            assert stream.state.phase is Phase.LIVE and not task.done()
        finally:
            task.cancel()


async def test_a_view_whose_change_callback_raises_still_gets_every_update(server, endless_run, make_session):
    train_id = await endless_run()
    async with make_session(server.url) as session:
        session.on_change = raising
        await session.watch([train_id])
        await until(lambda: session.counters["frames.RunUpdate"] >= 3, what="updates keep coming")
        await until(lambda: session.store.ensure(train_id).status == "training", what="the store follows")
        assert session.connection.phase is Phase.LIVE


def broken_schedule(failures: int | None) -> PollIntervals:
    """Poll intervals that raise (a bug in the poll schedule) the first `failures` times they are read, or
    every time; then every run is due at every tick."""
    reads = count(1)

    class Broken(PollIntervals):
        def current(self, stream_live: bool) -> float:
            if failures is None or next(reads) <= failures:
                raise RuntimeError("a bug in the poll schedule")
            return 0.0

    return Broken()


async def test_a_poll_loop_whose_body_raises_is_restarted_and_keeps_polling(server, endless_run, make_session):
    train_id = await endless_run()
    async with make_session(server.url, poll_intervals=broken_schedule(2)) as session:
        await session.watch([train_id])
        await until(lambda: session.counters["status_reads.poll"] >= 1, what="a poll after the crashes")
        crashes = [entry for entry in session.events.entries if "internal error in the poll loop" in entry.text]
        assert len(crashes) == 2 and all(entry.level == logging.ERROR for entry in crashes)
        assert "restarting it" in crashes[0].text
        assert session.connection.phase is not Phase.FAILED


async def test_a_task_that_keeps_dying_is_shown_as_failed_internal_error(server, make_session):
    changes = 0

    def changed() -> None:
        nonlocal changes
        changes += 1

    async with make_session(server.url, poll_intervals=broken_schedule(None)) as session:
        session.on_change = changed
        await until(lambda: session.connection.describe() == "failed: internal error", what="given up")
        crashes = [entry.text for entry in session.events.entries if "internal error in the poll loop" in entry.text]
        assert len(crashes) == MAX_CRASHES
        assert "given up" in crashes[-1] and "RuntimeError" in crashes[-1]
        assert changes >= MAX_CRASHES  # the view was told each time, so the header follows
        assert session.stream.state.phase is not Phase.FAILED  # the socket itself was fine


async def test_a_stream_that_crashes_is_restarted_and_delivers(server, endless_run, make_session):
    train_id = await endless_run()
    runs = 0

    class CrashesOnce(UpdateStream):
        async def run(self) -> None:
            nonlocal runs
            runs += 1
            if runs == 1:
                raise RuntimeError("a bug in the stream")
            await super().run()

    async with make_session(server.url, stream=local_stream(server.url, CrashesOnce)) as session:
        await session.watch([train_id])
        await until(lambda: session.counters["frames.RunUpdate"] >= 2, what="updates after the restart")
        assert runs == 2 and session.connection.phase is Phase.LIVE
        assert any(
            "internal error in the stream (RuntimeError); restarting it" in entry.text
            for entry in session.events.entries
        )
