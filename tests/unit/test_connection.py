"""Reconnect schedule, connection state in words, and when to poll."""

from __future__ import annotations

from tf_tui.client.poller import DOWN_INTERVAL_S, LIVE_INTERVAL_S, due_for_poll
from tf_tui.client.stream import Backoff, ConnectionState, Phase


def test_backoff_doubles_from_half_a_second_to_a_cap_with_jitter():
    backoff = Backoff()
    middle = [backoff.delay(failures, rng=lambda: 0.5) for failures in range(1, 8)]
    assert middle == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    low, high = backoff.delay(3, rng=lambda: 0.0), backoff.delay(3, rng=lambda: 0.999)
    assert low == 2.0 * 0.8 and 2.39 < high < 2.4
    assert backoff.delay(30, rng=lambda: 0.999) == 15.0


def test_connection_states_in_words():
    assert ConnectionState(Phase.LIVE).describe() == "live"
    assert ConnectionState(Phase.CONNECTING, attempt=1).describe() == "connecting"
    retrying = ConnectionState(Phase.RETRYING, attempt=2, reason="connection refused", retry_at=104.2)
    assert retrying.describe(now=100.0) == "reconnecting in 4 s (attempt 3)"
    assert ConnectionState(Phase.FAILED, reason="HTTP 403").describe() == "failed: HTTP 403"


def test_streaming_runs_are_not_polled_while_the_socket_is_live():
    now = 1000.0
    heard = {"fresh": now - 1, "silent": now - LIVE_INTERVAL_S, "never": None}
    assert due_for_poll(now, heard, {}, set(), stream_live=True) == ["silent", "never"]


def test_every_run_is_polled_every_few_seconds_while_the_socket_is_down():
    now = 1000.0
    heard = {"fresh": now - 1, "older": now - DOWN_INTERVAL_S}
    assert due_for_poll(now, heard, {}, set(), stream_live=False) == ["older"]


def test_a_run_is_not_polled_twice_at_once_nor_right_after_a_poll():
    now = 1000.0
    heard = {"reading": None, "just_polled": None, "due": None}
    assert due_for_poll(now, heard, {"just_polled": now - 1}, {"reading"}, stream_live=True) == ["due"]
