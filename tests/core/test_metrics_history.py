"""A run's metrics history in a session: read once when a run starts being watched, extended by the stream,
its gap filled after a reconnect; a backend without the route is asked once (real server, scripted backend)."""

from __future__ import annotations

from tests.conftest import eventually, until
from tests.proxy import socket_gate
from tests.scripted_backend import running_backend
from tf_tui.base.capabilities import Extension
from tf_tui.client.poller import PollIntervals
from tf_tui.client.stream import Phase

# No status poll while the socket is down: what fills the gap then is the history read after the reconnect.
NO_POLLS = PollIntervals(live=3600.0, down=3600.0)


def first_steps(session, train_id: str) -> list[int]:
    return [point.step for point in session.store.ensure(train_id).history.points]


async def test_a_session_opened_after_a_run_made_progress_has_it_from_its_first_step(
    server, http, endless_run, make_session
) -> None:
    train_id = await endless_run()
    joined_at = 0

    async def progressed() -> bool:
        nonlocal joined_at
        joined_at = (await http.get(f"/train/status/{train_id}")).json()["details"].get("step") or 0
        return joined_at > 1  # its second report: the first, at step 1, went to nobody

    await eventually(progressed, what="the run reports twice before the session opens")
    async with make_session(server.url) as session:
        await session.watch([train_id])
        history = session.store.ensure(train_id).history
        await until(lambda: history.from_backend, what="the stored history is read")
        assert history.points[0].step == 1
        await until(lambda: (history.last_step or 0) > joined_at, what="the stream extends it")
        steps = first_steps(session, train_id)
        assert steps == sorted(set(steps)) and joined_at in steps
        assert all(point.loss is not None and point.elapsed_s is not None for point in history.points)


async def test_the_steps_missed_while_the_socket_was_down_are_read_after_the_reconnect(
    server, http, endless_run, make_session
) -> None:
    train_id = await endless_run()
    async with socket_gate(server.port) as gate, make_session(gate.url, poll_intervals=NO_POLLS) as session:
        await session.watch([train_id])
        history = session.store.ensure(train_id).history
        await until(lambda: history.from_backend and len(history) >= 2, what="history read and extended")
        gate.refuse_websockets = True
        gate.cut_websockets()
        await until(lambda: session.connection.phase is Phase.RETRYING, what="the client notices")
        dropped_at = history.last_step or 0
        missed: list[int] = []

        async def reported_meanwhile() -> bool:
            nonlocal missed
            points = (await http.get(f"/train/metrics/{train_id}")).json()["points"]
            missed = [point["step"] for point in points if point["step"] > dropped_at]
            return len(missed) >= 2

        await eventually(reported_meanwhile, what="the run reports twice while the socket is down")
        assert not set(missed) & set(first_steps(session, train_id))
        gate.refuse_websockets = False
        await until(lambda: set(missed) <= set(first_steps(session, train_id)), what="the missed steps are read back")


async def test_a_backend_without_the_route_is_asked_once_and_the_session_remembers_it(make_session) -> None:
    async with running_backend() as backend, make_session(backend.url) as session:
        started = [(await session.start("tiny", ["builtin-arithmetic"], params={})).train_id for _ in range(3)]
        await until(lambda: session.capabilities.missing(Extension.METRICS) is not None, what="the 404 is heard")
        assert "HTTP 404" in (session.capabilities.missing(Extension.METRICS) or "")
        await backend.drop_all()
        await backend.wait_until(lambda: backend.connects == 2)
        await until(lambda: session.connection.phase is Phase.LIVE, what="the socket is back")
        late = (await session.start("tiny", ["builtin-arithmetic"], params={})).train_id
        # Made again by hand, awaited: neither a newly watched run nor a reconnect asks again.
        await session.history.read([late, *started])
        await session.history.catch_up([late, *started])
        metrics_reads = [path for path in backend.requests if path.startswith("/train/metrics/")]
        assert len(metrics_reads) == 1 and metrics_reads[0].rsplit("/", 1)[1] in started
        assert any("keeps no metrics history" in entry.text for entry in session.events.entries)
        assert not session.store.ensure(late).history.from_backend
