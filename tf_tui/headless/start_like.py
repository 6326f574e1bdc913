"""`tf-tui start --like ID`: a new run started as an earlier one was (its model, datasets, outcome and every
param, from its status body or from what tf-tui remembers of it), with what the command line gives instead.
A model or dataset the backend no longer has is an error in words, unless the command line gives another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tf_tui.core.fleet import Fleet, RunKey
from tf_tui.core.format import short_id
from tf_tui.core.run_again import run_again
from tf_tui.core.start_choices import StartChoices


class NotLikeable(Exception):
    """The run's choices cannot make a new run as they are: a sentence on what is missing and what to give."""


async def like_choices(
    fleet: Fleet,
    typed_id: str,
    *,
    model: str | None,
    datasets: Sequence[str],
    outcome: str | None,
    params: dict[str, Any],
) -> tuple[RunKey, StartChoices]:
    """The run named by its id (or a unique prefix) on whichever backend knows it, and the choices to start
    its like there: the run's own, each one the command line gives taking its place (a param one by one).
    Raises `UnknownRun` when no backend knows the run, `NotLikeable` when its model or datasets are missing."""
    key = await fleet.locate(typed_id)
    session = fleet.session(key.backend)
    run = await session.read(key.train_id)
    if run.missing and run.facts().empty:
        raise NotLikeable(f"the server does not know run {short_id(key.train_id)}, and tf-tui remembers nothing of it")
    models = [str(entry.get("id")) for entry in await session.api.models()]
    offered = [str(entry.get("id")) for entry in await session.api.datasets()]
    again = run_again(short_id(key.train_id), run.facts(), models, offered)
    if model is None and again.model_problem:
        raise NotLikeable(f"{again.model_problem}: give --model")
    if not datasets and again.datasets_problem:
        raise NotLikeable(f"{again.datasets_problem}: give --dataset (once per dataset)")
    choices = again.choices
    return key, StartChoices(
        model or choices.model,
        tuple(datasets) or choices.datasets,
        outcome or choices.outcome,
        {**choices.params, **params},
    )
