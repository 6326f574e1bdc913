"""RunStories: what a run said before this session saw it, read from its backend when a view shows the run.

A run the session did not follow from its start (any finished run after a relaunch, a run a teammate
started) is known by its last status only: one point, and no evaluation. When a view shows it (the
dashboard selects it, the comparison opens on it), its whole metrics history (`GET /train/metrics/{id}`)
and, once it completed, its latest stored evaluation (`GET /evaluate/run/{id}`), both extensions of the
reference server, are read, once each: a finished run's story never changes, and a going run's history is
extended by the stream. A backend without a route is asked once (the session's capabilities remember
it); a chart then says from which step its history starts.

The stories of the `STORIES_KEPT` runs shown last are kept. A run shown longer ago lets its story go: its
evaluation, and its history when the backend holds it and the run is not followed live (its points then
came from nowhere else); shown again, it is read again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tf_tui.base.capabilities import Capabilities, Extension
from tf_tui.client.api import ApiError, NotFound, RouteMissing
from tf_tui.core.evaluation import Evaluation, evaluation_from_json
from tf_tui.core.eventlog import EventLog
from tf_tui.core.history_reader import HistoryReader
from tf_tui.core.store import Outcome, RunStore

STORIES_KEPT = 64

# A run's latest stored evaluation: `BackendApi.evaluation`.
ReadEvaluation = Callable[[str], Awaitable[dict[str, Any]]]


class RunStories:
    """Owns which runs were shown, most recent last, and their stored evaluations; histories are read by the
    session's `HistoryReader` into its store, so that a run's chart is drawn from one history whatever
    brought its points."""

    def __init__(
        self,
        history: HistoryReader,
        read_evaluation: ReadEvaluation,
        store: RunStore,
        capabilities: Capabilities,
        events: EventLog,
        *,
        followed: Callable[[str], bool],
        changed: Callable[[], None],
        kept: int = STORIES_KEPT,
    ) -> None:
        self._history = history
        self._read_evaluation = read_evaluation
        self._store = store
        self._capabilities = capabilities
        self._events = events
        self._followed = followed  # whether the session follows a run live
        self._changed = changed
        self._kept = kept
        self._shown: OrderedDict[str, None] = OrderedDict()
        self._evaluations: dict[str, Evaluation | None] = {}  # None: the backend keeps none for the run
        # One evaluation read at a time: the first answer says whether the backend has the route at all.
        self._evaluation_reads = asyncio.Lock()

    async def show(self, train_ids: Sequence[str]) -> None:
        """A view shows these runs: each one's story it does not have yet is read."""
        for train_id in train_ids:
            self._shown[train_id] = None
            self._shown.move_to_end(train_id)
        while len(self._shown) > self._kept:
            self._let_go(next(iter(self._shown)))
        await asyncio.gather(
            self._history.read_unread(train_ids), *(self._read_evaluation_of(train_id) for train_id in train_ids)
        )

    def evaluation(self, train_id: str) -> Evaluation | None:
        """The run's latest evaluation as its backend keeps it, once read."""
        return self._evaluations.get(train_id)

    def _let_go(self, train_id: str) -> None:
        del self._shown[train_id]
        self._evaluations.pop(train_id, None)
        run = self._store.runs.get(train_id)
        if run is not None and run.history.from_backend and not self._followed(train_id):
            self._store.drop_history(train_id)
            self._history.forget(train_id)

    async def _read_evaluation_of(self, train_id: str) -> None:
        """Only a completed run has a model to evaluate: the others are not asked about."""
        run = self._store.runs.get(train_id)
        if run is None or run.outcome is not Outcome.COMPLETED:
            return
        async with self._evaluation_reads:
            if train_id in self._evaluations or self._capabilities.missing(Extension.STORED_EVALUATION) is not None:
                return
            try:
                body = await self._read_evaluation(train_id)
            except RouteMissing as error:
                self._capabilities.lacks(Extension.STORED_EVALUATION, error.reason)
                return  # an evaluation shows once made in this session, as before the route
            except NotFound:
                return  # the run's status read says the server does not know it, and forgets it
            except ApiError as error:
                self._events.add(
                    f"could not read the stored evaluation of {train_id}: {error}; tried again when it is shown again",
                    logging.WARNING,
                )
                return
        if train_id not in self._shown:
            return  # let go while it was read
        stored = body.get("evaluation")
        self._evaluations[train_id] = evaluation_from_json(stored, train_id) if isinstance(stored, dict) else None
        self._store.touch(train_id)
        self._changed()
