"""RunStore: every run's merged state, from the stream and from polls, by fixed rules. Pure.

The rules, because the sources disagree (see the backend contract's quirks):
- a terminal state (`completed`, `failed`, `stopped`) is final: nothing after it changes the run,
  though a later report of the same end may fill in a result (or a part of one) or error that was missing;
- `completed` means 100 %;
- progress never moves backwards, and a poll or resync that reports less progress than we already
  have is older news, so its status text is not taken either (the deployed backend's status endpoint
  says 95 after completion, and has no progress at all after a restart);
- a failed run keeps the progress it had reached (the deployed backend reports 100 on failure, and 0
  from its status endpoint); a stopped one takes the furthest progress anyone reported;
- free-text statuses are kept as the server wrote them and classified, never rejected;
- after a stop the server answered with an error, a `stopped` read over HTTP is not taken as the end
  for `DOUBTED_STOP_S`: the deployed backend marks the run stopped, answers 500, and trains on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from typing import Any, TypeGuard

from tf_tui.base.protocol import RunUpdate, StatusKind, classify_status, normalise_status
from tf_tui.core.alerts.rules import Alert, Rule
from tf_tui.core.history import POINT_LIMIT, MetricHistory, MetricPoint

DOUBTED_STOP_S = 30.0
TIMELINE_LENGTH = 100
DATES = ("created_at", "started_at", "ended_at")  # a run's dates, as RunState, RunUpdate and RunFacts name them


class Source(Enum):
    WS = "ws"
    POLL = "poll"
    RESYNC = "resync"


class Outcome(Enum):
    """How a run stands, in the one place that decides it: exit codes, toasts and colours follow from it."""

    GOING = "going"  # also a free-text status, and a run nothing has been heard of yet
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"
    MISSING = "missing"  # the server answered 404 for it


@functools.lru_cache(maxsize=16)  # as `classify_status`: asked for every frame, of a few statuses
def status_outcome(status: str | None) -> Outcome:
    """What a status says of a run's end; the server's casing and padding do not matter."""
    normalised = normalise_status(status)
    for outcome in (Outcome.COMPLETED, Outcome.FAILED, Outcome.STOPPED):
        if normalised == outcome.value:
            return outcome
    return Outcome.GOING


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A status the run reached, and from which source; or (`source` None) what tf-tui asked of the run and
    the server refused, in words."""

    at: float
    status: str
    source: Source | None


@dataclass(frozen=True)
class RunFacts:
    """What tf-tui knows of a run beyond its updates: what it sent to start it, what listings and status reads
    said of it. The deployed backend forgets most of it (its `/dashboard` names only its five newest runs), so
    tf-tui keeps it (`RunMemory`) and gives it back to the run when it next meets it."""

    base_model: str | None = None
    dataset_ids: tuple[str, ...] | None = None
    params: dict[str, Any] | None = None
    outcome_preference: str | None = None  # `speed`, `balanced` or `quality`: `outcome` in a status body
    created_at: str | None = None  # the server's dates, in its text
    started_at: str | None = None
    ended_at: str | None = None

    @property
    def empty(self) -> bool:
        return self == RunFacts()

    def over(self, older: RunFacts) -> RunFacts:
        """These facts, and the older ones for what these do not say."""
        said = {each.name: value for each in fields(self) if (value := getattr(self, each.name)) is not None}
        return replace(older, **said)


