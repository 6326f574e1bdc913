"""The rules evaluated as updates arrive: a few numbers kept per run, constant time per update, never a pass
over a run's history.

A point is a step the run reports for the first time: a poll that repeats the step a frame brought is not
counted twice. Divergence and overfitting count points, so they need the step an update reports; a
non-finite loss needs none. A rule fires once per run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tf_tui.core.alerts.rules import Alert, Rule, loss_reading, number_text
from tf_tui.core.alerts.settings import AlertSettings
from tf_tui.core.history import is_step
from tf_tui.core.store import RunState


@dataclass(slots=True)
class RunHealth:
    """What the rules keep of one run between its updates."""

    last_step: int | None = None
    step_seen_at: float | None = None  # when the step last moved on: the stall rule's clock
    training_loss: float | None = None  # the latest finite training loss
    best_loss: float = math.inf
    points_above: int = 0  # points in a row above the divergence factor times the best loss
    above_since: int | None = None  # the step of the first of them
    best_held_out: float = math.inf
    training_at_best: float | None = None  # the training loss when the held-out loss was at its best
    evaluations_worse: int = 0  # evaluations in a row above the best held-out loss by more than the margin


class AlertMonitor:
    """Evaluates the rules for every run it is shown; says each alert once per run and rule."""

    def __init__(self, settings: AlertSettings) -> None:
        self.settings = settings
        self._health: dict[str, RunHealth] = {}

    def observe(self, run: RunState, details: Mapping[str, Any], now: float) -> list[Alert]:
        """The alerts an update of `run` raises; `details` are the update's own (the store's merge keeps an
        evaluation's held-out loss after it, where only a new one is news)."""
        if run.ended:
            self._health.pop(run.train_id, None)  # no more alerts: what fired stays in `run.alerts`
            return []
        health = self._health.setdefault(run.train_id, RunHealth(step_seen_at=now))
        step = details.get("step")
        step = step if is_step(step) else None
        loss, held_out = loss_reading(details.get("loss")), loss_reading(details.get("eval_loss"))
        fired = [self._non_finite(run, step, loss, held_out, now)]
        if step is not None and (health.last_step is None or step > health.last_step):
            health.last_step, health.step_seen_at = step, now
            if loss is not None:
                fired.append(self._divergence(run, health, step, loss, now))
            if held_out is not None and not math.isnan(held_out):
                fired.append(self._overfitting(run, health, step, held_out, now))
        return [alert for alert in fired if alert is not None]

    def check_stall(self, run: RunState, now: float) -> Alert | None:
        """Asked on the session's clock, not per update: a stalled run sends none. Only a run going that has
        reported a step can stall (one queued or reading its data has none to report)."""
        health = self._health.get(run.train_id)
        rule = self.settings.stall
        if health is None or health.last_step is None or health.step_seen_at is None or not run.going:
            return None
        waited = now - health.step_seen_at
        if waited < rule.seconds or not self._fires(run, Rule.STALL):
            return None
        return Alert(
            Rule.STALL,
            run.train_id,
            now,
            health.last_step,
            f"no new step for {waited:.0f} s (the limit is {rule.seconds:g} s); still at step {health.last_step}",
            {"seconds": round(waited, 1), "limit_s": rule.seconds},
            stops=rule.stop,
        )

    def stall_due_at(self, run: RunState) -> float | None:
        """The moment `check_stall` would find the run stalled if its step stays put; None when it cannot stall."""
        health = self._health.get(run.train_id)
        if health is None or health.last_step is None or health.step_seen_at is None or not run.going:
            return None
        return health.step_seen_at + self.settings.stall.seconds if self._fires(run, Rule.STALL) else None

    def forget(self, train_id: str) -> None:
        self._health.pop(train_id, None)

    def _fires(self, run: RunState, rule: Rule) -> bool:
        return self.settings.on(rule) and rule not in run.alerts

    def _non_finite(
        self, run: RunState, step: int | None, loss: float | None, held_out: float | None, now: float
    ) -> Alert | None:
        for key, name, value in (("loss", "loss", loss), ("eval_loss", "held-out loss", held_out)):
            if value is not None and not math.isfinite(value) and self._fires(run, Rule.NON_FINITE):
                where = "" if step is None else f" at step {step}"
                text = f"the {name} is {number_text(value)}{where}: the run is training on numbers no longer"
                return Alert(
                    Rule.NON_FINITE, run.train_id, now, step, text, {key: value}, self.settings.non_finite.stop
                )
        return None

    def _divergence(self, run: RunState, health: RunHealth, step: int, loss: float, now: float) -> Alert | None:
        """NaN says nothing of the trend (the non-finite rule tells of it); an infinite loss is above any bound."""
        if math.isnan(loss):
            return None
        rule = self.settings.divergence
        if math.isfinite(loss):
            health.training_loss = loss
        if loss < health.best_loss:
            health.best_loss, health.points_above, health.above_since = loss, 0, None
            return None
        if not (health.best_loss > 0 and loss > rule.factor * health.best_loss):
            health.points_above, health.above_since = 0, None
            return None
        health.points_above += 1
        health.above_since = health.above_since if health.above_since is not None else step
        if health.points_above < rule.points or not self._fires(run, Rule.DIVERGENCE):
            return None
        best = health.best_loss
        text = (
            f"the loss ({number_text(loss)}) has stayed above {rule.factor:g} times its best ({number_text(best)}) for"
            f" {health.points_above} points, since step {health.above_since}"
        )
        numbers = {"loss": loss, "best_loss": best, "factor": rule.factor, "points": health.points_above}
        return Alert(Rule.DIVERGENCE, run.train_id, now, step, text, numbers, rule.stop)

    def _overfitting(self, run: RunState, health: RunHealth, step: int, held_out: float, now: float) -> Alert | None:
        rule = self.settings.overfitting
        if held_out < health.best_held_out:
            health.best_held_out, health.training_at_best, health.evaluations_worse = held_out, health.training_loss, 0
            return None
        if held_out <= health.best_held_out * (1 + rule.margin):
            health.evaluations_worse = 0  # near its best: a plateau, not a climb
            return None
        health.evaluations_worse += 1
        training, at_best = health.training_loss, health.training_at_best
        falling = training is not None and at_best is not None and training < at_best
        if health.evaluations_worse < rule.evaluations or not falling or not self._fires(run, Rule.OVERFITTING):
            return None
        assert training is not None and at_best is not None  # `falling` says so
        best = health.best_held_out
        text = (
            f"the held-out loss ({number_text(held_out)}) has stayed above its best ({number_text(best)}) for"
            f" {health.evaluations_worse} evaluations while the training loss fell from {number_text(at_best)}"
            f" to {number_text(training)}"
        )
        numbers = {
            "eval_loss": held_out,
            "best_eval_loss": best,
            "evaluations": health.evaluations_worse,
            "loss": training,
            "loss_at_best": at_best,
        }
        return Alert(Rule.OVERFITTING, run.train_id, now, step, text, numbers, rule.stop)
