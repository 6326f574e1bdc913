"""What the comparison of runs shows, as text: each run's settings and results side by side, and its loss
curve by step or by elapsed time. Pure: the values come from the run's fields as the server sent them
(its status body's `dataset_ids`, `outcome`, `params`; its updates' details; its result; its history),
cleaned of anything that could reach the terminal as an escape. A row differs when its runs' values do,
as they read: the table shows only those by default."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, NamedTuple

from tf_tui.base.protocol import finite_number
from tf_tui.base.text import printable
from tf_tui.core.format import duration, status_label, step_value
from tf_tui.core.losses import best_loss, final_loss, held_out_loss
from tf_tui.core.store import RunState

MISSING = "—"  # a value the run does not report
VALUE_LIMIT = 40


class XAxis(Enum):
    STEP = "step"
    TIME = "time"  # seconds since the run's training began (`elapsed_s`)


def curve(run: RunState, axis: XAxis) -> list[tuple[float, float]]:
    """The run's training loss against its step or its elapsed time; points without either are left out."""
    points = run.history.points
    if axis is XAxis.STEP:
        return [(point.step, point.loss) for point in points if point.loss is not None]
    return [(point.elapsed_s, point.loss) for point in points if point.loss is not None and point.elapsed_s is not None]


def _last_reported(run: RunState, name: str) -> float | None:
    """A number from the run's latest details, else from the latest history point that has it."""
    value = finite_number(run.details.get(name))
    if value is not None:
        return value
    return next(
        (getattr(point, name) for point in reversed(run.history.points) if getattr(point, name) is not None), None
    )


def _param(run: RunState, name: str) -> Any:
    params = run.extra.get("params")
    return params.get(name) if isinstance(params, dict) else None


def _number(value: float | None, spec: str = ".4g") -> str:
    return MISSING if value is None else format(value, spec)


def _text(value: object) -> str:
    if isinstance(value, list):
        return printable(", ".join(str(item) for item in value), VALUE_LIMIT) if value else MISSING
    return printable(str(value), VALUE_LIMIT) if value not in (None, "") else MISSING


def learning_rate(run: RunState) -> str:
    given = finite_number(_param(run, "learning_rate"))
    return _number(given if given is not None else _last_reported(run, "learning_rate"))


def run_duration(run: RunState) -> str:
    seconds = finite_number((run.result or {}).get("duration_s"))
    return duration(seconds if seconds is not None else _last_reported(run, "elapsed_s")) or MISSING


def steps(run: RunState) -> str:
    """The steps done, of how many; else the steps asked for when the run was started (a backend that reports
    no step, as the deployed one)."""
    if step_value(run) or run.step is not None:
        return step_value(run) or str(run.step)
    asked = _param(run, "max_steps")
    return MISSING if asked is None else f"{_text(asked)} asked"


# The table's rows, in order: a label and how a run's value reads.
FIELDS: Sequence[tuple[str, Callable[[RunState], str]]] = (
    ("model", lambda run: _text(run.base_model)),
    ("datasets", lambda run: _text(run.extra.get("dataset_ids"))),
    ("outcome", lambda run: _text(run.extra.get("outcome"))),
    ("steps", steps),
    ("learning rate", learning_rate),
    ("batch size", lambda run: _text(_param(run, "batch_size"))),
    ("final loss", lambda run: _number(final_loss(run))),
    ("best loss", lambda run: _number(best_loss(run))),
    ("held-out loss", lambda run: _number(held_out_loss(run))),
    ("duration", run_duration),
    ("samples/s", lambda run: _number(_last_reported(run, "samples_per_s"), ".0f")),
)


# Params the fields above already show (`steps` says the steps asked for when none were done).
SHOWN_PARAMS = frozenset({"max_steps", "learning_rate", "batch_size"})


class ComparedRow(NamedTuple):
    """A row of the table: its label, and each run's value as it reads."""

    label: str
    values: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1

    def marked(self) -> tuple[bool, ...]:
        """Which runs' values differ from the first run's: the cells marked, the first run being the one
        the others are read against."""
        return tuple(value != self.values[0] for value in self.values)


def field_rows(runs: Sequence[RunState]) -> list[ComparedRow]:
    """Each field's row, then one per other param any run was started with, then the status: the table's
    rows, and what tells whether it changed."""
    rows = [ComparedRow(label, tuple(value(run) for run in runs)) for label, value in FIELDS]
    for name in _other_params(runs):
        rows.append(ComparedRow(printable(name, VALUE_LIMIT), tuple(_text(_param(run, name)) for run in runs)))
    rows.append(ComparedRow("status", tuple(_text(status_label(run)) for run in runs)))
    return rows


def _other_params(runs: Sequence[RunState]) -> list[str]:
    """The params no field shows, in the order the runs name them."""
    names: dict[str, None] = {}
    for run in runs:
        params = run.extra.get("params")
        if isinstance(params, dict):
            names.update((str(name), None) for name in params if name not in SHOWN_PARAMS)
    return list(names)


def shown_rows(rows: Sequence[ComparedRow], *, every_row: bool) -> list[ComparedRow]:
    """The rows the table shows: every row, or those that differ. One run has nothing to differ from: all."""
    if every_row or len(rows[0].values) < 2:
        return list(rows)
    return [row for row in rows if row.differs]