@dataclass(slots=True)  # thousands of runs: no dict of attributes each
class RunState:
    """Everything known of one run, merged from every source by the rules above; the views only read it."""

    train_id: str
    status: str | None = None
    progress: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    base_model: str | None = None
    created_at: str | None = None  # the server's dates, in its text
    started_at: str | None = None
    ended_at: str | None = None
    last_source: Source | None = None
    last_heard_at: float | None = None  # when any source last said anything about the run
    updated_at: float | None = None  # when the run last changed
    # When tf-tui saw the run's last change happen: None when all it knows of the run is an end read
    # after the fact (a listing, a status read), which says nothing of when that end came.
    seen_change_at: float | None = None
    missing: bool = False  # the server answered 404 for it
    remembered_dates: set[str] = field(default_factory=set)  # of DATES, those tf-tui gave: the server's win
    # tf-tui knew the run going: a report said so, tf-tui started it, or the state file remembered it active.
    # Only such a run's end is news (a toast, the bell): a listing reports runs that ended long ago.
    known_going: bool = False
    # A backend has answered for it (a status, a frame, a listing) or its start reply named it: until
    # then it is only an id someone typed, shown "unconfirmed" and never remembered.
    confirmed: bool = False
    # A listing named it and its status is still to be read (a dashboard reads thousands of listed runs at a
    # bounded pace, those in view first): shown as not read yet, with what the listing said of it.
    unread: bool = False
    # Restored from the screen a previous dashboard left (`ScreenSnapshot`), and no report of it has come since
    # (a listing that names it confirms it, but says nothing of its progress): shown as such.
    from_snapshot: bool = False
    failed_stop_at: float | None = None  # when the server last answered a stop with an error
    extra: dict[str, Any] = field(default_factory=dict)
    # The last `TIMELINE_LENGTH` entries (`_add_to_timeline`): a list, as most runs have one or two, where a
    # bounded deque took half a kilobyte each, thousands of runs over.
    timeline: list[TimelineEntry] = field(default_factory=list)
    history: MetricHistory = field(default_factory=MetricHistory)
    alerts: dict[Rule, Alert] = field(default_factory=dict)  # the health rules that fired for it, in order

    @property
    def kind(self) -> StatusKind:
        return classify_status(self.status)

    @property
    def ended(self) -> bool:
        return self.kind is StatusKind.TERMINAL

    @property
    def outcome(self) -> Outcome:
        """A run the server no longer knows is `MISSING` whatever was last heard: that is what it shows."""
        return Outcome.MISSING if self.missing else status_outcome(self.status)

    @property
    def going(self) -> bool:
        """Heard of, and neither ended nor unknown to the server: a run that goes on without tf-tui."""
        return self.status is not None and self.outcome is Outcome.GOING

    @property
    def step(self) -> int | None:
        step = self.details.get("step")
        return step if isinstance(step, int) else None

    def facts(self) -> RunFacts:
        """What is worth remembering of the run, from wherever it came (a status body's fields, or tf-tui's own)."""
        dataset_ids, params, outcome = (self.extra.get(key) for key in ("dataset_ids", "params", "outcome"))
        return RunFacts(
            base_model=self.base_model,
            dataset_ids=tuple(dataset_ids) if _is_texts(dataset_ids) else None,
            params=dict(params) if isinstance(params, dict) else None,
            outcome_preference=_text(outcome),
            created_at=self.created_at,
            started_at=self.started_at,
            ended_at=self.ended_at,
        )


