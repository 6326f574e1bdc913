"""Fleet: several backends followed at once, one Session each, seen as one list of runs.

Each backend keeps everything of its own: its socket, back-off, poll loop, resyncs and state file key,
so one slow or dead backend never holds up another. The fleet only merges what the sessions know:

    session gpu1 ─┐
    session gpu2 ─┼─▶ Fleet.take_changed() / Fleet.runs() ─▶ the view or the headless command
    session cloud ┘

A run is keyed by (backend name, run id): the same id on two backends is two runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import cached_property, partial

from tf_tui.base.ids import RunIdError
from tf_tui.base.supervise import call_guarded
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, NotTalentFactory
from tf_tui.client.stream import ConnectionState, Phase
from tf_tui.core.config import Settings
from tf_tui.core.eventlog import EventLog, LogEntry
from tf_tui.core.session import Session
from tf_tui.core.store import RunState


@dataclass(frozen=True, order=True)
class RunKey:
    backend: str
    train_id: str


@dataclass(frozen=True)
class FleetRun:
    backend: str
    run: RunState

    @cached_property  # a view asks every run's key at each repaint: thousands of them
    def key(self) -> RunKey:
        return RunKey(self.backend, self.run.train_id)


class FleetError(RunIdError):
    """A run that several backends name, or a backend that is not followed; said in words."""


class UnknownRun(FleetError):
    """A run no backend of the fleet knows."""


class Fleet:
    """One Session per backend, by name, in the configured order; the runs of all, each under its backend.

    `on_change` is told when any session's store or connection changed (the view then takes the changes).
    """

    def __init__(self, sessions: Mapping[str, Session]) -> None:
        if not sessions:
            raise ValueError("a fleet has at least one backend")
        self.sessions = dict(sessions)
        self.on_change: Callable[[], None] = lambda: None
        self._order: dict[RunKey, None] = {}  # every run, in the order the fleet learned of it
        self._runs: list[FleetRun] = []  # `_order`'s runs, made again only when it changes
        self._place: dict[RunKey, int] = {}  # each run's place in `_runs`
        self._revisions: dict[str, int] = {}  # each store's revision when the order was last learned
        # With several backends, every backend's event lines in one log, each after its backend's name (one
        # backend's own log is its session's: a fleet made around one session leaves it as it was).
        self.events = EventLog()
        for name, session in self.sessions.items():
            session.on_change = self._changed
            if len(self.sessions) > 1:
                session.events.listeners.append(partial(self._copy_event, name))

    @classmethod
    def from_settings(cls, settings: Settings, make_session: Callable[[Settings], Session] = Session) -> Fleet:
        return cls({backend.name: make_session(settings.for_backend(backend)) for backend in settings.fleet})

    @property
    def names(self) -> list[str]:
        return list(self.sessions)

    @property
    def single(self) -> bool:
        return len(self.sessions) == 1

    def session(self, backend: str) -> Session:
        try:
            return self.sessions[backend]
        except KeyError:
            raise FleetError(f"no backend named {printable(backend)!r} is followed ({', '.join(self.names)})") from None

    async def open(self, *, restore: bool = True, follow_all: bool = False) -> None:
        """Open every session at once (`Session.open`): a backend that is slow to answer holds up none of the others."""
        await asyncio.gather(
            *(session.open(restore=restore, follow_all=follow_all) for session in self.sessions.values())
        )

    async def close(self) -> None:
        await asyncio.gather(*(session.close() for session in self.sessions.values()), return_exceptions=True)

    @asynccontextmanager
    async def without_stream(self) -> AsyncIterator[Fleet]:
        """Each backend's session without its stream (`Session.without_stream`): for one question and its
        answer over HTTP (`tf-tui status`, `tf-tui stop`); closed on leaving."""
        async with AsyncExitStack() as sessions:
            for session in self.sessions.values():
                await sessions.enter_async_context(session.without_stream())
            yield self

    async def __aenter__(self) -> Fleet:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def connections(self) -> dict[str, ConnectionState]:
        return {name: session.connection for name, session in self.sessions.items()}

    def live_count(self) -> int:
        return sum(1 for state in self.connections().values() if state.phase is Phase.LIVE)

    def get(self, key: RunKey) -> RunState:
        return self.session(key.backend).store.ensure(key.train_id)

    def runs(self) -> list[FleetRun]:
        """Every run of every backend, in the order the fleet learned of them."""
        self._learn_order()
        return list(self._runs)

    def runs_of(self, keys: Iterable[RunKey]) -> list[FleetRun]:
        """These runs, those the fleet knows, in the order it learned of them: `runs()` narrowed to a few
        without a pass over every run (a dashboard with ten thousand runs takes a few changed at a time)."""
        self._learn_order()
        return [self._runs[place] for place in sorted(self._place[key] for key in keys if key in self._place)]

    def take_changed(self) -> set[RunKey]:
        """The runs changed since the last call, on every backend."""
        self._learn_order()
        return {
            RunKey(name, train_id)
            for name, session in self.sessions.items()
            for train_id in session.store.take_changed()
        }

    def _learn_order(self) -> None:
        """Runs added or forgotten since the last call take or leave their place; nothing is done when none were."""
        revisions = {name: session.store.revision for name, session in self.sessions.items()}
        if revisions == self._revisions:
            return
        self._revisions = revisions
        for name, session in self.sessions.items():
            for train_id in session.store.runs:
                self._order.setdefault(RunKey(name, train_id), None)
        # A run the view dismissed (`store.forget`) leaves the order too.
        gone = [key for key in self._order if key.train_id not in self.sessions[key.backend].store.runs]
        for key in gone:
            del self._order[key]
        self._runs = [FleetRun(key.backend, self.sessions[key.backend].store.runs[key.train_id]) for key in self._order]
        self._place = {key: place for place, key in enumerate(self._order)}

    async def locate(self, typed: str) -> RunKey:
        """The one backend that knows a run named by its id or a unique prefix; an error in words if none
        or several do. Every backend is asked at once."""
        if self.single:
            [key] = await self.locate_all([typed])
            return key
        found = await asyncio.gather(*(self._known_on(name, typed) for name in self.sessions))
        known = [key for key in found if isinstance(key, RunKey)]
        if len(known) == 1:
            return known[0]
        if known:
            where = ", ".join(key.backend for key in known)
            raise FleetError(
                f"run {printable(typed)!r} is known to {len(known)} backends ({where}); say which with --backend NAME"
            )
        problems = "; ".join(problem for problem in found if isinstance(problem, str))
        raise UnknownRun(f"no backend knows run {printable(typed)!r}" + (f" ({problems})" if problems else ""))

    async def locate_all(self, typed: list[str]) -> list[RunKey]:
        """`locate` for several ids. One backend lists its runs once for them all: a listing per id made
        watching a thousand runs wait on two thousand listings before the first row."""
        if self.single:
            [(name, session)] = self.sessions.items()
            return [RunKey(name, train_id) for train_id in await session.resolve(typed)]
        return [await self.locate(text) for text in typed]

    async def _known_on(self, name: str, typed: str) -> RunKey | str | None:
        """The run on this backend, or a sentence on why the backend could not say, or None if it does not know it."""
        session = self.sessions[name]
        try:
            [train_id] = await session.resolve([typed])
        except (RunIdError, NotTalentFactory) as error:  # one backend's trouble: the others may know the run
            return f"{name}: {error}"
        was_known = train_id in session.store.runs
        await session.resync([train_id])
        run = session.store.ensure(train_id)
        if run.missing or run.status is None:
            if not was_known:
                session.store.forget(train_id)  # asked about, not found: no "not found" row on this backend
            return None if run.missing else f"{name} could not be asked"
        return RunKey(name, train_id)

    async def refresh_listings(self, *, watch_active: bool = False) -> dict[str, list[str] | ApiError]:
        """Each backend's listing (`Session.refresh_listing`), or the error that backend answered, all at once."""

        async def one(session: Session) -> list[str] | ApiError:
            try:
                return await session.refresh_listing(watch_active=watch_active)
            except ApiError as error:
                session.events.add(f"could not list the server's runs: {error}", logging.WARNING)
                return error

        answers = await asyncio.gather(*(one(session) for session in self.sessions.values()))
        return dict(zip(self.sessions, answers, strict=True))

    def prioritise(self, keys: Iterable[RunKey]) -> None:
        """The runs a view shows now, top first: each backend reads those of its runs not read yet first
        (`Session.prioritise`); a backend none of them is on reads its listed runs at its own pace."""
        by_backend: dict[str, list[str]] = {name: [] for name in self.sessions}
        for key in keys:
            by_backend.setdefault(key.backend, []).append(key.train_id)
        for name, train_ids in by_backend.items():
            if name in self.sessions:
                self.sessions[name].prioritise(train_ids)

    def remembered(self) -> list[RunKey]:
        """The active runs the state file remembers, each under its own backend."""
        return [
            RunKey(name, train_id)
            for name, session in self.sessions.items()
            for train_id in session.state.active(session.state_key)
        ]

    async def watch(self, keys: Iterable[RunKey]) -> None:
        by_backend: dict[str, list[str]] = {}
        for key in keys:
            by_backend.setdefault(key.backend, []).append(key.train_id)
        await asyncio.gather(*(self.session(name).watch(ids) for name, ids in by_backend.items()))

    def _copy_event(self, backend: str, entry: LogEntry) -> None:
        self.events.add(f"{backend}: {entry.text}", entry.level, entry.kind, to_file=False)

    def _changed(self) -> None:
        call_guarded(self.on_change, what="the fleet's change callback")


def as_fleet(source: Session | Fleet) -> Fleet:
    """A fleet of the one session, for the callers that follow one backend."""
    if isinstance(source, Fleet):
        return source
    return Fleet({source.settings.fleet[0].name: source})
