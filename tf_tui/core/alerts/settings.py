"""The `[alerts]` table of the config file: each rule's thresholds, whether it is on, and its action.

    [alerts]
    enabled = true            # every rule at once
    [alerts.divergence]
    factor = 3.0              # the loss above 3 times its best so far ...
    points = 5                # ... for 5 reported points in a row
    action = "stop"           # stop the run too ("notify", the default, only tells)

The defaults, and why, are beside each field below.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from tf_tui.core.alerts.rules import Rule

ACTIONS = ("notify", "stop")


@dataclass(frozen=True)
class RuleSwitch:
    """What every rule's table has, before its thresholds: whether it is on, and whether it stops the run."""

    enabled: bool = True
    stop: bool = False  # `action = "stop"`


@dataclass(frozen=True)
class NonFiniteRule(RuleSwitch):
    pass


@dataclass(frozen=True)
class DivergenceRule(RuleSwitch):
    # A training loss three times its best has lost most of what the run learnt: noise and a loss spike
    # after a learning-rate warm-up stay well under it (the reference trainer's smoothed loss moves by tens
    # of per cent, not hundreds). Five points in a row, so that one bad batch is not enough.
    factor: float = 3.0
    points: int = 5


@dataclass(frozen=True)
class StallRule(RuleSwitch):
    # Five minutes with no new step: a run that reports no word for 75 s is already shown `stale`, but an
    # evaluation pass or a checkpoint saved by a big model reports no step for minutes and is no stall.
    seconds: float = 300.0


@dataclass(frozen=True)
class OverfittingRule(RuleSwitch):
    # Five evaluations in a row above the best held-out loss, as early stopping's "patience" counts: one or two
    # worse evaluations are noise of the held-out sample, five while the training loss still falls are not.
    evaluations: int = 5
    # Above it by more than 2 %: a healthy run on its plateau wanders within a per cent of its best (the
    # reference trainer's tiny model at 2,500 steps sat 0.6 % above it for six evaluations), while one that
    # overfits climbs by tens of per cent (17 % at the first evaluation after its best, on 40 examples).
    margin: float = 0.02


RuleSettings = NonFiniteRule | DivergenceRule | StallRule | OverfittingRule


@dataclass(frozen=True)
class AlertSettings:
    enabled: bool = True
    non_finite: NonFiniteRule = field(default_factory=NonFiniteRule)
    divergence: DivergenceRule = field(default_factory=DivergenceRule)
    stall: StallRule = field(default_factory=StallRule)
    overfitting: OverfittingRule = field(default_factory=OverfittingRule)

    def rule(self, rule: Rule) -> RuleSettings:
        settings: RuleSettings = getattr(self, rule.value)
        return settings

    def on(self, rule: Rule) -> bool:
        return self.enabled and self.rule(rule).enabled


# Each rule's keys in the config file, beside `enabled` and `action`: what each must be, in words and as a test.
_THRESHOLDS: dict[str, tuple[str, type, Callable[[float], bool]]] = {
    "factor": ("a number above 1", float, lambda value: value > 1),
    "points": ("a whole number of 1 or more", int, lambda value: value >= 1),
    "seconds": ("a number of seconds above 0", float, lambda value: value > 0),
    "evaluations": ("a whole number of 1 or more", int, lambda value: value >= 1),
    "margin": ("a fraction of 0 or more (0.02 is 2 %)", float, lambda value: value >= 0),
}
TABLE_KEYS = ("enabled", *(rule.value for rule in Rule))


def rule_keys(rule: Rule) -> tuple[str, ...]:
    """The keys of a rule's table: `enabled`, `action` and its thresholds."""
    names = [each.name for each in fields(AlertSettings().rule(rule)) if each.name != "stop"]
    return (*names, "action")


class AlertConfigError(ValueError):
    """A value of the `[alerts]` table that cannot be used; the message names its key."""


@dataclass(frozen=True)
class UnknownAlertKey:
    """A key of the `[alerts]` table that is none of its known ones, and the table it is in."""

    key: str
    known: tuple[str, ...]
    table: str


def unknown_alert_key(table: object) -> UnknownAlertKey | None:
    """The first key of the `[alerts]` table, or of one of its rules' tables, that is not known."""
    if not isinstance(table, dict):
        return None
    for key, value in table.items():
        if key not in TABLE_KEYS:
            return UnknownAlertKey(key, TABLE_KEYS, "alerts")
        if key != "enabled" and isinstance(value, dict):
            known = rule_keys(Rule(key))
            for inner in value:
                if inner not in known:
                    return UnknownAlertKey(inner, known, f"alerts.{key}")
    return None


def alert_settings(table: object) -> AlertSettings:
    """The settings the `[alerts]` table gives (its keys already checked by `unknown_alert_key`)."""
    if table is None:
        return AlertSettings()
    if not isinstance(table, dict):
        raise AlertConfigError("alerts must be a table: [alerts]")
    return AlertSettings(
        enabled=_boolean(table.get("enabled", True), "alerts.enabled"),
        non_finite=_rule(NonFiniteRule(), table, Rule.NON_FINITE),
        divergence=_rule(DivergenceRule(), table, Rule.DIVERGENCE),
        stall=_rule(StallRule(), table, Rule.STALL),
        overfitting=_rule(OverfittingRule(), table, Rule.OVERFITTING),
    )


Settings = TypeVar("Settings", NonFiniteRule, DivergenceRule, StallRule, OverfittingRule)


def _rule(defaults: Settings, table: Mapping[str, Any], rule: Rule) -> Settings:
    """A rule's settings: its defaults, and what its table in `[alerts]` gives."""
    where = f"alerts.{rule.value}"
    given = table.get(rule.value, {})
    if not isinstance(given, dict):
        raise AlertConfigError(f"{where} must be a table: [{where}]")
    changes: dict[str, Any] = {}
    for key, value in given.items():
        name = f"{where}.{key}"
        if key == "enabled":
            changes["enabled"] = _boolean(value, name)
        elif key == "action":
            if value not in ACTIONS:
                close = difflib.get_close_matches(str(value), ACTIONS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise AlertConfigError(f"{name} must be {' or '.join(map(repr, ACTIONS))}, not {value!r}{hint}")
            changes["stop"] = value == "stop"
        else:
            changes[key] = _threshold(key, value, name)
    return replace(defaults, **changes)


def _threshold(key: str, value: object, name: str) -> float | int:
    what, kind, allowed = _THRESHOLDS[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AlertConfigError(f"{name} must be {what}")
    if (kind is int and not isinstance(value, int)) or not allowed(value):
        raise AlertConfigError(f"{name} must be {what}, not {value!r}")
    return kind(value)  # type: ignore[no-any-return]


def _boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise AlertConfigError(f"{name} must be true or false")
    return value