class RunStore:
    """Owns every run's `RunState`, and which runs changed since the view last took them (`take_changed`).

    Every report goes through `apply`, which merges it by the rules of `merge`: an ended run stays ended,
    a doubted stop and older news are ignored, `completed` is 100, progress never goes backwards, and a
    failed run keeps the progress it reached. The views only read the runs.
    """

    def __init__(
        self, *, keep_history: bool = True, recall: Callable[[str], RunFacts | None] = lambda train_id: None
    ) -> None:
        """Without `keep_history` (a view with no chart) no run keeps metric points: the latest loss and
        held-out loss are in its details, and a frame costs no point made from them. `recall` gives what was
        known of a run before (`RunMemory.recall`): a run new to the store starts from it."""
        self.runs: dict[str, RunState] = {}
        self._history_points = POINT_LIMIT if keep_history else 0
        self._recall = recall
        self._changed: set[str] = set()
        # Counts the runs added and forgotten: a view that keeps the runs' order (`Fleet`) works it out again
        # only when this moved, not at every change of thousands of runs.
        self.revision = 0

    def ensure(self, train_id: str) -> RunState:
        """The run, made (and marked changed, so that the views show it) if the store did not know it yet."""
        if train_id not in self.runs:
            run = RunState(train_id, history=MetricHistory(self._history_points))
            remembered = self._recall(train_id)
            if remembered is not None:
                _fill_in_facts(run, remembered)
            self.runs[train_id] = run
            self._changed.add(train_id)
            self.revision += 1
        return self.runs[train_id]

    def restore(self, run: RunState) -> bool:
        """A run as a previous dashboard last showed it (`ScreenSnapshot`), unless the store knows it already;
        True when taken. It stays unconfirmed until a backend answers for it."""
        if run.train_id in self.runs:
            return False
        # Not filled in from `recall`: the snapshot has the run's facts, and the run memory, which can hold
        # thousands of runs, is read only once the first screen is up.
        run.history = MetricHistory(self._history_points)
        self.runs[run.train_id] = run
        self._changed.add(run.train_id)
        return True

    def add_facts(self, train_id: str, facts: RunFacts) -> None:
        """Facts no update carries (what tf-tui sent to start the run): each taken where the run lacks it."""
        if _fill_in_facts(self.ensure(train_id), facts):
            self._changed.add(train_id)

    def expect_going(self, train_id: str) -> None:
        """tf-tui knows the run was going though nothing said so yet: it started it, or the state file
        remembered it active. Its end, when heard, is news."""
        self.ensure(train_id).known_going = True

    def apply(self, update: RunUpdate, source: Source, at: float) -> bool:
        """Merge one report into its run; True when the run changed."""
        run = self.ensure(update.train_id)
        run.last_heard_at = at
        if not run.confirmed or run.unread or run.from_snapshot:
            run.confirmed, run.unread, run.from_snapshot = True, False, False
            self._changed.add(run.train_id)
        was_going = run.status is not None and not run.ended
        changed = merge(run, update, source, at)
        run.known_going = run.known_going or run.going
        if changed:
            run.updated_at = at
            run.last_source = source
            # A frame is sent as the change happens, and a read of a going run is its state now.
            if source is Source.WS or was_going or not run.ended:
                run.seen_change_at = at
            self._changed.add(run.train_id)
        return changed

    def describe(self, train_id: str, *, base_model: str | None = None, created_at: str | None = None) -> None:
        """Facts from listings (`/dashboard`) that no update carries."""
        run = self.ensure(train_id)
        if (base_model and run.base_model != base_model) or (created_at and run.created_at != created_at):
            run.base_model = base_model or run.base_model
            run.created_at = created_at or run.created_at
            self._changed.add(train_id)
        if created_at:
            run.remembered_dates.discard("created_at")  # the server's own date now

    def await_read(self, train_id: str) -> None:
        """A listing named the run, and its status is to be read: until a report of it comes, it shows as not
        read yet. Named by the backend, it is confirmed."""
        run = self.ensure(train_id)
        if not (run.unread and run.confirmed):
            run.unread = run.confirmed = True
            self._changed.add(train_id)

    def confirm(self, train_id: str) -> None:
        """The server named the run itself (its start reply), before any status of it is heard."""
        run = self.ensure(train_id)
        if not run.confirmed:
            run.confirmed = True
            self._changed.add(train_id)

    def add_history(self, train_id: str, points: Iterable[MetricPoint]) -> None:
        """The backend's stored points of a run, merged by step into those the updates brought."""
        run = self.ensure(train_id)
        run.history.merge(points)
        run.history.from_backend = True
        self._changed.add(train_id)

    def drop_history(self, train_id: str) -> None:
        """Let a run's points go: a bounded number of runs keep a history read for a view (`RunStories`)."""
        run = self.runs.get(train_id)
        if run is not None:
            run.history = MetricHistory(self._history_points)
            self._changed.add(train_id)

    def add_alert(self, alert: Alert) -> None:
        """A health rule fired for the run: shown on its row and in its detail, once."""
        run = self.ensure(alert.train_id)
        run.alerts.setdefault(alert.rule, alert)
        self._changed.add(alert.train_id)

    def touch(self, train_id: str) -> None:
        """What the views show of a run but the store does not keep changed (its stored evaluation): show it again."""
        if train_id in self.runs:
            self._changed.add(train_id)

    def note_refusal(self, train_id: str, text: str, at: float) -> None:
        """What tf-tui asked of the run and the server refused (a stop's 500, a publish's 422), in its timeline."""
        run = self.ensure(train_id)
        _add_to_timeline(run, TimelineEntry(at, text, None))
        self._changed.add(train_id)

    def doubt_stop(self, train_id: str, at: float) -> None:
        """The server failed a stop: its `stopped` readings for a while are not to be believed."""
        self.ensure(train_id).failed_stop_at = at

    def mark_missing(self, train_id: str, at: float) -> None:
        run = self.ensure(train_id)
        run.last_heard_at = at
        if not run.missing or run.from_snapshot:
            run.missing, run.updated_at, run.unread, run.from_snapshot = True, at, False, False
            self._changed.add(train_id)

    def forget(self, train_id: str) -> None:
        """A run the user dismissed (one the server does not know): gone from every view."""
        if self.runs.pop(train_id, None) is not None:
            self.revision += 1
        self._changed.discard(train_id)

    def take_changed(self) -> set[str]:
        """The runs that changed since the last call: what a view must redraw."""
        changed, self._changed = self._changed, set()
        return changed


