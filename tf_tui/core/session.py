"""Session: the one implementation of subscribe, reconnect, resync, poll and persist.

The dashboard and the headless commands both drive a Session. It owns the HTTP API client, the
update stream, the fallback poll loop, the run store and the state file:

    stream frame ─▶ protocol.parse_frame ─▶ RunStore.apply ─▶ on_change() ─▶ the view redraws
                                          └▶ event_text.describe_event ─▶ EventLog
    status read  ─▶ StatusReader ─▶ protocol.parse_status ─▶ RunStore.apply ─▶ on_change()

Runs are watched (subscribed, resynced, polled when silent) until they end or the server answers 404
for them. The runs a dashboard's listing names are read once each, those in view first and the rest at a
bounded pace (`FirstReads`); only those found going are watched. A run is remembered in the state file
once its backend has confirmed it (a status read answered for it, or the start reply named it), and
forgotten when a read finds it ended: an id the backend never confirmed lives in this session only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from tf_tui.base.capabilities import Capabilities
from tf_tui.base.ids import resolve_id
from tf_tui.base.options import DEFAULT_OUTCOME_PREFERENCE
from tf_tui.base.protocol import (
    TRAINING_STARTED,
    Event,
    Ignored,
    RunAnnounced,
    RunUpdate,
    parse_status,
)
from tf_tui.base.supervise import call_guarded, keep_running
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, HttpError, NotFound, NotTalentFactory, TalentFactoryApi
from tf_tui.client.poller import TICK_S, PollIntervals, due_for_poll, next_poll_at
from tf_tui.client.recognition import NOT_TALENT_FACTORY_RETRY_S
from tf_tui.client.stream import STABLE_AFTER_S, Backoff, ConnectionState, Phase, UpdateStream
from tf_tui.client.tls import backend_context
from tf_tui.core.alerts.watch import HealthWatch
from tf_tui.core.config import Backend, Settings
from tf_tui.core.event_text import describe_event
from tf_tui.core.eventlog import EventLog, Kind
from tf_tui.core.first_reads import FirstReads, Read
from tf_tui.core.history_reader import HistoryReader
from tf_tui.core.local_backend import LocalServerKeeper, move_memory
from tf_tui.core.ports import BackendApi, Clock, Stream, StreamFactory
from tf_tui.core.run_memory import RunMemory, run_memory_path
from tf_tui.core.state import StateFile
from tf_tui.core.status_reader import StatusReader
from tf_tui.core.store import Outcome, RunFacts, RunState, RunStore, Source
from tf_tui.core.stories import RunStories

log = logging.getLogger(__name__)

# How often a session that follows every run checks the state file for runs another tf-tui process
# added: one stat a tick, a read only when the file changed.
STATE_CHECK_S = 0.5


def _recent_runs(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """`/dashboard`'s recent runs, newest first, those with an id."""
    recent = dashboard.get("recent_runs")
    entries = recent if isinstance(recent, list) else []
    return [entry for entry in entries if isinstance(entry, dict) and isinstance(entry.get("id"), str)]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _SlowedBackoff(Backoff):
    """The stream's reconnect schedule, stretched to a minute while the URL answers as no Talent Factory does."""

    def __init__(self, schedule: Backoff, slowed: Callable[[], bool]) -> None:
        super().__init__(schedule.initial, schedule.cap, schedule.jitter)
        self._slowed = slowed

    def delay(self, failures: int, rng: Callable[[], float] = random.random) -> float:
        return NOT_TALENT_FACTORY_RETRY_S if self._slowed() else super().delay(failures, rng)


@dataclass(frozen=True)
class StartedRun:
    """A run the server accepted: its id, and the server's reply as it came (`tf-tui start --json` prints it)."""

    train_id: str
    reply: dict[str, Any]


# What the dashboard adds to a failed stop: it follows the run on, so it can promise to.
FOLLOWING_ON = " This backend can keep training after a failed stop, so tf-tui goes on following the run's updates."


@dataclass(frozen=True)
class StopOutcome:
    train_id: str
    stopped: bool  # the server confirmed the stop
    said: str  # what happened, in words
    may_train_on: bool = False  # the server failed the stop, and this backend can train on after that

    @property
    def message(self) -> str:
        """What happened; after a failed stop, that the run's updates are still followed (as the dashboard does)."""
        return self.said + (FOLLOWING_ON if self.may_train_on else "")


