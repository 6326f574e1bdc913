"""RunStore: every run's merged state, from the stream and from polls, by fixed rules. Pure.

The rules, because the sources disagree (see the backend contract's quirks):
- a terminal state (`completed`, `failed`, `stopped`) is final: nothing after it changes the run,
  though a later report of the same end may fill in a result or error that was missing;
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

from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tf_tui.protocol import RunUpdate, StatusKind, classify_status, finite_number

LOSS_HISTORY = 300
DOUBTED_STOP_S = 30.0
TIMELINE_LENGTH = 100


class Source(Enum):
    WS = "ws"
    POLL = "poll"
    RESYNC = "resync"


@dataclass(frozen=True)
class TimelineEntry:
    at: float
    status: str
    source: Source


@dataclass
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
    failed_stop_at: float | None = None  # when the server last answered a stop with an error
    extra: dict[str, Any] = field(default_factory=dict)
    timeline: deque[TimelineEntry] = field(default_factory=lambda: deque(maxlen=TIMELINE_LENGTH))
    losses: deque[float] = field(default_factory=lambda: deque(maxlen=LOSS_HISTORY))

    @property
    def kind(self) -> StatusKind:
        return classify_status(self.status)

    @property
    def ended(self) -> bool:
        return self.kind is StatusKind.TERMINAL

    @property
    def step(self) -> int | None:
        step = self.details.get("step")
        return step if isinstance(step, int) else None


class RunStore:
    """Owns every run's `RunState`, and which runs changed since the view last took them (`take_changed`)."""

    def __init__(self) -> None:
        self.runs: dict[str, RunState] = {}
        self._changed: set[str] = set()

    def get(self, train_id: str) -> RunState:
        if train_id not in self.runs:
            self.runs[train_id] = RunState(train_id)
            self._changed.add(train_id)
        return self.runs[train_id]

    def apply(self, update: RunUpdate, source: Source, at: float) -> bool:
        """Merge one report into its run; True when the run changed."""
        run = self.get(update.train_id)
        run.last_heard_at = at
        was_going = run.status is not None and not run.ended
        changed = merge(run, update, source, at)
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
        run = self.get(train_id)
        if (base_model and run.base_model != base_model) or (created_at and run.created_at != created_at):
            run.base_model = base_model or run.base_model
            run.created_at = created_at or run.created_at
            self._changed.add(train_id)

    def doubt_stop(self, train_id: str, at: float) -> None:
        """The server failed a stop: its `stopped` readings for a while are not to be believed."""
        self.get(train_id).failed_stop_at = at

    def mark_missing(self, train_id: str, at: float) -> None:
        run = self.get(train_id)
        run.last_heard_at = at
        if not run.missing:
            run.missing, run.updated_at = True, at
            self._changed.add(train_id)

    def forget(self, train_id: str) -> None:
        """A run the user dismissed (one the server does not know): gone from every view."""
        self.runs.pop(train_id, None)
        self._changed.discard(train_id)

    def take_changed(self) -> set[str]:
        """The runs that changed since the last call: what a view must redraw."""
        changed, self._changed = self._changed, set()
        return changed


def merge(run: RunState, update: RunUpdate, source: Source, at: float) -> bool:
    if run.ended:
        return _fill_in_end(run, update)
    if _is_doubted_stop(run, update, source, at):
        return False
    kind = classify_status(update.status)
    if kind is not StatusKind.TERMINAL and _is_older_news(run, update, source):
        return False

    before = _merged_fields(run)
    if update.status is not None and update.status != run.status:
        run.status = update.status
        run.timeline.append(TimelineEntry(at, update.status, source))
    if update.status is not None and update.status.strip().lower() == "completed":
        run.progress = 100
    elif kind is not StatusKind.TERMINAL and update.progress is not None:
        run.progress = max(run.progress or 0, update.progress)
    elif kind is StatusKind.TERMINAL and run.progress is None:
        run.progress = update.progress
    elif (update.status or "").strip().lower() == "stopped" and update.progress is not None:
        run.progress = max(run.progress or 0, update.progress)
    if update.details:
        _record_loss(run, update.details)
        run.details = {**run.details, **update.details}
    if update.result is not None:
        run.result = update.result
    if update.error is not None:
        run.error = update.error
    if update.extra:
        run.extra = {**run.extra, **update.extra}
        run.base_model = run.base_model or _text(update.extra.get("base_model"))
    _take_dates(run, update)
    return before != _merged_fields(run)


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
    """A run's dates do not change once known: only the missing ones are taken."""
    run.created_at = run.created_at or update.created_at
    run.started_at = run.started_at or update.started_at
    run.ended_at = run.ended_at or update.ended_at


def _is_older_news(run: RunState, update: RunUpdate, source: Source) -> bool:
    """A poll or resync behind what we already know (the stream is in order; polls can lag it)."""
    return (
        source is not Source.WS
        and update.progress is not None
        and run.progress is not None
        and update.progress < run.progress
    )


def _is_doubted_stop(run: RunState, update: RunUpdate, source: Source, at: float) -> bool:
    return (
        source is not Source.WS
        and run.failed_stop_at is not None
        and at - run.failed_stop_at < DOUBTED_STOP_S
        and (update.status or "").strip().lower() == "stopped"
    )


def _fill_in_end(run: RunState, update: RunUpdate) -> bool:
    """A repeat of the end we already know may carry what the first report lacked: a listing says
    only `completed`, the status read after it brings the final step, loss, parameters and dates."""
    if update.status is None or update.status.strip().lower() != (run.status or "").strip().lower():
        return False
    before = _merged_fields(run)
    run.result = run.result if run.result is not None else update.result
    run.error = run.error if run.error is not None else update.error
    if update.details:
        _record_loss(run, update.details)
        run.details = {**update.details, **run.details}  # what was heard live stays
    run.extra = {**update.extra, **run.extra}
    run.base_model = run.base_model or _text(update.extra.get("base_model"))
    _take_dates(run, update)
    return before != _merged_fields(run)


def _record_loss(run: RunState, details: dict[str, Any]) -> None:
    loss, step = finite_number(details.get("loss")), details.get("step")
    if loss is None:
        return
    if step is not None and step == run.details.get("step"):
        return  # the same step reported again (a poll after a frame) is not a new point
    run.losses.append(loss)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
