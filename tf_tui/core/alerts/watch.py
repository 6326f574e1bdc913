"""The rules wired into a session: each update and each tick of its clock evaluated, each alert kept on its
run, said in the event log, and acted on when its rule says `action = "stop"`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, Protocol

from tf_tui.core.alerts.monitor import AlertMonitor
from tf_tui.core.alerts.rules import Alert, Rule
from tf_tui.core.alerts.settings import AlertSettings
from tf_tui.core.eventlog import EventLog
from tf_tui.core.format import short_id
from tf_tui.core.store import RunState, RunStore


class StopResult(Protocol):
    @property
    def message(self) -> str: ...


def stop_notice(alert: Alert) -> str:
    """What an alert whose action is to stop adds to its sentence."""
    return f'; stopping the run, as [alerts.{alert.rule.value}] action = "stop" says'


def alert_line(alert: Alert) -> str:
    """The alert in one line, as the event log and `watch --alerts` say it."""
    return f"alert on {short_id(alert.train_id)}, {alert.rule.value}: {alert.text}" + (
        stop_notice(alert) if alert.stops else ""
    )


class HealthWatch:
    """Owns the session's `AlertMonitor`; the stops it asks for run as the session's tasks."""

    def __init__(
        self,
        settings: AlertSettings,
        store: RunStore,
        events: EventLog,
        stop: Callable[[str], Awaitable[StopResult]],
        spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]],
    ) -> None:
        self.monitor = AlertMonitor(settings)
        self._store = store
        self._events = events
        self._stop = stop
        self._spawn = spawn
        self._stopping: set[asyncio.Task[None]] = set()

    def updated(self, run: RunState, details: Mapping[str, Any], now: float) -> bool:
        """An update of a run tf-tui knows going: True when it raised an alert."""
        return self._fired(self.monitor.observe(run, details, now))

    def tick(self, runs: Iterable[RunState], now: float) -> bool:
        """The session's clock moved on: a run that sends nothing can only be found stalled this way."""
        return self._fired(alert for run in runs if (alert := self.monitor.check_stall(run, now)) is not None)

    def next_tick_at(self, runs: Iterable[RunState], now: float) -> float | None:
        """When `tick` may next find something: the first moment one of the runs would be found stalled, and no
        later than a stall's limit from now (a run that reports its first step meanwhile may stall then)."""
        settings = self.monitor.settings
        if not settings.on(Rule.STALL):
            return None
        moments = [at for at in map(self.monitor.stall_due_at, runs) if at is not None]
        return min([*moments, now + settings.stall.seconds])

    async def settled(self) -> None:
        """Every stop an alert asked for has had its answer: a command that exits at an alert waits for it."""
        await asyncio.gather(*self._stopping, return_exceptions=True)

    def _fired(self, alerts: Iterable[Alert]) -> bool:
        fired = False
        for alert in alerts:
            fired = True
            self._store.add_alert(alert)
            self._events.add(alert_line(alert), logging.WARNING)
            if alert.stops:
                task = self._spawn(self._stop_for(alert), "stop after an alert")
                self._stopping.add(task)
                task.add_done_callback(self._stopping.discard)
        return fired

    async def _stop_for(self, alert: Alert) -> None:
        outcome = await self._stop(alert.train_id)
        self._events.add(f"{outcome.message} (its {alert.rule.value} alert's action)")