def merge(run: RunState, update: RunUpdate, source: Source, at: float) -> bool:
    """Merge one report into `run`; True when anything in it changed. The rules, each one function below:

    - an ended run stays ended: a later report of the same end only fills in what it lacked (`_fill_in_end`);
    - a `stopped` read over HTTP soon after a failed stop is not believed (`_is_doubted_stop`);
    - a poll or resync behind the progress we have is older news, and ignored whole (`_is_older_news`);
    - otherwise the report is taken, its progress by `_PROGRESS_RULES`: `completed` is 100, a failed run keeps
      the progress it reached, and anything else (`stopped` too) keeps the furthest progress reported.
    """
    if run.ended:
        return _fill_in_end(run, update)
    if _is_doubted_stop(run, update, source, at) or _is_older_news(run, update, source):
        return False
    before = _merged_fields(run)
    if update.status is not None and update.status != run.status:
        run.status = update.status
        _add_to_timeline(run, TimelineEntry(at, update.status, source))
    progress_rule = _PROGRESS_RULES.get(status_outcome(update.status), _furthest)
    run.progress = progress_rule(run.progress, update.progress)
    _take_reported(run, update)
    return before != _merged_fields(run)


def _add_to_timeline(run: RunState, entry: TimelineEntry) -> None:
    run.timeline.append(entry)
    if len(run.timeline) > TIMELINE_LENGTH:
        del run.timeline[0]


def _take_reported(run: RunState, update: RunUpdate) -> None:
    """The newest report's details, result, error and extra fields win; what it does not mention stays."""
    if update.details:
        _record_metrics(run, update.details)
        run.details = {**run.details, **update.details}
    if update.result is not None:
        run.result = update.result
    if update.error is not None:
        run.error = update.error
    if update.extra:
        run.extra = {**run.extra, **update.extra}
        run.base_model = run.base_model or _text(update.extra.get("base_model"))
    _take_dates(run, update)


def _furthest(known: int | None, reported: int | None) -> int | None:
    """Progress never moves backwards: the sources lag one another (a poll the stream, a stop reply the last frame
    the run trained to), so the furthest progress anyone reported is kept, for a going run and a stopped one."""
    if reported is None:
        return known  # the deployed backend's status endpoint has no progress after a restart
    return reported if known is None else max(known, reported)


def _complete(known: int | None, reported: int | None) -> int:
    """`completed` means 100 %, whatever is reported with it: the deployed backend's status endpoint says 95."""
    return 100


def _as_reached(known: int | None, reported: int | None) -> int | None:
    """A failed run keeps the progress it had reached: the deployed backend reports 100 on failure, and 0 from its
    status endpoint. Only a run first heard of as failed takes the reported figure, for want of a better one."""
    return reported if known is None else known


ProgressRule = Callable[[int | None, int | None], int | None]
# Which progress a report leaves the run at, by the outcome its status says; any other: `_furthest`.
_PROGRESS_RULES: dict[Outcome, ProgressRule] = {Outcome.COMPLETED: _complete, Outcome.FAILED: _as_reached}


