"""A run started again: the start dialog's (or `tf-tui start --like`'s) choices filled from what is known of
an earlier run (`RunFacts`: its status body's fields, or what tf-tui sent and remembered), so that one change
makes a new run. Pure.

A model or dataset the backend no longer lists is left out, and why is said in words: a run started on
what is not there fails (the deployed backend starts a run on any dataset id, and it fails silently).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, NamedTuple

from tf_tui.base.text import printable
from tf_tui.core.start_choices import StartChoices
from tf_tui.core.store import RunFacts


class LikeRun(NamedTuple):
    """The run to start again: its short id, as said to the user, and what is known of it."""

    name: str
    facts: RunFacts


@dataclass(frozen=True)
class Again:
    """The choices to start from, and why the model or the datasets are empty or fewer than the run's."""

    choices: StartChoices
    model_problem: str | None = None
    datasets_problem: str | None = None

    @property
    def problems(self) -> list[str]:
        return [problem for problem in (self.model_problem, self.datasets_problem) if problem]


def run_again(name: str, facts: RunFacts, models: Collection[str], datasets: Collection[str]) -> Again:
    """The choices of the run called `name` (its short id), against the backend's `models` and `datasets`."""
    model, model_problem = facts.base_model or "", None
    if facts.base_model is None:
        model_problem = f"which model run {name} trained is not known (its backend did not say): choose one"
    elif facts.base_model not in models:
        model, model_problem = "", f"run {name}'s model {_quoted(facts.base_model)} is no longer on this backend"
    kept: tuple[str, ...] = ()
    datasets_problem = None
    if facts.dataset_ids is None:
        datasets_problem = f"which datasets run {name} trained on is not known (its backend did not say)"
    else:
        kept = tuple(dataset for dataset in facts.dataset_ids if dataset in datasets)
        gone = [dataset for dataset in facts.dataset_ids if dataset not in datasets]
        if gone:
            which = ", ".join(_quoted(dataset) for dataset in gone)
            datasets_problem = (
                f"run {name}'s dataset{'s' if len(gone) > 1 else ''} {which} "
                f"{'are' if len(gone) > 1 else 'is'} no longer on this backend"
            )
    params: dict[str, Any] = dict(facts.params or {})
    choices = StartChoices(model, kept, facts.outcome_preference or "", params)
    return Again(choices, model_problem, datasets_problem)


def _quoted(text: str) -> str:
    return repr(printable(text, 60))
