"""Run styles: without colour, the ends that need attention are the easiest text to read, never dim."""

from __future__ import annotations

import pytest

from tf_tui.store import RunState
from tf_tui.ui.style import status_style, status_text


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
