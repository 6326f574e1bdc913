"""An idle dashboard: no timer turns every second for text that changes once a minute. What changes with the
time alone (the rows' ages and `stale` marks, the header's message age) is repainted at the moment it
reads otherwise, and only then."""

from __future__ import annotations

import time

from textual.dom import DOMNode
from textual.timer import Timer

from tests.ui.screen import row_on_screen, shown_in, until, until_shown
from tests.ui.test_dashboard import SIZE
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.store import Source
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import NOW, demo_app, demo_session
from tf_tui.ui.style import STALE_AFTER_S
from tf_tui.ui.widgets.environment_line import TICK_S as MACHINE_LINE_TURN_S
from tf_tui.ui.widgets.environment_line import EnvironmentLine
from tf_tui.ui.widgets.header import StatusHeader
from tf_tui.ui.widgets.run_row import shown_values_change_at
from tf_tui.ui.widgets.runs_list import RunsList

QUEUED = "51d0c6f4-8a9b-4c3d-a2e1-f0e9d8c7b6a5"  # a demo run said nothing of since it was queued


def timers_that_turn(app: TfTuiApp) -> list[tuple[DOMNode, Timer]]:
    """Every timer of the app and of the widgets on its screen that is running and not paused."""
    nodes: list[DOMNode] = [app, *app.screen.walk_children(with_self=True)]
    # Textual keeps each node's timers in a private set: no public way lists them.
    return [(node, timer) for node in nodes for timer in node._timers if timer._active.is_set() and timer._task]


def screen_painted(app: TfTuiApp) -> bool:
    """Textual's screen refresh turns only while something is left to paint."""
    return not any(node is app.screen for node, _ in timers_that_turn(app))


async def test_an_idle_dashboard_has_no_timer_due_before_a_text_on_it_changes(tmp_path):
    """The demo at a fixed moment: its rows change with the time alone in 40 s at the soonest (an age turns
    a minute), and the list waits for that moment. No timer may turn before then, but the machine line's
    (its reads, tests/ui/test_requests_while_live.py); before, the ages' turned every second and a hidden
    loading indicator's 16 times a second."""
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        await until(pilot, lambda: QUEUED[:8] in shown_in(app, runs), "the queued run's row")
        await until(pilot, lambda: screen_painted(app), "the screen painted")
        rows = [app.session.store.runs[train_id] for _, train_id in runs.shown]
        soonest = min(turn for run in rows if (turn := shown_values_change_at(run, NOW)) is not None)
        assert [timer._interval for node, timer in timers_that_turn(app) if isinstance(node, RunsList)] == [
            soonest - NOW
        ]
        early = [
            (node, timer._interval)
            for node, timer in timers_that_turn(app)
            if not isinstance(node, EnvironmentLine) and timer._interval < soonest - NOW
        ]
        assert early == []
        assert [timer._interval for node, timer in timers_that_turn(app) if isinstance(node, EnvironmentLine)] == [
            MACHINE_LINE_TURN_S
        ]


async def test_a_runs_stale_mark_and_the_headers_age_come_at_their_moment_with_nothing_new(tmp_path):
    """On the wall clock: a run last heard of a second short of stale turns stale, and the header's last
    message turns a minute old, with no news of anything."""
    session = demo_session(tmp_path)
    heard = time.time() - STALE_AFTER_S + 1
    session.store.apply(RunUpdate(QUEUED, "training", 5), Source.WS, heard)
    session.last_message_at = time.time() - 59
    app = TfTuiApp(session, connect=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: row_on_screen(app, QUEUED).endswith("1m ago"), "the run's age")
        header = app.query_one(StatusHeader)
        await until_shown(pilot, "last message <1m ago")
        await until(pilot, lambda: row_on_screen(app, QUEUED).endswith("stale"), "the run turned stale")
        assert time.time() > heard + STALE_AFTER_S
        await until(pilot, lambda: "last message 1m ago" in shown_in(app, header), "the message a minute old")
