"""What painting costs: a burst of frames is painted a handful of times, not once a frame, and an idle
dashboard writes nothing to its terminal. No timing is asserted: counts of paints and of bytes.

The scripted backend pushes the burst: the reference server cannot send thousands of frames at once.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pexpect
import pyte
import pytest
from textual.geometry import Region
from textual.widget import Widget

from tests.conftest import DEADLINE_S, SHORT_PARAMS, api_client, start_run, wait_for_status
from tests.scripted_backend import running_backend
from tests.terminal import isolated_environment, module_command, quit_dashboard, spawn
from tests.ui.screen import count_row_paints, row_on_screen, shown_in, until
from tests.ui.test_dashboard import SIZE, dashboard, step_on_screen
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.store import Source
from tf_tui.ui.demo import NOW, demo_app
from tf_tui.ui.pacing import MIN_INTERVAL_S
from tf_tui.ui.widgets import runs_list
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.runs_list import RunsList

RUNS = [f"{index:08x}-burst" for index in range(5)]
FRAMES = 5_000
IDLE_WINDOW_S = 3.0
FRAME_PAUSE_S = 0.5
TERMINAL_LINES_COLUMNS = (40, 120)
MACHINE_LINE = 2  # the machine's line, under the header
CURSOR_MOVE = re.compile(rb"\x1b\[(\d+);\d+H")
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")  # CSI, and OSC
HANDFUL = 6  # repaints of each row (asked for, and rendered) for a burst that takes a quarter of a second


@pytest.fixture
def row_paints(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each run's row was repainted: asked to repaint, or rendered by Textual."""
    return count_row_paints(monkeypatch)


