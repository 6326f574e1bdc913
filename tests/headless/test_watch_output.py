"""`watch`'s outputs read a run through the shared formatters: the bars' percent and JSON lines."""

from __future__ import annotations

import io
import json

from rich.console import Console

from tf_tui.core.format import run_record
from tf_tui.core.store import RunState
from tf_tui.headless.output import JsonLines, ProgressBars


def test_a_bar_without_progress_says_it_is_not_known_rather_than_zero():
    out = io.StringIO()
    bars = ProgressBars(Console(file=out, force_terminal=True, width=100, color_system=None))
    bars.show(RunState("r1", status="Loading model"))
    bars.show(RunState("r2", status="training", progress=37))
    bars.close()
    shown = out.getvalue()
    assert "?%" in shown and " 37%" in shown and " 0%" not in shown


def test_a_json_line_is_the_run_record():
    out = io.StringIO()
    run = RunState("r1", status="failed", progress=40, error="out of memory", updated_at=1.0)
    JsonLines(out).show(run, "gpu1")
    assert json.loads(out.getvalue()) == run_record(run, "gpu1")
