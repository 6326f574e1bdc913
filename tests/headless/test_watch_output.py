"""`watch`'s outputs read a run through the shared formatters: the bars' percent and JSON lines."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from tests.conftest import until
from tf_tui.client.stream import ConnectionState, Phase
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


class CountedFlushes(io.StringIO):
    """A stream that counts its flushes; with `broken`, each flush fails as a pipe's whose reader left."""

    def __init__(self, *, broken: bool = False) -> None:
        super().__init__()
        self.flushes = 0
        self.broken = broken

    def flush(self) -> None:
        self.flushes += 1
        if self.broken:
            raise BrokenPipeError(32, "Broken pipe")


async def test_the_lines_of_one_turn_of_the_loop_go_out_in_one_flush():
    out = CountedFlushes()
    lines = JsonLines(out)
    runs = [RunState(f"r{n}", status="training", progress=n, updated_at=1.0) for n in range(3)]
    for run in runs:
        lines.show(run)
    await until(lambda: out.flushes > 0, what="the flush at the loop's next turn")
    assert out.flushes == 1
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [run_record(run) for run in runs]


async def test_a_reader_that_left_is_said_by_the_next_call_after_the_failed_flush():
    out = CountedFlushes(broken=True)
    lines = JsonLines(out)
    lines.show(RunState("r1", status="training", progress=1))
    await until(lambda: out.flushes > 0, what="the flush at the loop's next turn")
    with pytest.raises(BrokenPipeError):
        lines.connection(ConnectionState(Phase.LIVE))  # what `follow` calls first on each turn
