"""UpdateStream.run against a scripted `connect`: what it subscribes on each open, how long it waits
between attempts, when it gives up, and what it reports. No sockets: the clock and the connections are
fakes handed in through its constructor."""

from __future__ import annotations

import asyncio
import errno
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI
from websockets.frames import Close, CloseCode
from websockets.http11 import Response

from tests.conftest import DEADLINE_S, until
from tf_tui.base.protocol import Event, Ignored, RunUpdate, subscribe_frame, unsubscribe_frame
from tf_tui.client.pace import MessagePace
from tf_tui.client.stream import STABLE_AFTER_S, Backoff, ConnectionState, Phase, UpdateStream

TOKEN = "s3cret-token"
# No jitter, so that each delay says which step of the schedule it is: 1, 2, 4, 8 ms.
SCHEDULE = Backoff(initial=0.001, cap=1.0, jitter=0.0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class FakeSocket:
    """An open connection: records what is sent; its frames are those given and those `deliver`ed, until
    `end()`. A socket made with `stays_up_for` moves the clock on by that much before it ends."""

    def __init__(
        self, *frames: str, clock: FakeClock | None = None, stays_up_for: float = 0.0, ends: bool = True
    ) -> None:
        self.sent: list[str] = []
        self._frames: asyncio.Queue[str | None] = asyncio.Queue()
        for frame in frames:
            self.deliver(frame)
        self._clock, self._stays_up_for = clock, stays_up_for
        if ends:
            self.end()
        self.protocol = self  # websockets keeps why it closed on the connection's protocol object
        self.close_exc = ConnectionClosed(Close(CloseCode.GOING_AWAY, "restarting"), None)

    def deliver(self, frame: str) -> None:
        self._frames.put_nowait(frame)

    def end(self) -> None:
        self._frames.put_nowait(None)

    async def send(self, message: str) -> None:
        self.sent.append(message)

    async def __aiter__(self) -> AsyncIterator[str]:
        while (frame := await self._frames.get()) is not None:
            yield frame
        if self._clock is not None:
            self._clock.now += self._stays_up_for


class FakeConnect:
    """Stands in for websockets' `connect`: each attempt takes the next scripted outcome, an error raised
    while opening or a socket. Once they have run out, an attempt hangs until the test cancels the stream."""

    def __init__(self, *outcomes: BaseException | FakeSocket) -> None:
        self._outcomes = list(outcomes)
        self.attempts: list[tuple[str, dict[str, Any]]] = []  # the URL and options of each

    def __call__(self, url: str, **options: Any) -> Any:
        self.attempts.append((url, options))
        return self._open()

    @asynccontextmanager
    async def _open(self) -> AsyncIterator[FakeSocket]:
        if not self._outcomes:
            await asyncio.Event().wait()
        outcome = self._outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        yield outcome


class Recorded:
    """What the stream reported through its three callbacks, on a fake clock."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.events: list[Event] = []
        self.states: list[ConnectionState] = []
        self.opens: list[list[str]] = []
        self.delays: list[float] = []  # how long each retry was to wait, from when it was scheduled

    def stream(self, connect: FakeConnect, **options: Any) -> UpdateStream:
        return UpdateStream(
            "ws://backend.test/ws",
            TOKEN,
            on_event=self.events.append,
            on_state=self._state,
            on_open=self.opens.append,
            use_proxy=False,
            backoff=SCHEDULE,
            clock=self.clock,
            connect=connect,
            **options,
        )

    def _state(self, state: ConnectionState) -> None:
        self.states.append(state)
        if state.retry_at is not None:
            self.delays.append(round(state.retry_at - self.clock.now, 6))


@asynccontextmanager
async def running(stream: UpdateStream) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(stream.run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def refused() -> ConnectionRefusedError:
    return ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")


def handshake_refused(status: int) -> InvalidStatus:
    return InvalidStatus(Response(status, "refused", Headers()))


def untrusted_certificate() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    return error


async def test_every_watched_run_is_subscribed_on_open_and_again_on_every_reconnect():
    dropped, second = FakeSocket(), FakeSocket(ends=False)
    connect, seen = FakeConnect(dropped, second), Recorded()
    stream = seen.stream(connect)
    await stream.subscribe("run-a")  # before any socket: sent when one opens
    await stream.subscribe("run-b")
    async with running(stream):
        await until(lambda: len(seen.opens) == 2, what="the reconnect opens")
        assert dropped.sent == second.sent == [subscribe_frame("run-a"), subscribe_frame("run-b")]
        assert seen.opens == [["run-a", "run-b"], ["run-a", "run-b"]]

        await stream.subscribe("run-c")  # while open: sent at once
        await stream.unsubscribe("run-a")
        assert second.sent[2:] == [subscribe_frame("run-c"), unsubscribe_frame("run-a")]
        assert list(stream.watched) == ["run-b", "run-c"]

    url, options = connect.attempts[0]
    assert url == "ws://backend.test/ws" and options["additional_headers"] == {"Authorization": f"Bearer {TOKEN}"}
    assert options["proxy"] is None and options["ssl"] is None  # no proxy asked for; ws:// takes no TLS context


async def test_subscriptions_go_out_in_batches_with_a_pause_between_on_open_and_while_open():
    """The backend's subscribe names one run: thousands of runs are subscribed a batch at a time."""
    socket, seen = FakeSocket(ends=False), Recorded()
    sent_before_each_pause: list[int] = []

    async def pause(seconds: float) -> None:
        sent_before_each_pause.append(len(socket.sent))
        seen.clock.now += seconds

    pace = MessagePace(100, 0.1, clock=seen.clock, sleep=pause)
    stream = seen.stream(FakeConnect(socket), subscribe_pace=pace)
    runs = [f"run-{index}" for index in range(250)]
    for train_id in runs[:150]:  # before any socket: sent when it opens
        await stream.subscribe(train_id)
    async with running(stream):
        await until(lambda: bool(seen.opens), what="the socket opens")
        for train_id in runs[150:]:  # while open: in the same batches
            await stream.subscribe(train_id)
    assert socket.sent == [subscribe_frame(train_id) for train_id in runs]
    assert sent_before_each_pause == [100, 200]


async def test_what_arrives_is_reported_parsed_and_states_follow_the_connection():
    update = {"type": "training_update", "train_id": "run-a", "data": {"status": "training", "progress": 40}}
    socket = FakeSocket(json.dumps(update), "not json", ends=False)
    seen = Recorded()
    stream = seen.stream(FakeConnect(refused(), socket))
    async with running(stream):
        await until(lambda: len(seen.events) == 2, what="both frames reported")
        assert seen.events[0] == RunUpdate("run-a", "training", 40)
        assert isinstance(seen.events[1], Ignored)
        assert [(state.phase, state.attempt) for state in seen.states] == [
            (Phase.CONNECTING, 1),
            (Phase.RETRYING, 1),
            (Phase.CONNECTING, 2),
            (Phase.LIVE, 0),
        ]
        assert seen.states[1].reason == "connection refused"
        assert stream.state == seen.states[-1] and stream.live

        socket.end()  # the server goes away: said in words, and retried
        await until(lambda: seen.states[-1].phase is Phase.CONNECTING, what="the next attempt")
        assert seen.states[-2].reason == "the server closed the connection (code 1001: restarting)"
        assert not stream.live


async def test_the_wait_between_attempts_doubles_while_they_fail():
    seen = Recorded()
    connect = FakeConnect(refused(), refused(), TimeoutError(), refused())
    async with running(seen.stream(connect)):
        await until(lambda: len(connect.attempts) == 5, what="four failed attempts and a fifth")
    assert seen.delays == [0.001, 0.002, 0.004, 0.008]
    retrying = [state for state in seen.states if state.phase is Phase.RETRYING]
    assert [state.attempt for state in retrying] == [1, 2, 3, 4]
    assert retrying[2].reason == "the connection timed out"


async def test_the_schedule_starts_again_only_after_a_connection_that_stayed_up():
    seen = Recorded()
    brief = FakeSocket(clock=seen.clock, stays_up_for=STABLE_AFTER_S - 0.5)  # accepted, then dropped soon
    stable = FakeSocket(clock=seen.clock, stays_up_for=STABLE_AFTER_S)
    connect = FakeConnect(refused(), refused(), brief, stable, refused())
    async with running(seen.stream(connect)):
        await until(lambda: len(connect.attempts) == 6, what="five attempts and a sixth")
    # Climbing on past the brief one; after the stable one, the schedule starts again from its first step.
    assert seen.delays == [0.001, 0.002, 0.004, 0.001, 0.002]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (handshake_refused(401), "the server refused the WebSocket (HTTP 401): check the token"),
        (handshake_refused(403), "the server refused the WebSocket (HTTP 403): check the token"),
        (untrusted_certificate(), "self-signed certificate"),
        (InvalidURI("ftp://backend.test/ws", "scheme isn't ws or wss"), "bad WebSocket URL"),
    ],
)
async def test_a_fatal_error_ends_the_stream_with_its_reason_even_after_retries(error, reason):
    seen = Recorded()
    connect = FakeConnect(refused(), error)
    await asyncio.wait_for(seen.stream(connect).run(), DEADLINE_S)  # returns: no further attempt
    assert len(connect.attempts) == 2
    final = seen.states[-1]
    assert final.phase is Phase.FAILED and final.reason is not None and reason in final.reason


async def test_the_token_is_masked_in_a_failure_reason():
    seen = Recorded()
    connect = FakeConnect(OSError(f"proxy said no to Bearer {TOKEN}"))
    async with running(seen.stream(connect)):
        await until(lambda: any(state.phase is Phase.RETRYING for state in seen.states), what="a retry")
    (retrying,) = [state for state in seen.states if state.phase is Phase.RETRYING]
    assert retrying.reason == "proxy said no to Bearer ***"