def _merged_fields(run: RunState) -> tuple[object, ...]:
    return (
        run.status,
        run.progress,
        run.details,
        run.result,
        run.error,
        run.extra,
        run.base_model,
        run.created_at,
        run.started_at,
        run.ended_at,
    )


def _take_dates(run: RunState, update: RunUpdate) -> None:
    """A run's dates do not change once the server said them: only the missing ones are taken, and those that
    tf-tui remembered (its own clock's, when it started the run) give way to the server's."""
    for name in DATES:
        said = getattr(update, name)
        if said and (getattr(run, name) is None or name in run.remembered_dates):
            setattr(run, name, said)
            run.remembered_dates.discard(name)


def _is_older_news(run: RunState, update: RunUpdate, source: Source) -> bool:
    """A poll or resync behind the progress we have is older news, its status text too: the stream is in order,
    polls can lag it. An end is never older news: the progress sent with it is its own, and its rule decides."""
    return (
        source is not Source.WS
        and classify_status(update.status) is not StatusKind.TERMINAL
        and update.progress is not None
        and run.progress is not None
        and update.progress < run.progress
    )


def _is_doubted_stop(run: RunState, update: RunUpdate, source: Source, at: float) -> bool:
    """After the server answered a stop with an error, its `stopped` reads over HTTP are not believed for
    `DOUBTED_STOP_S`: the deployed backend marks the run stopped, answers 500, and trains on. A frame is."""
    return (
        source is not Source.WS
        and run.failed_stop_at is not None
        and at - run.failed_stop_at < DOUBTED_STOP_S
        and status_outcome(update.status) is Outcome.STOPPED
    )


def _fill_in_end(run: RunState, update: RunUpdate) -> bool:
    """An ended run stays ended: nothing after its end changes it, not even another end (a late `stopped` after
    `completed`). A repeat of the end we already know may carry what the first report lacked: a listing says
    only `completed`, the status read after it brings the final step, loss, parameters and dates; the
    deployed backend's completion frame and status give different results, and only one may name the
    saved model: what was heard first stays, and what only the later one says is added. A listing says
    `failed` with no progress, the status read after it the progress that run had (0 on the deployed
    backend, rather than a `?`)."""
    if update.status is None or normalise_status(update.status) != normalise_status(run.status):
        return False
    before = _merged_fields(run)
    if run.progress is None:
        run.progress = _PROGRESS_RULES.get(status_outcome(run.status), _furthest)(None, update.progress)
    if update.result is not None:
        run.result = {**update.result, **(run.result or {})}
    run.error = run.error if run.error is not None else update.error
    if update.details:
        _record_metrics(run, update.details)
        run.details = {**update.details, **run.details}  # what was heard live stays
    run.extra = {**update.extra, **run.extra}
    run.base_model = run.base_model or _text(update.extra.get("base_model"))
    _take_dates(run, update)
    return before != _merged_fields(run)


def _record_metrics(run: RunState, details: dict[str, Any]) -> None:
    if not run.history.limit:
        return  # a store without history: no point made, a frame the cheaper
    point = MetricPoint.from_json(details)
    if point is not None:
        run.history.add(point)  # the same step reported again (a poll after a frame) merges into its point


def _fill_in_facts(run: RunState, facts: RunFacts) -> bool:
    """Take each fact the run lacks; what its updates brought stays. True when the run changed."""
    before = (run.base_model, run.created_at, run.started_at, run.ended_at, dict(run.extra))
    run.base_model = run.base_model or facts.base_model
    for name in DATES:
        if getattr(run, name) is None and getattr(facts, name) is not None:
            setattr(run, name, getattr(facts, name))
            run.remembered_dates.add(name)
    # As the reference server's status body names them: the comparison and the detail pane read them there.
    given = {"dataset_ids": facts.dataset_ids, "params": facts.params, "outcome": facts.outcome_preference}
    for key, value in given.items():
        if value is not None and key not in run.extra:
            run.extra[key] = list(value) if isinstance(value, tuple) else value
    return before != (run.base_model, run.created_at, run.started_at, run.ended_at, run.extra)


def _is_texts(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
