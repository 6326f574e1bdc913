"""What a training parameter left at "default" will be for a model and an outcome preference, as the backend
says it: `default_params` in a `/models/list` entry (the reference server's extension; the deployed backend
says nothing, and nothing is shown for it)."""

from __future__ import annotations

from typing import Any

PARAMS = ("max_steps", "learning_rate", "batch_size", "seed")


def effective_defaults(model: dict[str, Any] | None, outcome: str) -> dict[str, int | float]:
    """Each parameter's value for a run of `model` with `outcome`, of those the backend gives, by params key."""
    table = model.get("default_params") if model is not None else None
    values = table.get(outcome) if isinstance(table, dict) else None
    if not isinstance(values, dict):
        return {}
    return {
        key: value
        for key, value in values.items()
        if key in PARAMS and isinstance(value, int | float) and not isinstance(value, bool)
    }


def default_text(value: int | float | None) -> str:
    """What an empty field says: `default`, after the value it stands for when known (`15,000 (default)`): the
    value first, so that a narrow field cut short still shows it."""
    if value is None:
        return "default"
    return f"{value:,} (default)" if isinstance(value, int) else f"{value:g} (default)"