async def test_a_burst_of_5000_frames_repaints_each_row_a_handful_of_times(tmp_path, row_paints):
    async with running_backend() as backend:
        for train_id in RUNS:
            backend.status_bodies[train_id] = {"status": "training", "progress": 0}
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await backend.wait_until(lambda: all(backend.subscribed(train_id) for train_id in RUNS))
            await until(pilot, lambda: all(row_paints[train_id] for train_id in RUNS), "every row painted")
            row_paints.clear()

            began = time.monotonic()
            per_run = FRAMES // len(RUNS)
            for step in range(1, per_run + 1):
                for train_id in RUNS:
                    details = {"step": step, "total_steps": per_run, "loss": 1 / step}
                    data = {"status": "training", "progress": step * 100 // per_run, "details": details}
                    await backend.push(train_id, data)

            await until(
                pilot,
                lambda: all(step_on_screen(app, train_id) == per_run for train_id in RUNS),
                "the last step on every row",
            )
            # Paints are spaced by time, not by frames: a slower machine takes longer over the burst and may
            # paint each row once more per MIN_INTERVAL_S of it. A paint a frame would be 1,000 a row.
            allowed = max(HANDFUL, math.ceil((time.monotonic() - began) / MIN_INTERVAL_S) + 2)
            assert max(row_paints.values()) <= allowed, row_paints


async def test_an_idle_dashboard_writes_nothing(start_server, tmp_path):
    """On a real terminal: once a run the dashboard watched has ended and nothing changes, 3 s pass with no
    cell written anywhere but the machine's line under the header (its live figures, read every 30 s, are
    news when they change). The header's "last message <1m ago" is to the minute, as the rows' ages:
    before, it was to the second, the one text repainted every second.
    A server of its own: other tests' runs on the shared one would turn a minute older meanwhile."""
    server = start_server()
    dashboard = spawn(module_command("--url", server.url), isolated_environment(tmp_path))
    dashboard.setwinsize(*TERMINAL_LINES_COLUMNS)
    screen = pyte.Screen(*reversed(TERMINAL_LINES_COLUMNS))
    stream = pyte.ByteStream(screen)
    deadline = time.monotonic() + DEADLINE_S

    def read_until(shown: Callable[[str], bool]) -> None:
        while not shown("\n".join(screen.display)):
            assert time.monotonic() < deadline, "\n".join(screen.display)
            stream.feed(read_some(dashboard, deadline - time.monotonic()))

    try:
        read_until(lambda text: "live" in text.splitlines()[0])
        async with api_client(server.url) as http:
            ended = await start_run(http, **SHORT_PARAMS)
            body = await wait_for_status(http, ended, {"completed"})
        last_step = f"{body['details']['step']}/{body['details']['total_steps']}"
        # Settled: the row's last step, the result in the detail pane, the header's message age (the stream
        # brought the run's frames), and the run's end announced, then its toast gone.
        read_until(lambda text: f"{ended[:8]}" in text and last_step in text and "final loss" in text)
        read_until(lambda text: "last message" in text.splitlines()[0] and "Run completed" in text)
        read_until(lambda text: "Run completed" not in text)
        # ...and the frame that showed it written to its end: a frame is written at once, so a pause
        # in the output is the end of one.
        while chunk := read_some(dashboard, FRAME_PAUSE_S):
            assert time.monotonic() < deadline, "the dashboard never stops writing"
            stream.feed(chunk)

        # The observation window: a bounded one, as the claim is that nothing comes in it.
        written = bytearray()
        window_end = time.monotonic() + IDLE_WINDOW_S
        while (left := window_end - time.monotonic()) > 0:
            written += read_some(dashboard, left)
        assert [cells for cells in cells_written(bytes(written)) if cells[0] != MACHINE_LINE] == []
    finally:
        quit_dashboard(dashboard)


def read_some(terminal: pexpect.spawn, timeout: float) -> bytes:
    """What the terminal has to read within timeout; nothing if it has nothing."""
    try:
        return terminal.read_nonblocking(65536, timeout=max(0.0, timeout))
    except pexpect.TIMEOUT:
        return b""


def cells_written(output: bytes) -> list[tuple[int, bytes]]:
    """(screen line, text) of every run of cells written. Textual writes each run of cells after a cursor
    move to its line and column."""
    parts = CURSOR_MOVE.split(output)
    written = [(0, ESCAPES.sub(b"", parts[0]))]
    written += [(int(line), ESCAPES.sub(b"", text)) for line, text in zip(parts[1::2], parts[2::2], strict=True)]
    return [(line, text) for line, text in written if text]


async def test_an_update_of_the_selected_run_lays_nothing_out_unless_the_pane_grows(tmp_path, monkeypatch):
    """A layout places every widget on the screen again, each run's row too: the selected run's step going
    from 4200 to 4201 must only repaint the detail pane's lines. A part that needs more lines still gets them."""
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        selected = app.query_one("#runs", RunsList).selected_id
        assert selected is not None
        detail = app.query_one("#detail", DetailPane)
        await until(pilot, lambda: selected in shown_in(app, detail), "the selected run in the detail pane")

        layouts: list[Widget] = []  # the detail pane's parts that asked for one
        refresh = Widget.refresh

        def refreshed(widget: Widget, *regions: Region, layout: bool = False, **kwargs: Any) -> Widget:
            if layout and detail in widget.ancestors_with_self:
                layouts.append(widget)
            return refresh(widget, *regions, layout=layout, **kwargs)

        monkeypatch.setattr(Widget, "refresh", refreshed)
        app._show_evaluation()  # as every selection does: the same (absent) evaluation shown again
        details = {"step": 4201, "total_steps": 12000, "loss": 0.2601}
        app.session.store.apply(RunUpdate(selected, "training", 35, details=details), Source.WS, NOW)
        app._schedule_flush()
        await until(pilot, lambda: "4201/12000" in shown_in(app, detail), "the new step in the detail pane")
        assert layouts == []

        error = "out of memory " * 30  # several lines more
        app.session.store.apply(RunUpdate(selected, "failed", 100, error=error), Source.WS, NOW)
        app._schedule_flush()
        await until(pilot, lambda: "out of memory out of memory" in shown_in(app, detail), "the error, in full lines")
        assert layouts


async def test_a_run_s_update_looks_at_no_other_row_in_view(tmp_path, monkeypatch):
    """A paint compares and repaints the rows of the runs that changed, not every row in view: with 100 runs
    on screen, looking at each line at every paint was half of what a paint cost."""
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one("#runs", RunsList)
        in_view = [key[1] for key in runs.shown if runs.row_region(key[1], key[0]) is not None]
        assert len(in_view) > 2
        changed = in_view[1]
        await until(pilot, lambda: bool(row_on_screen(app, changed)), "the row painted")

        looked_at: set[str] = set()  # the rows whose shown values were made, to compare or to draw
        told: set[str] = set()  # the runs the paints were told changed (the demo's own, and this one)
        shown_values, take_changed = runs_list.shown_values, app.fleet.take_changed

        def counted(run: Any, now: float) -> Any:
            looked_at.add(run.train_id)
            return shown_values(run, now)

        def taken() -> Any:
            keys = take_changed()
            told.update(key.train_id for key in keys)
            return keys

        monkeypatch.setattr(runs_list, "shown_values", counted)
        monkeypatch.setattr(app.fleet, "take_changed", taken)
        progress = app.session.store.runs[changed].progress or 0
        new = 1 if progress >= 99 else progress + 1
        app.session.store.apply(RunUpdate(changed, "training", new), Source.WS, NOW)
        app._schedule_flush()
        await until(pilot, lambda: f"{new}%" in row_on_screen(app, changed), "the row shows its update")
        assert changed in looked_at
        assert looked_at <= told, looked_at - told
        assert set(in_view) - told, "every row in view changed: the test says nothing"
