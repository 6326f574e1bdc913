"""Run styles: without colour, the ends that need attention are the easiest text to read, never dim."""

from __future__ import annotations

import pytest
from rich.text import Text

from tf_tui.client.stream import ConnectionState, Phase
from tf_tui.core.store import RunState, RunStore
from tf_tui.ui.style import status_style, status_text
from tf_tui.ui.widgets.header import header_text


@pytest.mark.parametrize("status", ["failed", "stopped", "Failed "])
def test_without_colour_failed_and_stopped_are_bold_and_reversed(status):
    style = status_style(RunState("a", status=status), no_color=True)
    assert "bold" in style and "reverse" in style and "dim" not in style


def test_without_colour_no_status_is_dim_or_coloured():
    for run in (RunState("a", status=s) for s in ("training", "completed", "queued", None)):
        style = status_style(run, no_color=True)
        assert "dim" not in style and not set(style.split()) - {"bold", "reverse"}
    assert "reverse" in status_style(RunState("a", missing=True), no_color=True)


def test_the_padding_of_a_status_is_not_reversed():
    text = status_text(RunState("a", status="failed"), 13, no_color=True)
    assert text.plain == "failed".ljust(13)
    assert [(span.start, span.end) for span in text.spans] == [(0, 6)]


def test_a_run_no_backend_answered_for_reads_unconfirmed_and_one_the_server_named_reads_waiting():
    store = RunStore()
    store.ensure("typed")
    store.confirm("started")  # the start reply named it: no status heard yet
    assert status_text(store.runs["typed"]).plain == "unconfirmed"
    assert status_text(store.runs["started"]).plain == "waiting"


def styles_of(words: str, text: Text) -> set[str]:
    return {str(span.style) for span in text.spans if text.plain[span.start : span.end] == words}


def test_without_colour_a_failed_connection_in_the_header_is_bold_and_reversed():
    failed = ConnectionState(Phase.FAILED, reason="the server refused the WebSocket (HTTP 401)")
    assert styles_of(
        failed.describe(), header_text("http://h", failed, 1, None, 0.0, poll_interval=30, no_color=True)
    ) == {"bold reverse"}
    live = header_text("http://h", ConnectionState(Phase.LIVE), 1, None, 0.0, poll_interval=30, no_color=True)
    assert "reverse" not in str(styles_of("live", live))


def test_with_colour_a_failed_connection_stays_red():
    failed = ConnectionState(Phase.FAILED, reason="internal error")
    assert styles_of(failed.describe(), header_text("http://h", failed, 0, None, 0.0, poll_interval=30)) == {"bold red"}
