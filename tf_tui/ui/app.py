"""The dashboard: a keyboard-driven Textual app over one Session.

The app never repaints per WebSocket frame: the session says something changed, and the changes are
painted at the next turn of the event loop, so that frames read together are painted together. When
updates are rare that is at once; under load, paints are spaced by what they cost (`FlushPacer`), never
closer than 50 ms. Only what changed on screen is then sent to the terminal
(`PaintedApp`, in ui/paint).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol, runtime_checkable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.dom import NoScreen
from textual.events import DescendantFocus
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input

from tf_tui.base import start_collection
from tf_tui.base.capabilities import Extension
from tf_tui.base.signals import ExitSignals, TerminalModes
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, NotTalentFactory
from tf_tui.core.alerts.rules import Rule
from tf_tui.core.chart_view import SECTION as CHART_SECTION
from tf_tui.core.chart_view import ChartView, loss_steps
from tf_tui.core.config import Settings
from tf_tui.core.eventlog import EventLog
from tf_tui.core.fleet import Fleet, RunKey, as_fleet
from tf_tui.core.format import short_id, summary
from tf_tui.core.ports import BackendApi
from tf_tui.core.read_only import refusal
from tf_tui.core.run_again import LikeRun
from tf_tui.core.run_order import SECTION as RUNS_SECTION
from tf_tui.core.run_order import RunsView
from tf_tui.core.screen_snapshot import SAVE_EVERY_S, ScreenSnapshot, screen_snapshot_path, unlisted
from tf_tui.core.session import Session, StopOutcome
from tf_tui.core.store import Outcome, RunState
from tf_tui.core.talents import completed_refusal, evaluate, publish_refusal
from tf_tui.core.view_choices import ViewChoicesFile, view_choices_path
from tf_tui.ui.alert_text import notice
from tf_tui.ui.desktop_notification import notification_sequence
from tf_tui.ui.keymap import checked_keymap, remapped
from tf_tui.ui.long_lived import LongLived
from tf_tui.ui.pacing import FlushPacer
from tf_tui.ui.paint.app import PaintedApp
from tf_tui.ui.screens.log_refusal import log_refusal
from tf_tui.ui.wake_up import WakeUp
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.environment_line import EnvironmentLine
from tf_tui.ui.widgets.evaluation import Evaluating, EvaluationFailed, EvaluationPart, EvaluationState
from tf_tui.ui.widgets.filter_field import FilterField
from tf_tui.ui.widgets.footer import LeakFreeFooter
from tf_tui.ui.widgets.header import StatusHeader, fleet_header_text, header_changes_at, header_text
from tf_tui.ui.widgets.runs_list import RunsList

# The other screens are imported by the actions that open them: the first screen does not wait for them
# (tests/ui/test_first_screen_imports.py).

# The keys that need an extension of the reference server, and the one each needs.
TALENT_ACTIONS = {"evaluate": Extension.EVALUATE, "publish": Extension.PUBLISH, "talents": Extension.CATALOGUE}
# Kept out of the footer so that every other key fits in it at 120 columns (with several backends, `b` too);
# the help and the palette list them.
NOT_IN_FOOTER = frozenset({"watch", "talents", "resync", "run_again", "sort", "sort_back", "group"})
# The actions that change a backend, and their keys: off when it is read-only (see check_action).
READ_ONLY_KEYS = (("s", "start"), ("R", "run_again"), ("x", "stop"), ("e", "evaluate"), ("p", "publish"))
CHANGING_ACTIONS = frozenset(action for _, action in READ_ONLY_KEYS)
# The keys that depend on the selected run: see check_action.
SELECTION_ACTIONS = (
    "stop",
    "explain_stop",
    "dismiss_missing",
    "explain_dismiss",
    "run_log",
    "explain_run_log",
    *TALENT_ACTIONS,
)
# The runs list's order and grouping with several backends all shown are kept under this name, apart from
# each backend's own (filed by URL).
ALL_BACKENDS = "every backend"
LISTING_INTERVAL_S = 30.0  # runs neither announced nor recorded in the state file appear within this
# How loudly a run's end is announced; a going run is never announced.
TOAST_SEVERITY: dict[Outcome, SeverityLevel] = {
    Outcome.GOING: "information",
    Outcome.COMPLETED: "information",
    Outcome.FAILED: "error",
    Outcome.STOPPED: "warning",
    Outcome.MISSING: "error",
}


@runtime_checkable
class ShowsRuns(Protocol):
    """A screen over the dashboard that shows runs (the compare screen): told which runs changed."""

    def runs_changed(self, changed: set[RunKey]) -> None: ...


class TfTuiApp(PaintedApp):
    """The dashboard over one Session: owns the runs list, the detail pane, the header, the filter, the keys
    and the notices of ended runs. What it shows comes from the session's store; what it asks of the
    server goes through the session."""

    TITLE = "tf-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (70, "-wide")]  # noqa: RUF012 - narrow: no machine line
    # The one list of keys: the footer, the help screen, the palette and the README's table follow it.
    # A tooltip is what the help screen says the key does. An id is the action's name in the config file's
    # [keys] (ui/keymap.py); a hidden binding that says why a key cannot act shares that key's id.
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        # First: at 80 columns the footer cannot show every key, and this one leads to all of them.
        Binding("question_mark", "help", "Keys", tooltip="every key (this help)", id="help"),
        Binding("j,down", "move(1)", "Down", show=False, tooltip="select the run below", id="down"),
        Binding("k,up", "move(-1)", "Up", show=False, tooltip="select the run above", id="up"),
        Binding(
            "enter",
            "focus_detail",
            "Detail",
            show=False,
            key_display="enter",
            tooltip="focus the detail pane (to scroll it)",
            id="detail",
        ),
        Binding("escape", "back", "Back", show=False, tooltip="back to the runs list (clears the filter)", id="back"),
        Binding(
            "s",
            "start",
            "Start",
            tooltip="start a run: model, datasets, outcome, steps, learning rate, batch size, seed",
            id="start",
        ),
        Binding(
            "R",
            "run_again",
            "Again",
            show=False,
            tooltip="run the selected run again: the start dialog filled from it, to change one thing",
            id="run_again",
        ),
        Binding("x", "stop", "Stop", tooltip="stop the selected run, after y (n, enter and escape say no)", id="stop"),
        # When stop is dimmed, x still says why rather than nothing.
        Binding("x", "explain_stop", show=False, id="stop"),
        # Read-only: the keys that would change something say so rather than nothing (and move with them).
        *(Binding(key, f"explain_read_only('{action}')", show=False, id=action) for key, action in READ_ONLY_KEYS),
        Binding(
            "w",
            "watch",
            "Watch",
            show=False,
            tooltip="watch a run by its id or its first characters (4 or more)",
            id="watch",
        ),
        # e, p and t are dimmed, with a hidden binding on the same key saying why, when they cannot act.
        Binding(
            "e", "evaluate", "Evaluate", tooltip="evaluate the selected completed run on held-out data", id="evaluate"
        ),
        Binding("e", "explain_evaluate", show=False, id="evaluate"),
        Binding("p", "publish", "Publish", tooltip="publish the selected completed run as a talent", id="publish"),
        Binding("p", "explain_publish", show=False, id="publish"),
        Binding(
            "t",
            "talents",
            "Talents",
            show=False,
            tooltip="the talent catalogue: metrics, and a prompt to try a talent",
            id="talents",
        ),
        Binding("t", "explain_talents", show=False, id="talents"),
        # In the footer only when a "not found" row is selected.
        Binding("delete", "dismiss_missing", "Dismiss", tooltip='dismiss the selected "not found" run', id="dismiss"),
        # Any other time, delete says why it does nothing.
        Binding("delete", "explain_dismiss", show=False, id="dismiss"),
        Binding(
            "d",
            "datasets",
            "Datasets",
            tooltip="the datasets: list them, upload a file (tab completes paths)",
            id="datasets",
        ),
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            show=False,
            tooltip="mark or unmark the selected run, to compare it",
            id="mark",
        ),
        Binding(
            "c",
            "compare",
            "Compare",
            tooltip="compare the marked runs (or the selected one): curves, a table",
            id="compare",
        ),
        Binding(
            "r", "resync", "Resync", show=False, tooltip="resync now: read every watched run's status", id="resync"
        ),
        Binding("slash", "filter", "Filter", tooltip="filter the runs by id, model or status", id="filter"),
        # The chart's view: kept across relaunches, per backend. Out of the footer, which has no room left.
        Binding(
            "m",
            "smooth",
            "Smooth",
            show=False,
            id="smooth",
            tooltip="smooth the loss curves: off, 0.6, 0.9, 0.99 (the raw curve stays, fainter, behind)",
        ),
        Binding(
            "plus",
            "zoom_in",
            "Zoom in",
            show=False,
            id="zoom_in",
            tooltip="narrow the chart to the last part of the run (half the steps); the y axis fits it",
        ),
        Binding(
            "minus", "zoom_out", "Zoom out", show=False, id="zoom_out", tooltip="widen the chart (twice the steps)"
        ),
        Binding("0", "zoom_reset", "Whole run", show=False, id="zoom_reset", tooltip="the chart over the whole run"),
        Binding(
            "y",
            "y_scale",
            "Y scale",
            show=False,
            id="y_scale",
            tooltip="the chart's y scale: auto (log past a factor of 10), log, linear",
        ),
        Binding("T", "x_axis", "Step/time", show=False, id="x_axis", tooltip="the chart by step or by elapsed time"),
        # In the footer only when several backends are followed; with one, b says so.
        Binding(
            "b",
            "cycle_backend",
            "Backends",
            tooltip="show every backend's runs, or one backend's in turn (when several are followed)",
            id="backends",
        ),
        Binding("b", "explain_backends", show=False, id="backends"),
        Binding(
            "l",
            "event_log",
            "Log",
            tooltip="the event log: socket, subscriptions, polls, errors (u there adds run updates)",
            id="event_log",
        ),
        Binding(
            "o",
            "run_log",
            "Output",
            tooltip="the selected run's own log (its trainer's output), followed live; / searches it, n and N",
            id="run_log",
        ),
        # When the log cannot be had (a backend without the route), o still says why.
        Binding("o", "explain_run_log", show=False, id="run_log"),
        # The runs list's order and grouping: after the keys above, so that the help shows those first.
        Binding(
            "greater_than_sign",
            "sort",
            "Sort",
            show=False,
            tooltip="sort the runs: newest, status, progress, loss, model, backend",
            id="sort",
        ),
        Binding("less_than_sign", "sort_back", "Sort back", show=False, tooltip="sort them back", id="sort_back"),
        Binding("g", "group", "Group", show=False, tooltip="group the runs by status, by model, or not", id="group"),
        Binding(
            "ctrl+p",
            "command_palette",
            "Palette",
            show=False,
            priority=True,
            tooltip="the command palette: every action by name",
            id="palette",
        ),
        Binding("q", "quit", "Quit", tooltip="quit", id="quit"),
    ]

    def __init__(
        self,
        source: Session | Fleet,
        *,
        connect: bool = True,
        clock: Callable[[], float] = time.time,
        snapshot: ScreenSnapshot | None = None,
    ) -> None:
        """`snapshot` keeps the runs shown for the next start (it restored this start's before)."""
        super().__init__()
        self.fleet = as_fleet(source)
        self._snapshot = snapshot
        # The config file's [keys], checked before the dashboard starts (an error names its line).
        self.keys = checked_keymap(self.fleet.sessions[self.fleet.names[0]].settings.keys, type(self))
        self.set_keymap(self.keys)
        self._backend_shown: str | None = None  # `b`: one backend's runs only, or (None) every backend's
        self._connect = connect
        self._clock = clock
        self._flush_pending = False
        self._pacer = FlushPacer()
        self._long_lived = LongLived()
        self._header_text: Text | None = None
        self._header_wake_up = WakeUp(self, self._header_turned, clock)  # its countdown, its message age
        self._footer_shows: tuple[bool | None, ...] | None = None  # SELECTION_ACTIONS as last shown
        self._announced: set[RunKey] = set()  # runs whose end was announced
        self._alerts_told: set[tuple[RunKey, Rule]] = set()
        self.marks: dict[RunKey, None] = {}  # runs marked to compare, in the order they were marked
        self._evaluations: dict[RunKey, EvaluationState] = {}  # what `e` found, shown in the detail pane
        # The terminal's modes are read now, before Textual changes them, for the last resort.
        self.exit_signals = ExitSignals(lambda signum: self.exit(), TerminalModes())
        # Held, not queried: App.query_one searches the active screen, which may be a dialog.
        self._header = StatusHeader(id="header")
        # Until the sessions are open, the machine line and the selected run's story wait: the remembered runs'
        # status reads are the first requests, and the live rows come that much sooner.
        self._reads_held = connect
        self._environment = EnvironmentLine(self._environment_source, held=connect, id="environment")
        self._runs = RunsList(clock=clock, backends=() if self.fleet.single else self.fleet.names, id="runs")
        self._detail = DetailPane(id="detail")
        self._header_folded = False
        self._view_choices = ViewChoicesFile(view_choices_path(self.session.settings))
        self._filter = FilterField(
            placeholder="filter by id, model or status (enter keeps it, escape clears it)", id="filter"
        )
        first = self.fleet.sessions[self.fleet.names[0]]
        self._view_choices = ViewChoicesFile(view_choices_path(first.settings))
        # The view's choices are filed under the first backend followed (the only one, usually): they are the
        # view's, whichever backend's run is shown.
        self._view_backend = first.state_key
        self.chart_view = ChartView.from_section(self._view_choices.get(self._view_backend, CHART_SECTION))
        self._detail.view = self.chart_view

    def crashing(self, error: Exception) -> None:
        """Textual's own crash report shows the locals of every frame, cut at 80 characters, so a long
        token can show in part, where masking cannot find it: the log gets the plain traceback instead."""
        logging.getLogger(__name__).critical("the dashboard crashed", exc_info=error)

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._environment
        yield self._runs
        yield self._detail
        yield self._filter
        # Without the palette's key (ctrl+p, in the help): at 120 columns every other key fits.
        yield LeakFreeFooter(show_command_palette=False)

    @property
    def session(self) -> Session:
        """The session of the selected run's backend (the only one when one backend is followed)."""
        selected = self._runs.selected
        backend = self.fleet.names[0] if selected is None or selected[0] is None else selected[0]
        return self.fleet.sessions[backend]

    @property
    def events(self) -> EventLog:
        """The event log shown: every backend's lines, each after its name, when several are followed."""
        return self.session.events if self.fleet.single else self.fleet.events

    def _row_backend(self, backend: str) -> str | None:
        """The backend as the runs list keys its rows: None (no column) when one backend is followed."""
        return None if self.fleet.single else backend

    async def on_mount(self) -> None:
        settings = self.session.settings
        if settings.theme:  # one of `theme_names()`: the config was checked against them
            self.theme = settings.theme
        self._filter.display = False
        self.watch(self._filter, "value", self._filter_typed, init=False)
        if not self.is_headless:  # on a terminal: SIGHUP, SIGTERM and SIGINT leave it restored
            self.exit_signals.install()
        self.fleet.on_change = self._schedule_flush
        self._runs.on_view = self._read_in_view_first
        self._restore_runs_view()
        # Runs that ended before the dashboard was up (a store filled before it) are no news to it.
        self._announced = {entry.key for entry in self.fleet.runs() if entry.run.ended}
        self._paint_changes()
        self._runs.focus()
        if self._snapshot is not None:
            self.set_interval(SAVE_EVERY_S, self._save_snapshot)
        self.call_after_refresh(start_collection.release)  # the start is over once its first screen is painted
        if self._connect:  # after the first frame: the screen is up before any network work
            # Asked of the screen, not the app: the app's queue then holds the start's resizes and the footer's
            # first keys, which put the connection 60 ms after the first frame where this puts it 45 ms after.
            self.screen.call_after_refresh(self._connect_session)

    async def _connect_session(self) -> None:
        await self.fleet.open(follow_all=True)  # the dashboard shows every run of its backends
        start_collection.connected()
        self._reads_held = False
        self._environment.release()
        selected = self._selected_key()
        if selected is not None:
            self.fleet.session(selected.backend).showing([selected.train_id])
        self.refresh_listing()
        self.set_interval(LISTING_INTERVAL_S, self.refresh_listing)

    async def on_unmount(self) -> None:
        self._long_lived.thaw()
        self._save_snapshot()
        await self.fleet.close()

    def _save_snapshot(self) -> None:
        if self._snapshot is not None:
            self._snapshot.save(self.fleet)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        try:
            screen = event.widget.screen
        except NoScreen:  # gone before its focus was handled (a dialog closed at once): nothing to keep clear
            return
        # Once laid out: a field focused as its screen mounts has no place on it yet.
        self.call_after_refresh(self._place_toasts, screen)

    def _place_toasts(self, screen: Screen[Any]) -> None:
        """Toasts keep to the third of the screen away from the text field being typed in (app.tcss)."""
        field = screen.focused
        high = isinstance(field, Input) and field.region.y < screen.size.height / 3
        screen.set_class(high, "-toasts-below")

    # --- what the session says --------------------------------------------------------------

    def _schedule_flush(self) -> None:
        if self._flush_pending:
            return
        self._flush_pending = True
        delay = self._pacer.delay()
        if delay <= 0:  # at the loop's next turn: the frames read meanwhile are painted with this one
            self.call_later(self._paint_changes)
        else:
            self.set_timer(delay, self._paint_changes)

    def _paint_changes(self) -> None:
        self._flush_pending = False
        if not self.is_running:
            # Quitting: Textual takes the screen down part by part once the app stops running, so the
            # detail pane's parts may be gone while the runs list is still attached.
            return
        painted = self._pacer.painting()
        runs = self._runs
        changed = self.fleet.take_changed()
        with self.batch_update():
            # In the order runs became known: of the runs with no date yet, the last shows first (under the dated).
            for entry in self.fleet.runs_of(changed):
                runs.show(entry.run, self._row_backend(entry.backend))
                self._note_progress(entry.key, entry.run)
                self._note_alerts(entry.key, entry.run)
            runs.select_default()
            selected = self._selected_key()
            if selected in changed:
                run = self.fleet.get(selected)
                self._detail.show(run)
                if run.outcome is Outcome.COMPLETED:  # only a completed run has an evaluation to show
                    self._show_evaluation()  # the one its backend keeps may be what changed
            self._update_header()
        if isinstance(self.screen, ShowsRuns):
            self.screen.runs_changed(changed)
        self._refresh_footer()
        self._long_lived.held(runs.row_count)
        painted()

    def _header_turned(self) -> None:
        if self.is_running:  # not quitting
            self._update_header()

    def _update_header(self) -> None:
        if not self.fleet.single:
            self._update_fleet_header()
            return
        now, last = self._clock(), self.session.last_message_at
        age = None if last is None else max(0.0, now - last)
        session = self.session
        self._header_wake_up.by(header_changes_at([session.connection], last, now))
        text = header_text(
            session.url,
            session.connection,
            len(session.watched),
            age,
            now,
            session.state.problem,
            poll_interval=session.poll_interval,
            insecure=session.settings.insecure,
            read_only=session.settings.read_only,
            no_color=self.no_color,
        )
        self._show_header(text)

    def _show_header(self, text: Text) -> None:
        if text != self._header_text:  # one line whatever it says: no layout
            self._header_text = text
            self._header.update(text, layout=False)

    def _update_fleet_header(self) -> None:
        problems = [session.state.problem for session in self.fleet.sessions.values() if session.state.problem]
        self._header_wake_up.by(header_changes_at(self.fleet.connections().values(), None, self._clock()))
        text, folded = fleet_header_text(
            self.fleet.connections(),
            self._clock(),
            self._header.size.width or 80,
            problems[0] if problems else None,
            insecure=self.session.settings.insecure,
            read_only=[name for name, session in self.fleet.sessions.items() if session.settings.read_only],
            no_color=self.no_color,
        )
        if folded and not self._header_folded:  # what the header no longer shows is said in the event log
            for name, state in self.fleet.connections().items():
                self.fleet.events.add(f"{name}: socket {state.describe(self._clock())}", to_file=False)
        self._header_folded = folded
        self._show_header(text)

    def _note_progress(self, key: RunKey, run: RunState) -> None:
        """Announce, once, the end of a run tf-tui knew going (`RunState.known_going`): seen going, started
        here, or remembered active by the state file. A run a listing merely reports ended is no news: the
        deployed backend's `/train/active` lists every run since it started, those that ended long ago too."""
        if not run.ended or not run.known_going or key in self._announced:
            return
        self._announced.add(key)
        outcome = run.outcome
        where = "" if self.fleet.single else f" on {printable(key.backend, 20)}"
        message = f"{short_id(run.train_id)}{where} {summary(run)}"
        self.notify(message, title=f"Run {outcome.value}", severity=TOAST_SEVERITY[outcome], markup=False)
        self.bell()
        self._desktop_notification(f"tf-tui: run {short_id(run.train_id)} {outcome.value}", message)

    def _note_alerts(self, key: RunKey, run: RunState) -> None:
        """Each alert of a run, once: a toast, the bell and the desktop notification, as a run's end has."""
        for alert in run.alerts.values():
            if (key, alert.rule) in self._alerts_told:
                continue
            self._alerts_told.add((key, alert.rule))
            title, message = notice(alert, "" if self.fleet.single else f" on {printable(key.backend, 20)}")
            self.notify(message, title=title, severity="error", markup=False, timeout=10)
            self.bell()
            self._desktop_notification(f"tf-tui: run {short_id(run.train_id)} {alert.rule.badge}", message)

    def _desktop_notification(self, title: str, body: str) -> None:
        kind = self.session.settings.desktop_notifications
        if kind and not self.is_headless:
            self.write_to_terminal(notification_sequence(kind, title, body, in_tmux=bool(os.environ.get("TMUX"))))

    def _read_in_view_first(self, keys: list[tuple[str | None, str]]) -> None:
        """The runs list's rows in view: their runs' statuses are read before the others' (`Fleet.prioritise`)."""
        self.fleet.prioritise(RunKey(backend or self.fleet.names[0], train_id) for backend, train_id in keys)

    @work(exclusive=True, group="listing", exit_on_error=False)
    async def refresh_listing(self) -> None:
        listings = await self.fleet.refresh_listings(watch_active=True)  # each failure goes to its event log
        for backend, listed in listings.items():
            if isinstance(listed, list):  # the runs a previous dashboard showed that the backend no longer lists go
                for train_id in unlisted(self.fleet, backend, listed):
                    self._runs.remove_run(train_id, self._row_backend(backend))
                    self.fleet.sessions[backend].store.forget(train_id)
        self._schedule_flush()

    # --- keys ---------------------------------------------------------------------------------

    @on(RunsList.Selected)
    def _selected(self) -> None:
        """The detail pane, the machine line and the footer follow the selection once the screen has shown the
        cursor's move: in the same frame, the pane's new run (a part whose height changes lays out the whole
        screen) held the move up by that layout. A key held down moves the cursor before the pane shows the
        run before: the pane shows the run selected by then, once."""
        self.call_after_refresh(self._show_selected)

    def _show_selected(self) -> None:
        if not self.is_running:
            return  # quitting: a selection made by the last flush arrives after the pane's parts are gone
        session, run = self.session, self._selected_run()
        self._detail.show(run)
        if run is not None and not self._reads_held:
            session.showing([run.train_id])  # its whole story, read once: the pane shows it as it comes
        self._show_evaluation()
        self._environment.follow()
        self._refresh_footer()

    def _refresh_footer(self) -> None:
        """Textual's footer rebuilds every key at each `refresh_bindings()`, a cost at every repaint: it is
        asked to only when the keys that depend on the selected run change."""
        shown = tuple(self.check_action(action, ()) for action in SELECTION_ACTIONS)
        if shown != self._footer_shows:
            self._footer_shows = shown
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "explain_read_only":
            return self._read_only_refusal(str(parameters[0])) is not None
        if self._read_only_refusal(action.removeprefix("explain_")) is not None:
            return False  # off: neither in the footer nor on its key, which says why instead
        if action == "stop":
            return None if stop_refusal(self._selected_run()) else True  # None: shown, dimmed
        if action == "explain_stop":
            return stop_refusal(self._selected_run()) is not None
        if action in ("run_log", "explain_run_log"):
            refusal = log_refusal(self._selected_run(), self.session)
            return (None if refusal else True) if action == "run_log" else refusal is not None
        if action in TALENT_ACTIONS:
            return None if self._talent_refusal(action) else True
        if action.startswith("explain_") and action.removeprefix("explain_") in TALENT_ACTIONS:
            return self._talent_refusal(action.removeprefix("explain_")) is not None
        if action in ("cycle_backend", "explain_backends"):
            return self.fleet.single == (action == "explain_backends")
        if action in ("dismiss_missing", "explain_dismiss"):
            run = self._selected_run()
            dismissible = run is not None and run.missing
            return dismissible if action == "dismiss_missing" else not dismissible  # False: not in the footer
        return True

    def _read_only_refusal(self, action: str) -> str | None:
        """Why an action that changes a backend is off: every backend is read-only (start), or the selected
        run's is; None when it is not off."""
        if action not in CHANGING_ACTIONS:
            return None
        if action == "start":
            return None if self._writable_backends() else refusal("start")
        session = self.session
        if not session.settings.read_only:
            return None
        return refusal(action.replace("_", " "), None if self.fleet.single else self.session_name_of(session))

    def _writable_backends(self) -> list[str]:
        return [name for name, session in self.fleet.sessions.items() if not session.settings.read_only]

    def action_explain_read_only(self, action: str) -> None:
        self.notify(self._read_only_refusal(action) or "", severity="warning", markup=False)

    def action_move(self, delta: int) -> None:
        self._runs.move(delta)

    def action_sort(self) -> None:
        self._keep_runs_view(self._runs.view.next_order(1, self._runs.orders))

    def action_sort_back(self) -> None:
        self._keep_runs_view(self._runs.view.next_order(-1, self._runs.orders))

    def action_group(self) -> None:
        self._keep_runs_view(self._runs.view.next_grouping())

    def _runs_view_owner(self) -> str:
        """Whose order and grouping the runs list shows: the backend shown, or with several backends all
        shown, every backend's (`ALL_BACKENDS`)."""
        if self._backend_shown is None and not self.fleet.single:
            return ALL_BACKENDS
        return self.fleet.sessions[self._backend_shown or self.fleet.names[0]].url

    def _restore_runs_view(self) -> None:
        section = self._view_choices.get(self._runs_view_owner(), RUNS_SECTION)
        self._runs.set_view(RunsView.from_section(section, self._runs.orders))

    def _keep_runs_view(self, view: RunsView) -> None:
        self._runs.set_view(view)
        self._view_choices.set(self._runs_view_owner(), RUNS_SECTION, view.as_section())

    def action_focus_detail(self) -> None:
        self._detail.focus()

    async def action_back(self) -> None:
        # Whether the filter is being typed or was kept with enter: escape clears it either way.
        filter_input = self._filter
        if filter_input.has_focus or filter_input.value:
            filter_input.value = ""
            filter_input.display = False
        self._runs.focus()

    def action_start(self) -> None:
        writable = self._writable_backends()
        if not writable:
            self.action_explain_read_only("start")
            return
        if len(writable) == 1:  # a read-only backend is never offered
            self._start_on(writable[0])
            return

        def chosen(backend: str | None) -> None:
            if backend:
                self._start_on(backend)

        from tf_tui.ui.screens.backend import BackendScreen

        default = self._backend_shown or self.session_name_of(self.session)
        if default not in writable:
            default = writable[0]
        connections = {name: state for name, state in self.fleet.connections().items() if name in writable}
        self.push_screen(BackendScreen(writable, default, connections), chosen)

    def _start_on(self, backend: str, like: LikeRun | None = None) -> None:
        from tf_tui.ui.screens.start import StartScreen

        def started(train_id: str | None) -> None:
            if train_id:
                self._paint_changes()
                self._runs.select(train_id, self._row_backend(backend))

        self.push_screen(StartScreen(self.fleet.session(backend), like), started)

    def action_run_again(self) -> None:
        """The start dialog filled from the selected run, on its backend."""
        key = self._selected_key()
        run = None if key is None else self._run_of(key)
        if key is None or run is None:
            self.notify("No run is selected to run again.", timeout=3)
            return
        self._start_on(key.backend, LikeRun(short_id(run.train_id), run.facts()))

    def action_explain_stop(self) -> None:
        self.action_stop()

    def action_stop(self) -> None:
        run = self._selected_run()
        refusal = stop_refusal(run)
        if refusal is not None:
            self.notify(refusal, severity="warning", markup=False)
        elif run is not None:
            self._confirm_stop(run)

    def _confirm_stop(self, run: RunState) -> None:
        from tf_tui.ui.screens.confirm import ConfirmScreen

        session = self.session
        question = Text("Stop run ")
        question.append(short_id(run.train_id), style="bold")
        if not self.fleet.single:
            question.append(f" on {self.session_name_of(session)}")
        question.append(f" ({summary(run)})?")

        def answered(yes: bool | None) -> None:
            if yes:
                self.stop_run(session, run.train_id)

        self.push_screen(ConfirmScreen(question), answered)

    @work(group="stop", exit_on_error=False)
    async def stop_run(self, session: Session, train_id: str) -> None:
        try:
            outcome = await session.stop(train_id)
        except NotTalentFactory as error:
            outcome = StopOutcome(train_id, False, str(error))
        message = outcome.message if self.fleet.single else f"{self.session_name_of(session)}: {outcome.message}"
        self.notify(message, severity="information" if outcome.stopped else "warning", markup=False)

    def _environment_source(self) -> tuple[str | None, BackendApi]:
        """The machine line is about the selected run's backend, named when several are followed."""
        session = self.session
        return (None if self.fleet.single else self.session_name_of(session)), session.api

    def session_name_of(self, session: Session) -> str:
        """The name the fleet knows a backend's session by."""
        return next(name for name, each in self.fleet.sessions.items() if each is session)

    def action_watch(self) -> None:
        from tf_tui.ui.screens.watch import WatchScreen

        session = self.session

        def chosen(train_id: str | None) -> None:
            if train_id:
                self.watch_run(session, train_id)

        self.push_screen(WatchScreen(session.resolve), chosen)

    @work(group="watch", exit_on_error=False)
    async def watch_run(self, session: Session, train_id: str) -> None:
        await session.watch([train_id])
        self._paint_changes()
        self._runs.select(train_id, self._row_backend(self.session_name_of(session)))

    def action_datasets(self) -> None:
        from tf_tui.ui.screens.datasets import DatasetsScreen

        self.push_screen(DatasetsScreen(self.session))

    def _talent_refusal(self, action: str) -> str | None:
        """Why `e`, `p` or `t` cannot act now: the backend lacks the route, or (e, p) the run is not completed,
        or (p) it names no saved model."""
        missing = self.session.capabilities.missing(TALENT_ACTIONS[action])
        if missing or action == "talents":
            return missing
        run = self._selected_run()
        return completed_refusal(run, "evaluated") if action == "evaluate" else publish_refusal(run)

    def _refused(self, action: str) -> RunKey | None:
        """The selected run's key if `action` can act on it; else says why, and None."""
        refusal = self._talent_refusal(action)
        if refusal is not None:
            self.notify(refusal, severity="warning", markup=False)
        return self._selected_key() if refusal is None else None

    def action_evaluate(self) -> None:
        key = self._refused("evaluate")
        if key is not None:
            self.evaluate_run(key)

    def action_explain_evaluate(self) -> None:
        self.action_evaluate()

    @work(group="evaluate", exit_on_error=False)
    async def evaluate_run(self, key: RunKey) -> None:
        self._evaluations[key] = Evaluating()
        self._show_evaluation()
        try:
            self._evaluations[key] = await evaluate(self.fleet.session(key.backend), key.train_id)
        except ApiError as error:
            self._evaluations[key] = EvaluationFailed(str(error))
            self._refresh_footer()  # a backend without the route: the keys that need it dim
        self._show_evaluation()

    def _show_evaluation(self) -> None:
        """What `e` found in this session, else the evaluation the run's backend keeps."""
        key = self._selected_key()
        state = None
        if key is not None:
            state = self._evaluations.get(key) or self.fleet.session(key.backend).stories.evaluation(key.train_id)
        self._detail.query_one(EvaluationPart).show(state)

    def action_publish(self) -> None:
        from tf_tui.ui.screens.publish import PublishScreen

        key = self._refused("publish")
        if key is None:
            return
        run = self.fleet.get(key)

        def published(talent_id: str | None) -> None:
            if talent_id:
                self.notify(
                    f"Published run {short_id(key.train_id)} as talent {printable(talent_id, 60)}", markup=False
                )
            self._refresh_footer()

        name = f"{printable(run.base_model or 'talent', 20)}-{short_id(key.train_id)}"
        self.push_screen(PublishScreen(self.fleet.session(key.backend), key.train_id, name), published)

    def action_explain_publish(self) -> None:
        self.action_publish()

    def action_talents(self) -> None:
        refusal = self._talent_refusal("talents")
        if refusal is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        from tf_tui.ui.screens.talents import TalentsScreen

        self.push_screen(TalentsScreen(self.session), lambda _: self._refresh_footer())

    def action_explain_talents(self) -> None:
        self.action_talents()

    def action_explain_dismiss(self) -> None:
        self.action_dismiss_missing()

    def action_dismiss_missing(self) -> None:
        """A run the server does not know (a mistyped id) is only noise: take its row away."""
        run = self._selected_run()
        if run is None or not run.missing:
            self.notify('Only a run the server does not know (a "not found" row) can be dismissed.', timeout=3)
            return
        session = self.session
        self._runs.remove_run(run.train_id, self._runs.selected[0] if self._runs.selected else None)
        session.store.forget(run.train_id)

    @work(exclusive=True, group="resync", exit_on_error=False)
    async def action_resync(self) -> None:
        session = self.session
        where = "" if self.fleet.single else f" on {self.session_name_of(session)}"
        self.notify(f"Resyncing every watched run{where}", timeout=2)
        self._environment.reread()  # the machine too: fixed figures are read only when asked
        await session.resync()
        self.refresh_listing()

    def action_explain_backends(self) -> None:
        self.action_cycle_backend()

    def action_cycle_backend(self) -> None:
        """Every backend's runs, then each backend's alone in turn, then every backend's again."""
        if self.fleet.single:
            self.notify(
                f"Only one backend is followed ({printable(self.fleet.names[0], 40)}): b shows each backend's runs in "
                "turn when several are (give --url more than once, or [[backends]] in the config file).",
                timeout=5,
                markup=False,
            )
            return
        names: list[str | None] = [None, *self.fleet.names]
        self._backend_shown = names[(names.index(self._backend_shown) + 1) % len(names)]
        self._runs.show_backend(self._backend_shown)
        self._restore_runs_view()
        self.notify(f"Showing {self._backend_shown or 'every backend'}'s runs", timeout=2, markup=False)

    def _set_chart_view(self, view: ChartView) -> None:
        """Show the charts as `view` says, and keep it for the next launch."""
        self.chart_view = view
        self._detail.show_view(view)
        self._view_choices.set(self._view_backend, CHART_SECTION, view.section())

    def _selected_loss_steps(self) -> list[int]:
        run = self._selected_run()
        return [] if run is None else loss_steps(run.history)

    def action_smooth(self) -> None:
        self._set_chart_view(self.chart_view.next_smoothing())

    def action_zoom_in(self) -> None:
        steps = self._selected_loss_steps()
        view = self.chart_view.narrowed(steps)
        if view is not None:
            self._set_chart_view(view)
        elif len(steps) < 2:
            self.notify("No chart to narrow: the selected run has no loss curve yet.", timeout=3)
        else:
            self.notify("The chart shows the run's last few points: it narrows no further.", timeout=3)

    def action_zoom_out(self) -> None:
        view = self.chart_view.widened(self._selected_loss_steps())
        if view is None:
            self.notify("The chart shows the whole run already.", timeout=3)
        else:
            self._set_chart_view(view)

    def action_zoom_reset(self) -> None:
        self._set_chart_view(self.chart_view.reset())

    def action_y_scale(self) -> None:
        self._set_chart_view(self.chart_view.next_y_scale())

    def action_x_axis(self) -> None:
        self._set_chart_view(self.chart_view.other_x_axis())

    def action_toggle_mark(self) -> None:
        key = self._selected_key()
        if key is None:
            self.notify("No run is selected to mark.", timeout=3)
            return
        marked = key not in self.marks
        if marked:
            self.marks[key] = None
        else:
            del self.marks[key]
        self._runs.set_marked((self._row_backend(key.backend), key.train_id), marked)

    def action_compare(self) -> None:
        from tf_tui.ui.screens.compare import CompareScreen

        selected = self._selected_key()
        keys = [key for key in self.marks if self._run_of(key) is not None] or ([selected] if selected else [])
        if not keys:
            self.notify("No run to compare: mark runs with space, or select one.", timeout=3)
            return
        for backend in dict.fromkeys(key.backend for key in keys):
            self.fleet.session(backend).showing([key.train_id for key in keys if key.backend == backend])
        screen = CompareScreen(
            keys,
            self._run_of,
            history_kept=self._history_kept,
            show_backend=not self.fleet.single,
            no_color=self.no_color,
            view=self.chart_view,
            on_view=self._set_chart_view,
        )
        self.push_screen(screen)

    def _history_kept(self, key: RunKey) -> bool:
        """Whether the run's backend keeps a metrics history, as far as tf-tui has learnt."""
        return self.fleet.session(key.backend).capabilities.missing(Extension.METRICS) is None

    def action_filter(self) -> None:
        self._runs.prepare_filter()
        filter_input = self._filter
        filter_input.display = True
        filter_input.focus()

    def _filter_typed(self, text: str) -> None:
        """The list filtered as the field's value changes, in the same turn: the key's own frame shows the
        list filtered with the character. From the field's `Changed` message, the list came a frame after
        the character, which Textual spaces 17 to 33 ms apart."""
        self._runs.set_filter(text)

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        self._runs.focus()

    def action_event_log(self) -> None:
        from tf_tui.ui.screens.event_log import EventLogScreen

        self.push_screen(EventLogScreen(self.events))

    def action_explain_run_log(self) -> None:
        self.action_run_log()

    def action_run_log(self) -> None:
        run, session = self._selected_run(), self.session
        refusal = log_refusal(run, session)
        if refusal is not None or run is None:
            self.notify(refusal or "no run is selected", severity="warning", markup=False)
            return
        from tf_tui.ui.screens.run_log import RunLogScreen

        where = "" if self.fleet.single else self.session_name_of(session)
        # On return the footer may have to dim o: the screen may have learnt that the backend has no log.
        self.push_screen(RunLogScreen(session, run, where), lambda _: self._refresh_footer())

    def action_help(self) -> None:
        from tf_tui.ui.screens.help import HelpScreen, declared_bindings, key_rows

        bindings = remapped(declared_bindings(type(self)), self.keys)
        self.push_screen(
            HelpScreen(key_rows([binding for binding in bindings if not self._read_only_refusal(binding.action)]))
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from tf_tui.ui.screens.help import key_names

        # Textual's own "Keys" (its help panel) would sit beside ours, under the same name.
        textual_keys = (self.action_show_help_panel, self.action_hide_help_panel)
        yield from (command for command in super().get_system_commands(screen) if command.callback not in textual_keys)
        own = [binding for binding in self.BINDINGS if isinstance(binding, Binding)]
        for binding in remapped(own, self.keys):
            # Textual's palette has its own Quit. Called directly, not through the key's check: a
            # refused stop then says why.
            if binding.action == "quit" or self._read_only_refusal(binding.action):
                continue
            if binding.show or binding.action in NOT_IN_FOOTER:
                action = getattr(self, f"action_{binding.action}")
                keys = "  ".join(key_names(binding))
                yield SystemCommand(binding.description, f"{binding.tooltip} ({keys})", action)

    def _selected_key(self) -> RunKey | None:
        selected = self._runs.selected
        return None if selected is None else RunKey(selected[0] or self.fleet.names[0], selected[1])

    def _selected_run(self) -> RunState | None:
        key = self._selected_key()
        return None if key is None else self._run_of(key)

    def _run_of(self, key: RunKey) -> RunState | None:
        return self.fleet.sessions[key.backend].store.runs.get(key.train_id)


def stop_refusal(run: RunState | None) -> str | None:
    """Why a run cannot be stopped, in words, or None when it can."""
    if run is None:
        return "no run is selected"
    if run.missing:
        return f"run {short_id(run.train_id)} is not known to the server"
    if run.ended:
        return f"run {short_id(run.train_id)} already ended ({printable(run.status or '', 40)})"
    return None


def make_app(settings: Settings, *, connect: bool = True) -> TfTuiApp:
    """The one way the CLI and the screenshots build the app: with the runs the last dashboard showed, at once."""
    fleet = Fleet.from_settings(settings)
    snapshot = ScreenSnapshot(screen_snapshot_path(settings.state_file))
    snapshot.restore(fleet)
    return TfTuiApp(fleet, connect=connect, snapshot=snapshot)
