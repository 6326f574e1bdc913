"""Reconnect schedule, connection state in words, why a socket is down, and when to poll."""

from __future__ import annotations

import errno
import ssl

import pytest
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI
from websockets.frames import Close, CloseCode
from websockets.http11 import Response

from tf_tui.client.poller import TICK_S, PollIntervals, due_for_poll, next_poll_at
from tf_tui.client.stream import (
    STABLE_AFTER_S,
    Backoff,
    ConnectionState,
    Phase,
    describe_failure,
    failures_after,
    fatal_reason,
)


def test_backoff_doubles_from_half_a_second_to_a_cap_with_jitter():
    backoff = Backoff()
    middle = [backoff.delay(failures, rng=lambda: 0.5) for failures in range(1, 8)]
    assert middle == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    low, high = backoff.delay(3, rng=lambda: 0.0), backoff.delay(3, rng=lambda: 0.999)
    assert low == 2.0 * 0.8 and 2.39 < high < 2.4
    assert backoff.delay(30, rng=lambda: 0.999) == 15.0


def test_the_schedule_climbs_while_connections_drop_at_once_and_restarts_only_after_a_stable_one():
    assert failures_after(0, None) == 1  # the first attempt failed
    assert failures_after(3, None) == 4  # never opened
    assert failures_after(3, 0.0) == 4  # accepted, then dropped at once: no reset, so no hammering
    assert failures_after(3, STABLE_AFTER_S - 0.01) == 4
    assert failures_after(3, STABLE_AFTER_S) == 1
    assert failures_after(7, STABLE_AFTER_S * 100) == 1


def _handshake_refused(status: int) -> InvalidStatus:
    return InvalidStatus(Response(status, "refused", Headers()))


def _untrusted_certificate() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    return error


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_ends_the_stream_and_says_to_check_the_token(status):
    assert fatal_reason(_handshake_refused(status)) == (
        f"the server refused the WebSocket (HTTP {status}): check the token"
    )


def test_an_untrusted_certificate_and_a_bad_url_end_the_stream_and_say_why():
    reason = fatal_reason(_untrusted_certificate())
    assert reason is not None and "self-signed certificate" in reason and "--ca-cert" in reason
    assert fatal_reason(InvalidURI("ftp://host/ws", "scheme isn't ws or wss")) == (
        "bad WebSocket URL: ftp://host/ws isn't a valid URI: scheme isn't ws or wss"
    )


@pytest.mark.parametrize(
    "error",
    [
        _handshake_refused(500),
        _handshake_refused(404),
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        TimeoutError(),
        ConnectionClosed(None, None),
        ConnectionClosed(Close(CloseCode.GOING_AWAY, "restarting"), None),
    ],
)
def test_everything_else_is_retried(error):
    assert fatal_reason(error) is None


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (ConnectionClosed(None, None), "the connection dropped (no close frame)"),
        (ConnectionClosed(None, Close(CloseCode.MESSAGE_TOO_BIG, "")), "a frame was over the 1024 KiB limit"),
        (
            ConnectionClosed(None, Close(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")),
            "tf-tui closed it (keepalive ping timeout)",
        ),
        (ConnectionClosed(None, Close(CloseCode.PROTOCOL_ERROR, "")), "tf-tui closed it (code 1002)"),
        (
            ConnectionClosed(Close(CloseCode.GOING_AWAY, "restarting"), Close(CloseCode.GOING_AWAY, ""), True),
            "the server closed the connection (code 1001: restarting)",
        ),
        (ConnectionClosed(Close(CloseCode.NORMAL_CLOSURE, ""), None), "the server closed the connection (code 1000)"),
        (_handshake_refused(502), "the WebSocket handshake got HTTP 502"),
        (TimeoutError(), "the connection timed out"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "connection refused"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "No route to host"),
        (OSError(), "OSError"),
    ],
)
def test_why_the_socket_is_down_in_words(error, words):
    assert describe_failure(error) == words


def test_a_close_reason_from_the_server_cannot_paint_the_terminal():
    hostile = ConnectionClosed(Close(CloseCode.GOING_AWAY, "\x1b[2J[red]gone\x1b]0;owned\x07" + "x" * 500), None)
    words = describe_failure(hostile)
    assert "\x1b" not in words and "\x07" not in words
    assert len(words) < 200


def test_connection_states_in_words():
    assert ConnectionState(Phase.LIVE).describe() == "live"
    assert ConnectionState(Phase.CONNECTING, attempt=1).describe() == "connecting"
    retrying = ConnectionState(Phase.RETRYING, attempt=2, reason="connection refused", retry_at=104.2)
    assert retrying.describe(now=100.0) == "reconnecting in 4 s (attempt 3)"
    assert ConnectionState(Phase.FAILED, reason="HTTP 403").describe() == "failed: HTTP 403"


def test_a_state_explained_says_why_only_while_retrying():
    retrying = ConnectionState(Phase.RETRYING, attempt=2, reason="connection refused", retry_at=104.2)
    assert retrying.explain(now=100.0) == "reconnecting in 4 s (attempt 3) (connection refused)"
    failed = ConnectionState(Phase.FAILED, reason="HTTP 403")
    assert failed.explain() == failed.describe() == "failed: HTTP 403"  # the reason is said once
    assert ConnectionState(Phase.LIVE, reason="stale").explain() == "live"
    assert ConnectionState(Phase.RETRYING, attempt=1, retry_at=101.0).explain(now=100.0).endswith("(attempt 2)")


def test_streaming_runs_are_not_polled_while_the_socket_is_live():
    now = 1000.0
    live = PollIntervals().current(stream_live=True)
    heard = {"fresh": now - 1, "silent": now - live, "never": None}
    assert due_for_poll(now, heard, {}, set(), live) == ["silent", "never"]


def test_every_run_is_polled_every_few_seconds_while_the_socket_is_down():
    now = 1000.0
    down = PollIntervals().current(stream_live=False)
    assert down < PollIntervals().live
    heard = {"fresh": now - 1, "older": now - down}
    assert due_for_poll(now, heard, {}, set(), down) == ["older"]


def test_a_run_is_not_polled_twice_at_once_nor_right_after_a_poll():
    now = 1000.0
    heard = {"reading": None, "just_polled": None, "due": None}
    assert due_for_poll(now, heard, {"just_polled": now - 1}, {"reading"}, PollIntervals().live) == ["due"]


def test_the_poll_loop_sleeps_until_the_next_run_falls_due():
    """Between polls the loop wakes when the first run falls due, not every tick: a run heard 10 s ago with a
    30 s interval is due in 20 s; one just polled 25 s from now."""
    now, live = 1000.0, PollIntervals().live
    heard = {"heard": now - 10, "polled": None}
    assert next_poll_at(now, heard, {"polled": now - 5}, set(), live) == now + 20
    assert next_poll_at(now, {}, {}, set(), live) is None


def test_a_run_due_or_being_read_is_looked_at_again_a_tick_later():
    now, live = 1000.0, PollIntervals().live
    assert next_poll_at(now, {"due": now - live, "later": now}, {}, set(), live) == now + TICK_S
    assert next_poll_at(now, {"reading": now - 1, "later": now}, {}, {"reading"}, live) == now + TICK_S
    assert due_for_poll(now + TICK_S, {"reading": now - live}, {}, set(), live) == ["reading"]
