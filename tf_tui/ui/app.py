"""The dashboard: a keyboard-driven Textual app over one Session.

The app never repaints per WebSocket frame: the session says something changed, and the changed rows
are redrawn at most every FLUSH_INTERVAL_S inside one batch update (at once when updates are rare).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input

from tf_tui.client.api import ApiError
from tf_tui.config import Settings
from tf_tui.format import short_id, summary
from tf_tui.session import Session
from tf_tui.store import RunState
from tf_tui.text import printable
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.screens.help import HelpScreen
from tf_tui.ui.screens.start import StartScreen
from tf_tui.ui.screens.watch import WatchScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.header import StatusHeader, header_text
from tf_tui.ui.widgets.runs_list import RunsList

FLUSH_INTERVAL_S = 0.1
TICK_S = 1.0  # ages in the header and the rows
LISTING_INTERVAL_S = 30.0  # runs started elsewhere appear within this


class TfTuiApp(App[None]):
    TITLE = "tf-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [  # noqa: RUF012 - Textual's own declaration style
        Binding("j,down", "move(1)", "Down", show=False),
        Binding("k,up", "move(-1)", "Up", show=False),
        Binding("enter", "focus_detail", "Detail", show=False),
        Binding("escape", "back", "Back", show=False),
        Binding("s", "start", "Start"),
        Binding("x", "stop", "Stop"),
        Binding("w", "watch", "Watch"),
        Binding("r", "resync", "Resync"),
        Binding("slash", "filter", "Filter"),
        Binding("l", "event_log", "Log"),
        Binding("question_mark", "help", "Keys"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, session: Session, *, connect: bool = True, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.session = session
        self._connect = connect
        self._clock = clock
        self._flush_pending = False
        self._last_flush = 0.0
        self._going: set[str] = set()  # runs seen going: their end is announced
        # Held, not queried: App.query_one searches the active screen, which may be a dialog.
        self._header = StatusHeader(id="header")
        self._runs = RunsList(clock=clock, id="runs")
        self._detail = DetailPane(id="detail")
        self._filter = Input(
            placeholder="filter by id, model or status (enter keeps it, escape clears it)", id="filter"
        )

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._runs
        yield self._detail
        yield self._filter
        yield Footer()

    async def on_mount(self) -> None:
        settings = self.session.settings
        if settings.theme:
            if settings.theme in self.available_themes:
                self.theme = settings.theme
            else:
                self.session.events.add(f"unknown theme {settings.theme!r} in the config file; using the default")
        self._filter.display = False
        self.session.on_change = self._schedule_flush
        if self._connect:
            await self.session.open()
            self.refresh_listing()
            self.set_interval(LISTING_INTERVAL_S, self.refresh_listing)
        remembered = self.session.state.active(self.session.state_key)
        self._flush()
        if remembered:
            self._runs.select(remembered[-1])
        self._runs.focus()
        self.set_interval(TICK_S, self._tick)

    async def on_unmount(self) -> None:
        await self.session.close()

    # --- what the session says --------------------------------------------------------------

    def _schedule_flush(self) -> None:
        if self._flush_pending:
            return
        self._flush_pending = True
        delay = FLUSH_INTERVAL_S - (time.monotonic() - self._last_flush)
        if delay <= 0:
            self.call_later(self._flush)
        else:
            self.set_timer(delay, self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        if not self._runs.is_attached:
            return  # quitting
        self._last_flush = time.monotonic()
        runs = self._runs
        changed = self.session.store.take_changed()
        with self.batch_update():
            # In the order runs became known, so the newest lands on top of the list.
            for run in [run for train_id, run in self.session.store.runs.items() if train_id in changed]:
                runs.show(run)
                self._note_progress(run)
            if runs.selected_id in changed:
                self._detail.show(self.session.store.runs[runs.selected_id])
            self._update_header()
        self.refresh_bindings()

    def _tick(self) -> None:
        if not self._runs.is_attached:
            return
        with self.batch_update():
            self._update_header()
            self._runs.refresh_ages()

    def _update_header(self) -> None:
        now, last = self._clock(), self.session.last_message_at
        age = None if last is None else max(0.0, now - last)
        session = self.session
        text = header_text(session.url, session.connection, len(session.watched), age, now, session.state.problem)
        self._header.update(text)

    def _note_progress(self, run: RunState) -> None:
        """Announce the end of a run that was seen going (or was being watched before its end was known)."""
        if not run.ended:
            if run.status is not None or run.train_id in self.session.watched:
                self._going.add(run.train_id)
            return
        if run.train_id not in self._going:
            return
        self._going.discard(run.train_id)
        status = (run.status or "").strip().lower()
        severity = "information" if status == "completed" else ("error" if status == "failed" else "warning")
        message = f"{short_id(run.train_id)} {summary(run)}"
        self.notify(message, title=f"Run {status}", severity=severity, markup=False)
        self.bell()
        self._desktop_notification(f"tf-tui: run {short_id(run.train_id)} {status}", message)

    def _desktop_notification(self, title: str, body: str) -> None:
        """OSC 777 (or OSC 9) through the terminal: it reaches a laptop over SSH too."""
        kind = self.session.settings.desktop_notifications
        if not kind or self.is_headless or self._driver is None:
            return
        title, body = (printable(part, 200).replace(";", ",") for part in (title, body))
        sequence = f"\x1b]9;{title}: {body}\x07" if kind == "osc9" else f"\x1b]777;notify;{title};{body}\x07"
        if os.environ.get("TMUX"):  # tmux passes it on only wrapped, and with allow-passthrough on
            sequence = "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
        self._driver.write(sequence)

    @work(exclusive=True, group="listing", exit_on_error=False)
    async def refresh_listing(self) -> None:
        try:
            await self.session.refresh_listing(watch_active=True)
        except ApiError as error:
            self.session.events.add(f"could not list the server's runs: {error}")
        self._schedule_flush()

    # --- keys ---------------------------------------------------------------------------------

    @on(RunsList.Selected)
    def _selected(self, event: RunsList.Selected) -> None:
        run = None if event.train_id is None else self.session.store.runs.get(event.train_id)
        self._detail.show(run)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            run = self._selected_run()
            return None if run is None or run.ended or run.missing else True  # None: shown, dimmed
        return True

    def action_move(self, delta: int) -> None:
        self._runs.move(delta)

    def action_focus_detail(self) -> None:
        self._detail.focus()

    def action_back(self) -> None:
        filter_input = self._filter
        if filter_input.has_focus:
            filter_input.value = ""
            filter_input.display = False
        self._runs.focus()

    def action_start(self) -> None:
        def started(train_id: str | None) -> None:
            if train_id:
                self._flush()
                self._runs.select(train_id)

        self.push_screen(StartScreen(self.session), started)

    def action_stop(self) -> None:
        run = self._selected_run()
        if run is None or run.ended:
            return
        question = Text("Stop run ")
        question.append(short_id(run.train_id), style="bold")
        question.append(f" ({summary(run)})?")

        def answered(yes: bool | None) -> None:
            if yes:
                self.stop_run(run.train_id)

        self.push_screen(ConfirmScreen(question), answered)

    @work(group="stop", exit_on_error=False)
    async def stop_run(self, train_id: str) -> None:
        outcome = await self.session.stop(train_id)
        self.notify(outcome.message, severity="information" if outcome.stopped else "warning", markup=False)

    def action_watch(self) -> None:
        def chosen(train_id: str | None) -> None:
            if train_id:
                self.watch_run(train_id)

        self.push_screen(WatchScreen(), chosen)

    @work(group="watch", exit_on_error=False)
    async def watch_run(self, train_id: str) -> None:
        await self.session.watch([train_id])
        self._flush()
        self._runs.select(train_id)

    @work(exclusive=True, group="resync", exit_on_error=False)
    async def action_resync(self) -> None:
        self.notify("Resyncing every watched run", timeout=2)
        await self.session.resync()
        self.refresh_listing()

    def action_filter(self) -> None:
        filter_input = self._filter
        filter_input.display = True
        filter_input.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._runs.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        self._runs.focus()

    def action_event_log(self) -> None:
        self.push_screen(EventLogScreen(self.session.events))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Start a run", "Open the start dialog (s)", self.action_start)
        yield SystemCommand("Stop the selected run", "Asks first (x)", self.action_stop)
        yield SystemCommand("Watch a run by id", "Follow a run someone else started (w)", self.action_watch)
        yield SystemCommand("Resync", "Read every watched run's status now (r)", self.action_resync)
        yield SystemCommand("Filter runs", "Show only runs matching a text (/)", self.action_filter)
        yield SystemCommand("Event log", "Socket, subscriptions, updates, polls (l)", self.action_event_log)
        yield SystemCommand("Keys", "Every key (?)", self.action_help)

    def _selected_run(self) -> RunState | None:
        selected = self._runs.selected_id
        return None if selected is None else self.session.store.runs.get(selected)


def make_app(settings: Settings, *, connect: bool = True) -> TfTuiApp:
    """The one way the CLI and the screenshots build the app."""
    return TfTuiApp(Session(settings), connect=connect)