class Session:
    """What one client knows of one backend, kept current: owns the API client, the update stream, the
    poll loop, the run store, the event log and the state file. Callers say what to watch, start or
    stop; `on_change` tells them something in the store changed. Used as `async with Session(...)`."""

    def __init__(
        self,
        settings: Settings,
        *,
        api: BackendApi | None = None,
        stream: StreamFactory | None = None,
        clock: Clock = time.time,
        backoff: Backoff | None = None,
        poll_intervals: PollIntervals | None = None,
        on_state_problem: Callable[[str], None] = lambda problem: None,
        headless: bool = False,
        alerts: bool | None = None,
        first_reads: Callable[[Read], FirstReads] = FirstReads,
    ) -> None:
        """`api` and `stream` default to the real ones for `settings`: the HTTP API client and an
        `UpdateStream` reconnecting on the `backoff` schedule. `on_state_problem` is told, once each,
        what goes wrong with the state file: the headless commands say it on stderr. The event log has
        it too, and `state.problem` while it lasts. A `headless` command draws no chart and shows
        no event log: no run's stored metrics history is read, no run keeps metric points, and the event log
        takes no line per update frame (a line, a dataclass and a log call at thousands of frames a second).
        `alerts`: whether the health rules watch the runs (`settings.alerts` says which); by default the
        dashboard's do and a headless command's do not (`watch --alerts` asks for them).
        `first_reads` makes what paces the first status reads of the runs a dashboard's listing names, given
        the read to make (a test hands in a `FirstReads` with its own pace)."""
        self.settings = settings
        self.clock = clock
        self.poll_intervals = poll_intervals or PollIntervals()
        self._on_state_problem = on_state_problem
        self.on_change: Callable[[], None] = lambda: None
        self.events = EventLog(clock=clock)
        self.memory = RunMemory(run_memory_path(settings.state_file), settings.state_key, self._state_problem)
        self.store = RunStore(keep_history=not headless, recall=self.memory.recall)
        self._headless = headless
        self.counters: Counter[str] = Counter()
        self.capabilities = Capabilities()
        self.state = StateFile(settings.state_file)
        self.state.on_problem = self._state_problem
        self.state.ended = self._known_ended
        if self.state.problem:  # found while reading it, just now
            self._state_problem(self.state.problem)
        self._backoff = backoff or Backoff()
        # What the backend's URL answered, while it is not Talent Factory at all (learnt by the API client).
        self.not_talent_factory: str | None = None
        if api is None or stream is None:
            real_api, real_stream = self._connection(settings)
            api, stream = api or real_api, stream or real_stream
        self.api: BackendApi = api
        self.stream: Stream = self._new_stream(stream)
        self.last_message_at: float | None = None  # when the socket last brought anything
        self._reader = StatusReader(self._fetch_status, self._spawn)
        self._first_reads = first_reads(self._first_read)
        self._first_reads_task: asyncio.Task[None] | None = None
        # Each watched run's stored metrics, read once: a run joined late is drawn from its first step.
        self.history = HistoryReader(
            lambda train_id, after_step: self.api.metrics(train_id, after_step),
            self.store,
            self.capabilities,
            self.events,
            self._changed,
        )
        # What the runs a view shows said before this session saw them, read once each, a bounded number kept.
        self.stories = RunStories(
            self.history,
            lambda train_id: self.api.evaluation(train_id),
            self.store,
            self.capabilities,
            self.events,
            followed=lambda train_id: train_id in self.stream.watched,
            changed=self._changed,
        )
        self._last_polled: dict[str, float] = {}
        self._poll_wake = asyncio.Event()  # the poll loop looks again now: its interval may have changed
        self._batches_of_reads = 0  # batches of status reads going on: see `_memory_in_one_write`
        self._memory_changes: dict[str, bool] = {}  # runs to add (True) or remove once a batch is done
        self._read: set[str] = set()  # runs whose status has been read at least once
        self._learnt: set[str] = set()  # runs read since the last listing kept what is known of them
        # Watched runs that ended in this turn of the loop, and whether each is to be read back: `_end_watch_soon`.
        self._ended_due: dict[str, bool] = {}
        # `/dashboard` (which runs nvidia-smi on the deployed backend) is read by a listing only when it may
        # say something new: first, after each (re)connect (the server may have restarted, and then only it
        # lists the runs made before), on a resync of every run (`r`), and when `/train/active` lists a new id.
        self._recent_runs_due = True
        self._listed: set[str] = set()  # every id `/train/active` has listed
        self._opened = False  # the socket has opened once: each open after it is a reconnect
        self._tasks: set[asyncio.Task[Any]] = set()
        self._given_up: list[str] = []  # long-lived tasks that kept crashing
        # Whether every run of the backend is followed (the dashboard), not only those asked for: runs
        # announced by the server or added to the state file by another tf-tui are then watched at once.
        self.follows_all = False
        self._stream_task: asyncio.Task[None] | None = None
        watches_health = (not headless if alerts is None else alerts) and settings.alerts.enabled
        self.health = (
            HealthWatch(settings.alerts, self.store, self.events, self.stop, self._task) if watches_health else None
        )
        local = settings.fleet[0].local
        self._local_keeper = None if local is None else LocalServerKeeper(local, self.move_to, self.events, self._spawn)

    def _connection(self, settings: Settings) -> tuple[BackendApi, StreamFactory]:
        """The real API client and update stream for the backend of `settings`."""
        # Proxies from the environment never apply to a backend on this machine, nor does compression pay there.
        local = is_loopback(urlsplit(settings.url).hostname or "")
        tls = backend_context(settings.url, settings.ca_cert, insecure=settings.insecure, trust_env=not local)
        api = TalentFactoryApi(
            settings.url, settings.token, trust_env=not local, tls=tls, on_identity=self._identity_learnt
        )
        stream = partial(
            UpdateStream,
            settings.ws_url,
            settings.token,
            use_proxy=not local,
            compress=not local,
            backoff=_SlowedBackoff(self._backoff, lambda: self.not_talent_factory is not None),
            tls=tls,
            clock=self.clock,
        )
        return api, stream

    def _new_stream(self, make: StreamFactory) -> Stream:
        return make(on_event=self._on_event, on_state=self._on_connection, on_open=self._on_open)

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def state_key(self) -> str:
        return self.settings.state_key

    @property
    def connection(self) -> ConnectionState:
        if self._given_up:  # updates stopped coming for a bug of ours: never shown as live
            return ConnectionState(Phase.FAILED, reason="internal error")
        if self.not_talent_factory is not None:
            return ConnectionState(Phase.FAILED, reason=f"not a Talent Factory backend: {self.not_talent_factory}")
        return self.stream.state

    @property
    def watched(self) -> list[str]:
        return list(self.stream.watched)

    @property
    def poll_interval(self) -> float:
        """How long a watched run may go unheard, now, before its status is read: short while the
        socket is down (every run is read that often), long while it is live; a minute while the URL is not
        Talent Factory at all."""
        if self.not_talent_factory is not None:
            return NOT_TALENT_FACTORY_RETRY_S
        return self.poll_intervals.current(self.stream.live)

    async def __aenter__(self) -> Session:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @asynccontextmanager
    async def without_stream(self) -> AsyncIterator[Session]:
        """The session for one question and its answer over HTTP (`tf-tui status`, `tf-tui stop`): no update
        stream, no poll loop, no remembered runs watched; closed on leaving. Used as
        `async with Session(...).without_stream() as session`."""
        try:
            yield self
        finally:
            await self.close()

    async def open(self, *, restore: bool = True, follow_all: bool = False) -> None:
        """Connect, and (by default) watch the runs the state file remembers for this backend. With
        `follow_all`, runs started elsewhere are watched as soon as the server announces them or another
        tf-tui process records them in the state file."""
        self.follows_all = follow_all
        self._stream_task = self._supervise("stream", self.stream.run)
        self._supervise("poll loop", self._poll_loop)
        if follow_all:
            self._supervise("state file watcher", self._state_file_loop)
        remembered = self.state.active(self.state_key)
        if restore and remembered:
            self.events.add(f"restoring {len(remembered)} active run(s) from {self.state.path}", kind=Kind.SUBSCRIPTION)
            await self._watch_remembered(remembered)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        ended, self._ended_due = self._ended_due, {}
        self._keep_facts(ended)  # the runs that ended in the last turn; unwatched already, as the tasks are gone
        await self.api.aclose()

    async def move_to(self, backend: Backend) -> None:
        """The backend now answers at `backend.url` (the `--local` server, found again after it was gone):
        what is kept of it moves to the new URL, the API client and the socket go there, and the socket's
        first open reads every watched run again (what the new server says of them)."""
        old_url = self.url
        self.settings = self.settings.for_backend(backend)
        move_memory(self.state, self.settings, old_url, self.url)
        self.memory = RunMemory(run_memory_path(self.settings.state_file), self.state_key, self._state_problem)
        api, stream = self._connection(self.settings)
        old_api, self.api = self.api, api
        watched = list(self.stream.watched)
        if self._stream_task is not None:
            self._stream_task.cancel()
        self.stream = self._new_stream(stream)
        for train_id in watched:
            await self.stream.subscribe(train_id)  # sent when the socket opens
        self._stream_task = self._supervise("stream", self.stream.run)
        await old_api.aclose()
        self._changed()

    async def watch(self, train_ids: Iterable[str]) -> None:
        """Follow runs: subscribe (now, or when the socket opens) and read each one's status; the read that
        confirms a run remembers it."""
        new = [
            train_id
            for train_id in dict.fromkeys(train_ids)
            if train_id not in self.stream.watched and not self._known_ended(train_id)
        ]
        for train_id in new:
            self.store.ensure(train_id)
            self._first_reads.discard(train_id)  # the resync below reads it
            self._last_polled[train_id] = self.clock()  # the resync below is its first read
            self.events.add(f"subscribing to {train_id}", kind=Kind.SUBSCRIPTION)
            await self.stream.subscribe(train_id)
        if new:
            self._poll_wake.set()
            self._spawn(self.resync(new), "resync")
            if not self._headless:
                self._spawn(self.history.read(new), "metrics history")
            self._changed()

    def showing(self, train_ids: Iterable[str]) -> None:
        """A view shows these runs (selected, compared): their stories are read in the background, each once
        (`RunStories`). A headless command draws no chart: it reads none."""
        if not self._headless:
            self._spawn(self.stories.show(list(train_ids)), "run stories")

    async def _watch_remembered(self, train_ids: list[str]) -> None:
        """Watch the runs the state file remembers active: they were going when a tf-tui last saw them, so the
        end each comes to is news, even one that came while no tf-tui was running."""
        for train_id in train_ids:
            if not self._known_ended(train_id):
                self.store.expect_going(train_id)
        await self.watch(train_ids)

    def _known_ended(self, train_id: str) -> bool:
        run = self.store.runs.get(train_id)
        return run is not None and run.ended

    async def unwatch(self, train_id: str) -> None:
        if train_id in self.stream.watched:
            self.events.add(f"unsubscribing from {train_id}", kind=Kind.SUBSCRIPTION)
            await self.stream.unsubscribe(train_id)
        self._keep_active(train_id, active=False)

    def _keep_active(self, train_id: str, *, active: bool) -> None:
        """Add a run to the state file or remove it: at once, or with the batch of reads going on."""
        if self._memory_changes.get(train_id, self.state.remembers(self.state_key, train_id)) is active:
            return  # nothing to change: no lock taken, no file read
        if self._batches_of_reads:
            self._memory_changes[train_id] = active
        else:
            self.state.update(self.state_key, {train_id: active})

    async def start(
        self,
        base_model: str,
        dataset_ids: list[str],
        *,
        params: dict[str, Any],
        outcome: str = DEFAULT_OUTCOME_PREFERENCE,
    ) -> StartedRun:
        """Start a run and watch it at once; its first statuses are read back by the resync."""
        reply = await self.api.start(base_model, dataset_ids, params, outcome)
        started = StartedRun(reply["train_id"], reply)  # the API client checked that it is a string
        self.events.add(f"started {started.train_id} ({base_model} on {', '.join(dataset_ids)})")
        # What was sent, kept: the deployed backend gives none of it back once the run leaves its five newest.
        sent = RunFacts(
            base_model=base_model,
            dataset_ids=tuple(dataset_ids),
            params=dict(params) or None,  # none given: the backend's defaults, which it does not say
            outcome_preference=outcome,
            created_at=datetime.fromtimestamp(self.clock()).isoformat(timespec="seconds"),  # naive local, as its own
        )
        self.store.add_facts(started.train_id, sent)
        self.store.expect_going(started.train_id)
        self.store.confirm(started.train_id)
        self.memory.remember({started.train_id: sent})
        self._keep_active(started.train_id, active=True)  # the server's own reply names it
        await self.watch([started.train_id])
        return started

    async def stop(self, train_id: str) -> StopOutcome:
        """Stop a run that is going, read first: the deployed backend rewrites a run that has ended `stopped`
        for good when asked to stop it, so an ended run (or one that cannot be read) is not asked."""
        try:
            run = await self.read(train_id)
        except ApiError as error:
            return StopOutcome(train_id, False, f"could not read run {train_id} first, so it was not stopped: {error}")
        if run.missing:
            return StopOutcome(train_id, False, f"the server does not know run {train_id}")
        if run.ended:
            return StopOutcome(train_id, False, f"run {train_id} had already ended ({printable(run.status)})")
        self.events.add(f"asking the server to stop {train_id}")
        try:
            reply = await self.api.stop(train_id)
        except NotTalentFactory:
            raise  # nothing to say of the run: the caller says what answered instead
        except NotFound:
            return StopOutcome(train_id, False, f"the server does not know run {train_id} or it is not active")
        except HttpError as error:
            if error.status_code == 409:  # the reference server: the run ended meanwhile
                await self._reader.read(train_id, Source.RESYNC)
                status = self.store.ensure(train_id).status
                return StopOutcome(train_id, False, f"run {train_id} had already ended ({status})")
            self.store.doubt_stop(train_id, self.clock())
            self.note_refusal(train_id, "stop", error)
            return StopOutcome(train_id, False, await self._failed_stop(train_id, error), may_train_on=True)
        except ApiError as error:
            self.note_refusal(train_id, "stop", error)
            return StopOutcome(train_id, False, f"could not ask the server to stop {train_id}: {error}")
        status = reply.get("status") if isinstance(reply.get("status"), str) else "stopped"
        progress = reply.get("progress") if isinstance(reply.get("progress"), int) else None
        self._apply(RunUpdate(train_id, status, progress), Source.POLL)
        return StopOutcome(train_id, True, f"stopped {train_id}")

    async def read(self, train_id: str) -> RunState:
        """The run as the server says it is now, read at once: what a command reads before it acts on a run.
        A run the server does not know is marked missing; a read that fails raises its `ApiError`."""
        await self._read_status(train_id, Source.RESYNC)
        return self.store.ensure(train_id)

    async def resync(self, train_ids: Iterable[str] | None = None) -> None:
        """Read the status of runs (default: every watched one) to learn what the stream missed."""
        if train_ids is None:
            self._recent_runs_due = True
        await self._read_statuses(self.stream.watched if train_ids is None else train_ids)

    async def refresh_listing(self, *, watch_active: bool = False) -> list[str]:
        """The runs the server knows of (`/train/active`, `/dashboard`'s recent runs) and the watched ones.

        Each listed run's status is read once: a listing says `completed`, the read says how it ended. With
        `watch_active` (the dashboard, which follows every run) those reads are paced, the runs in view first
        and the rest a trickle (`FirstReads`), and a run its read finds going is watched from then on; without
        it they are all made before this returns.
        """
        known = dict.fromkeys(self.stream.watched)
        active = await self.api.active()
        known.update(dict.fromkeys(active))
        recent: list[dict[str, Any]] = []
        if self._recent_runs_due or not self._listed.issuperset(active):
            recent = _recent_runs(await self.api.dashboard())
            # Oldest first, so that the store learns of runs in the order they were made.
            for entry in reversed(recent):
                train_id = entry["id"]
                known[train_id] = None
                self.store.describe(train_id, base_model=entry.get("base_model"), created_at=entry.get("created_at"))
                if train_id not in self.stream.watched:
                    self._apply(parse_status(train_id, entry), Source.POLL)
            self._recent_runs_due = False
        self._listed.update(active)
        unread = [train_id for train_id in known if train_id not in self._read and train_id not in self.stream.watched]
        if watch_active:
            self._read_lazily(unread)
            # What the listing and the reads since the last one taught, not every listed run's facts again:
            # with thousands of runs that took most of a second at each listing.
            self._keep_facts([*self.stream.watched, *(entry["id"] for entry in recent), *self._learnt])
        else:
            await self._read_statuses(unread)
            self._keep_facts(known)
        self._learnt.clear()
        return list(known)

    def has_read(self, train_id: str) -> bool:
        """Whether a status read of the run has been answered in this session (a listing reads each run it
        names once): a command that reads the runs it lists need not read those again."""
        return train_id in self._read

    @property
    def reads_pending(self) -> int:
        """How many runs a listing named are still to be read (`FirstReads`)."""
        return self._first_reads.pending

    def prioritise(self, train_ids: Iterable[str]) -> None:
        """The runs a view shows now, top first (the runs list calls this as it scrolls or resizes): those a
        listing named and no read has answered yet are read next, before the trickle of the others."""
        self._first_reads.prioritise(train_ids)

    def _read_lazily(self, listed: list[str]) -> None:
        """Listed runs, oldest first, to be read by `FirstReads`: each shown as not read yet until then."""
        for train_id in listed:
            self.store.await_read(train_id)
        self._first_reads.add(listed)
        if self._first_reads_task is None:
            self._first_reads_task = self._supervise("first status reads", self._first_reads.run)
        self._changed()

    async def _first_read(self, train_id: str) -> None:
        """A listed run's first status read (`FirstReads`); a run it finds going is watched from then on."""
        if train_id in self._read or train_id in self.stream.watched:
            return  # read meanwhile (an announcement's read, a watch's resync)
        await self._reader.read(train_id, Source.RESYNC)
        run = self.store.runs.get(train_id)
        if run is not None and run.going:
            await self.watch([train_id])

    def note_refusal(self, train_id: str, action: str, error: ApiError) -> None:
        """Something asked of a run that the server refused or failed (a stop's 500, a publish's 422): said in
        the event log and in the run's timeline."""
        self.events.add(f"{action} of {train_id} failed: {error}", logging.WARNING)
        self.store.note_refusal(train_id, f"{action} failed: {error}", self.clock())
        self._changed()

    async def _read_statuses(self, train_ids: Iterable[str]) -> None:
        with self._memory_in_one_write():
            await asyncio.gather(*(self._reader.read(train_id, Source.RESYNC) for train_id in list(train_ids)))

    @contextmanager
    def _memory_in_one_write(self) -> Iterator[None]:
        """While a batch of status reads is out, the runs they confirm join the state file and those they
        forget (a 404, an end) leave it together, in one write when it is done, not in one write each: every
        write reads and rewrites the whole file, so `status` on thousands of remembered runs that the server
        no longer knows took time growing with the square of their number. Batches may overlap: each one's
        end writes what is due."""
        self._batches_of_reads += 1
        try:
            yield
        finally:
            self._batches_of_reads -= 1
            changes, self._memory_changes = self._memory_changes, {}
            if changes:
                self.state.update(self.state_key, changes)

    async def resolve(self, typed: list[str]) -> list[str]:
        """Full ids for ids as typed (a unique prefix will do), checked against every run tf-tui can name.

        Raises `RunIdError` for a prefix that is too short or names several runs.
        """
        local = [*self.state.active(self.state_key), *(i for i, run in self.store.runs.items() if not run.missing)]
        if all(text.strip() in local for text in typed):
            return [text.strip() for text in typed]
        try:
            listed = [*await self.api.active(), *(entry["id"] for entry in _recent_runs(await self.api.dashboard()))]
        except NotTalentFactory:
            raise  # no id of its can be right
        except ApiError as error:  # the ids are then taken as typed; what follows reports the server
            self.events.add(f"could not list the server's runs to complete an id: {error}", logging.WARNING)
            listed = []
        return [resolve_id(text, [*local, *listed]) for text in typed]

    async def _failed_stop(self, train_id: str, error: ApiError) -> str:
        """The deployed backend answers 500 to a stop, marks the run stopped, and lets it train on.

        So the status read afterwards is shown but not taken as the run's end: the updates that
        follow are believed instead (`StopOutcome.may_train_on`).
        """
        try:
            reading = parse_status(train_id, await self.api.status(train_id))
        except ApiError as status_error:
            now = f"its status could not be read either ({status_error})"
        else:
            if isinstance(reading, Ignored):
                now = f"its status reads oddly ({reading.reason})"
            else:
                progress = "" if reading.progress is None else f" at {reading.progress}%"
                now = f"the server now says {printable(reading.status)!r}{progress}"
        return f"the server failed to stop {train_id} ({error}); {now}."

    async def _fetch_status(self, train_id: str, source: Source) -> None:
        """One status read, made by `self._reader` (never two of one run at once), and its answer taken."""
        if source is Source.POLL:
            self._last_polled[train_id] = self.clock()
            self.events.add(f"polling the status of {train_id}", kind=Kind.POLL)
        try:
            await self._read_status(train_id, source)
        except ApiError as error:
            self.events.add(f"status read of {train_id} failed: {error}", logging.WARNING)

    async def _read_status(self, train_id: str, source: Source) -> None:
        """One status read and its answer taken; a 404 forgets the run, any other failure is raised."""
        self.counters[f"status_reads.{source.value}"] += 1
        try:
            body = await self.api.status(train_id)
        except NotFound:
            self.events.add(f"the server does not know {train_id} (404); forgetting it", logging.WARNING)
            self.store.mark_missing(train_id, self.clock())
            await self.unwatch(train_id)
            self._changed()
            return
        self._read.add(train_id)
        self._learnt.add(train_id)
        update = parse_status(train_id, body)
        self._apply(update, source)
        if isinstance(update, Ignored):
            return
        # The backend answered for the run: remembered while it goes (if watched), forgotten once it ended.
        if self.store.runs[train_id].ended:
            self._keep_active(train_id, active=False)
        elif train_id in self.stream.watched:
            self._keep_active(train_id, active=True)

    def _apply(self, update: RunUpdate | Ignored, source: Source) -> None:
        if isinstance(update, Ignored):
            self.counters["ignored"] += 1
            self.events.add(f"ignored a {source.value} reading: {update.reason}", logging.WARNING)
            return
        before = self.store.runs.get(update.train_id)
        was_going, was_ended = (False, False) if before is None else (before.going, before.ended)
        changed = self.store.apply(update, source, self.clock())
        watched = update.train_id in self.stream.watched
        run = self.store.runs[update.train_id]
        if self.health is not None and changed and run.known_going:  # a run a listing reports ended is no news
            changed = self.health.updated(run, update.details, self.clock()) or changed
        # Said once, by whichever report brings the end first: a stop's reply, the stream's last update and
        # the server's announcement each tell of the same end.
        if run.ended and not was_ended:
            if was_going or watched:
                self.events.add(f"{update.train_id} ended: {run.status}")
            if watched:
                # Read back once: the deployed backend's status names the saved model (publishing needs it),
                # where its completion frame may not.
                self._end_watch_soon(
                    update.train_id, read_back=source is Source.WS and run.outcome is Outcome.COMPLETED
                )
        if changed:
            self._changed()

    def _on_event(self, event: Event) -> None:
        self.counters[f"frames.{type(event).__name__}"] += 1
        self.last_message_at = self.clock()
        line = None if self._headless and isinstance(event, RunUpdate) else describe_event(event)
        if line is not None:
            self.events.add(line.text, line.level, line.kind)
        if isinstance(event, RunUpdate):
            self._apply(event, Source.WS)
        elif isinstance(event, RunAnnounced):
            self._announced(event)

    def _announced(self, announced: RunAnnounced) -> None:
        """A run the server says began or ended. A hint only (the deployed backend never sends it): the
        listing still finds what was not announced."""
        train_id = announced.train_id
        if not self.follows_all and train_id not in self.store.runs:
            return  # a headless command follows only the runs it was asked for
        self.store.describe(train_id, base_model=announced.base_model)
        if announced.event == TRAINING_STARTED:
            self._spawn(self.watch([train_id]), "watch an announced run")
            return
        if announced.status is not None:
            self._apply(RunUpdate(train_id, announced.status, None, timestamp=announced.timestamp), Source.WS)
        if train_id not in self._read and train_id not in self.stream.watched:
            # How it ended (its result or error) is in its status, read once as a listed run's is.
            self._spawn(self._reader.read(train_id, Source.RESYNC), "read an ended run")

    def _on_connection(self, state: ConnectionState) -> None:
        level = logging.WARNING if state.phase in (Phase.RETRYING, Phase.FAILED) else logging.INFO
        if state.phase in (Phase.RETRYING, Phase.FAILED):
            self.history.socket_dropped(self.stream.watched)
        if state.phase is Phase.RETRYING and self._local_keeper is not None:
            self._local_keeper.check_soon(self.settings.fleet[0])  # is the `--local` server gone?
        self.events.add(f"socket {state.explain(self.clock())}", level, Kind.CONNECTION)
        self._poll_wake.set()  # live or down: the poll interval follows
        self._changed()

    def _end_watch_soon(self, train_id: str, *, read_back: bool) -> None:
        """An ended run's facts kept, its watch ended and (`read_back`) its status read once more, at the end of
        this turn of the loop with every run that ends in it: one write of the run memory and one of the state
        file. One a run rewrote both files whole (with up to 2,000 runs in each): 400 writes when 200 runs
        ended together, the first 200 of them before the frames after the first end were even taken."""
        if not self._ended_due:
            asyncio.get_running_loop().call_soon(self._end_due_watches)
        self._ended_due[train_id] = read_back

    def _end_due_watches(self) -> None:
        due, self._ended_due = self._ended_due, {}
        if not due:
            return
        self._keep_facts(due)
        self._spawn(self._unwatch_all(list(due)), "unwatch")
        read_back = [train_id for train_id, read in due.items() if read]
        if read_back:
            self._spawn(self._read_statuses(read_back), "status after the end")

    async def _unwatch_all(self, train_ids: list[str]) -> None:
        with self._memory_in_one_write():
            for train_id in train_ids:
                await self.unwatch(train_id)

    def _keep_facts(self, train_ids: Iterable[str]) -> None:
        """Keep what is known of these runs in the run memory (one write, none when nothing is new)."""
        runs = self.store.runs
        self.memory.remember(
            {
                train_id: runs[train_id].facts()
                for train_id in train_ids
                if train_id in runs and not runs[train_id].missing
            }
        )

    def _identity_learnt(self, answered: str | None) -> None:
        if answered is None:
            self.events.add(f"{self.url} answers as a Talent Factory backend again", kind=Kind.CONNECTION)
        else:
            self.events.add(
                f"{self.url} is not a Talent Factory backend: {answered}; asking again every "
                f"{NOT_TALENT_FACTORY_RETRY_S:.0f} s",
                logging.WARNING,
                Kind.CONNECTION,
            )
        self.not_talent_factory = answered
        self._poll_wake.set()  # the poll interval is a minute while the URL is not Talent Factory
        self._changed()

    def _state_problem(self, problem: str) -> None:
        """A problem with the state file or the run memory beside it: in the event log, and told once."""
        self.events.add(problem, logging.WARNING)
        call_guarded(self._on_state_problem, problem, what="the state file problem callback")
        self._changed()  # the dashboard's header shows it

    def _on_open(self, subscribed: list[str]) -> None:
        self._recent_runs_due = self._recent_runs_due or self._opened
        self._opened = True
        if subscribed:
            self._spawn(self.resync(subscribed), "resync")
            if not self._headless:
                self._spawn(self.history.catch_up(subscribed), "metrics catch-up")

    async def _state_file_loop(self) -> None:
        """The state file as a shared channel, as localStorage is between browser tabs: runs another
        tf-tui process on this machine (a headless `start`, a second dashboard) records for this backend
        are watched here too."""
        while True:
            if self.state.changed_on_disk():
                self.state.reload()  # a file that does not parse or cannot be read is reported, not raised
                await self._watch_remembered(self.state.active(self.state_key))
            await asyncio.sleep(STATE_CHECK_S)

    async def _poll_loop(self) -> None:
        """The fallback poll and the stall rule's clock. Between turns it sleeps until the next run falls due
        or could stall (a tick at least, the poll interval at most), woken at once when the poll interval may
        have changed (the socket went down or came back) or a run is watched."""
        while True:
            now = self.clock()
            interval = self.poll_interval
            in_flight = self._reader.in_flight
            runs = [self.store.ensure(train_id) for train_id in self.stream.watched]
            last_heard = {run.train_id: run.last_heard_at for run in runs if not run.ended}
            due = due_for_poll(now, last_heard, self._last_polled, in_flight, interval)
            if self.health is not None and self.health.tick(runs, now):
                self._changed()
            for train_id in due:
                self._spawn(self._reader.read(train_id, Source.POLL), "poll")
            moments = (
                next_poll_at(now, last_heard, self._last_polled, in_flight | set(due), interval),
                None if self.health is None else self.health.next_tick_at(runs, now),
            )
            wake_at = min((at for at in moments if at is not None), default=now + interval)
            self._poll_wake.clear()
            # `asyncio.timeout`, not `wait_for`: Python 3.11's `wait_for` loses a cancellation that comes as the
            # wake-up is set (a socket closing as the session closes), and the session's close then waits forever.
            with suppress(TimeoutError):
                async with asyncio.timeout(min(interval, max(TICK_S, wake_at - now))):
                    await self._poll_wake.wait()

    def _supervise(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> asyncio.Task[None]:
        return self._task(
            keep_running(name, work, on_crash=self._crashed, delay=self._backoff.delay, stable_after=STABLE_AFTER_S),
            name,
        )

    def _crashed(self, name: str, error: Exception, gave_up: bool) -> None:
        log.error("the %s crashed", name, exc_info=error)  # the traceback goes to the log file only
        what = f"internal error in the {name} ({type(error).__name__})"
        if gave_up:
            self._given_up.append(name)
            self.events.add(f"{what}; it kept failing and was given up (details in the log file)", logging.ERROR)
        else:
            self.events.add(f"{what}; restarting it", logging.ERROR)
        self._changed()

    def _changed(self) -> None:
        call_guarded(self.on_change, what="the view's change callback")

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._task(work, name)

    def _task(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """A task of the session's: cancelled on close, its crash said in the event log."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            self.events.add(f"internal error in {task.get_name()}: {error!r}", logging.ERROR)
