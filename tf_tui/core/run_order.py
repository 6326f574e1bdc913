"""The runs list's order and grouping, as the user chose them: what each means for a run, and how the
choice is kept (a section of the view's choices, per backend).

Every order puts what most wants looking at first (runs going before ended ones, the lowest loss first,
the furthest along first), and ties go newest first: the list then reads the same from one update to the
next whatever order was chosen. What is not known yet of a run (a listed run whose status is not read yet
has no status, no progress and no date) puts it last, so that its read moves its row up or leaves it where
it is, never down past the runs not read yet (`age_key`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from tf_tui.base.protocol import finite_number, parse_server_time
from tf_tui.core.store import Outcome, RunState

SECTION = "runs"  # the view's choices' section for the runs list
NO_MODEL = "no model"  # the group of runs whose model is not known
NOT_READ = "not read yet"  # the status of a listed run whose status is not read yet, as its row says it


class Order(StrEnum):
    NEWEST = "newest"
    STATUS = "status"
    PROGRESS = "progress"
    LOSS = "loss"
    MODEL = "model"
    BACKEND = "backend"


class Grouping(StrEnum):
    NONE = "none"
    STATUS = "status"
    MODEL = "model"


# Runs going first, then how they ended: the ones that ended well before the ones to look into.
OUTCOME_RANK = {Outcome.GOING: 0, Outcome.COMPLETED: 1, Outcome.FAILED: 2, Outcome.STOPPED: 3, Outcome.MISSING: 4}
# Of the runs going, those at work first, then those getting ready, then those waiting (any other status).
GOING_RANK = {"training": 0, "running": 0, "evaluating": 1, "preprocessing": 1, "starting": 1}
NOT_READ_RANK = (max(OUTCOME_RANK.values()) + 1) * 10  # after every outcome: nothing is known of the run yet

Choice = TypeVar("Choice", Order, Grouping)


def cycled(choice: Choice, options: Sequence[Choice], step: int) -> Choice:
    """The option `step` places after `choice` (before it when negative), round the end."""
    return options[(options.index(choice) + step) % len(options)]


def status_label(run: RunState) -> str:
    """The status a run is grouped and sorted under, as its row says it."""
    if run.missing:
        return "not found"
    if _not_read(run):
        return NOT_READ
    return (run.status or "waiting").strip().lower()


def status_rank(run: RunState) -> int:
    if _not_read(run):
        return NOT_READ_RANK
    outcome = run.outcome
    return OUTCOME_RANK[outcome] * 10 + (GOING_RANK.get(status_label(run), 2) if outcome is Outcome.GOING else 0)


def group_of(grouping: Grouping, run: RunState) -> tuple[int, str]:
    """The run's group: where the group goes among the others, and its name (empty: no grouping)."""
    if grouping is Grouping.STATUS:
        return status_rank(run), status_label(run)
    if grouping is Grouping.MODEL:
        return (0, run.base_model) if run.base_model else (1, NO_MODEL)
    return 0, ""


def order_key(order: Order, run: RunState, backend_rank: int) -> tuple[Any, ...]:
    """What the run is sorted by, before its age: smaller first."""
    if order is Order.STATUS:
        return status_rank(run), status_label(run)
    if order is Order.PROGRESS:
        return (1, 0) if run.progress is None else (0, -run.progress)
    if order is Order.LOSS:
        loss = finite_number(run.details.get("loss"))
        return (1, 0.0) if loss is None else (0, loss)
    if order is Order.MODEL:
        return (1, "") if not run.base_model else (0, run.base_model.lower())
    if order is Order.BACKEND:
        return (backend_rank,)
    return ()


def age_key(run: RunState, known_order: int) -> tuple[int, float, int]:
    """What the run is sorted by after `order_key`, newest first: by the server's date (its creation, else
    its start), then, after every dated run, the runs whose date is not known yet, the last to become known
    first (`known_order` counts up as runs become known here).

    The reference server's `/train/active` names runs in the order they were started (the deployed
    backend's, every run since its process started, is taken to do the same), so runs not read yet show
    newest first too, and the read of one in view gives it a date older than the dated runs above it and
    newer than the runs still to read: its row stays where it is. In any listing order a read moves a row
    up, never below the runs not read yet. Were those sorted as the newest, each read would drop a row below
    them all and bring another into view, to be read next: reads at the in-view pace through the whole
    listing, and a list moving under the user all that time.
    """
    date = run_date(run)
    return (1, 0.0, -known_order) if date is None else (0, -date, -known_order)


def run_date(run: RunState) -> float | None:
    """When the run was made (else when it began), as epoch seconds, by the server's dates or what tf-tui
    remembers of them; None when neither is known."""
    return _server_date(run.created_at or run.started_at)


@lru_cache(maxsize=4096)  # a run's key is worked out again at each of its changes, and its date seldom changes
def _server_date(text: str | None) -> float | None:
    return parse_server_time(text)


def _not_read(run: RunState) -> bool:
    """A listed run with no status yet: its read is still to come (`RunStore.await_read`)."""
    return run.unread and run.status is None


@dataclass(frozen=True)
class RunsView:
    """How the runs list is ordered and grouped."""

    order: Order = Order.NEWEST
    grouping: Grouping = Grouping.NONE

    @classmethod
    def from_section(cls, section: dict[str, Any], orders: Sequence[Order] = tuple(Order)) -> RunsView:
        """The choices as kept; anything unknown (the file is the user's to edit) is the default."""
        order = section.get("sort")
        grouping = section.get("group")
        return cls(
            Order(order) if order in [each.value for each in orders] else Order.NEWEST,
            Grouping(grouping) if grouping in [each.value for each in Grouping] else Grouping.NONE,
        )

    def next_order(self, step: int, orders: Sequence[Order] = tuple(Order)) -> RunsView:
        return replace(self, order=cycled(self.order, orders, step))

    def next_grouping(self) -> RunsView:
        return replace(self, grouping=cycled(self.grouping, tuple(Grouping), 1))

    def as_section(self) -> dict[str, Any]:
        return {"sort": self.order.value, "group": self.grouping.value}
