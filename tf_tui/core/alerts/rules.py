"""What an alert is, and the words and numbers each rule says it with."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

# How a backend may write a loss that is no number: JSON has no NaN or infinity, so a Python backend writes
# them as bare `NaN` and `Infinity` tokens (which json.loads reads as floats) and the reference server as text.
NON_FINITE_WORDS = {"nan": math.nan, "inf": math.inf, "+inf": math.inf, "-inf": -math.inf}
NON_FINITE_WORDS |= {"infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}


class Rule(Enum):
    """Each rule, by the name the `[alerts]` table and the `--json` records give it."""

    NON_FINITE = "non_finite"
    DIVERGENCE = "divergence"
    STALL = "stall"
    OVERFITTING = "overfitting"

    @property
    def badge(self) -> str:
        """A word or two for a run's row: short, and readable without colour."""
        return BADGES[self]


BADGES = {Rule.NON_FINITE: "NaN", Rule.DIVERGENCE: "diverging", Rule.STALL: "stalled", Rule.OVERFITTING: "overfit"}


@dataclass(frozen=True)
class Alert:
    """A rule that fired for a run: once per run and rule. `numbers` are what triggered it, `text` says it
    in a sentence, and `stops` that the rule's action is to stop the run."""

    rule: Rule
    train_id: str
    at: float  # on the session's clock
    step: int | None
    text: str
    numbers: dict[str, float | int] = field(default_factory=dict)
    stops: bool = False

    def record(self) -> dict[str, object]:
        """The alert as `watch --alerts --json` writes it: non-finite numbers as text, since JSON has none."""
        return {
            "event": "alert",
            "rule": self.rule.value,
            "train_id": self.train_id,
            "at": datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds"),
            "step": self.step,
            "text": self.text,
            "numbers": {name: _json_number(value) for name, value in self.numbers.items()},
            "action": "stop" if self.stops else None,
        }


def loss_reading(value: object) -> float | None:
    """A loss as an update reports it, NaN and infinities included; None when there is none or it is no number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer past a float's range is an infinite loss
            return math.inf
    if isinstance(value, str):
        return NON_FINITE_WORDS.get(value.strip().lower())
    return None


def number_text(value: float) -> str:
    """A loss in an alert's sentence: four significant figures, `nan` and `inf` as Python writes them."""
    return f"{value:.4g}"


def _json_number(value: float | int) -> float | int | str:
    return value if isinstance(value, int) or math.isfinite(value) else str(value)
