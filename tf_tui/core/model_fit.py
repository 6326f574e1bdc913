"""A model's size in words, and whether it fits the backend's machine: one rule for the start dialog and
`tf-tui models`.

The rule: a model needs the larger of its `min_vram_gb` and its `size_gb` (its weights must fit, whatever
the minimum says). That is compared with the GPU's memory when the box has a GPU, else with its RAM (a
model without a GPU is loaded into RAM). A model is marked, never hidden: the figures may be rough.
Unknown figures make the fit unknown, said as such, rather than a guess either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tf_tui.base.protocol import finite_number
from tf_tui.core.environment import BoxEnvironment, memory_text


@dataclass(frozen=True)
class Fit:
    fits: bool | None  # None: not known (no size given, or the box's memory unknown)
    reason: str  # in words, e.g. "needs 16 GB, the GPU has 12 GB of VRAM"


def size_text(model: dict[str, Any]) -> str:
    """The model's size on disk (`size_gb`) in words; empty when the backend does not say it."""
    size = _gigabytes(model.get("size_gb"))
    return memory_text(size) if size else ""


def model_fit(model: dict[str, Any], box: BoxEnvironment | None) -> Fit:
    needs = [value for value in (_gigabytes(model.get("min_vram_gb")), _gigabytes(model.get("size_gb"))) if value]
    if not needs:
        return Fit(None, "fit unknown: the backend gives no size for it")
    need = max(needs)
    memory = None if box is None else box.model_memory
    if memory is None:
        return Fit(None, f"fit unknown: needs {memory_text(need)}, the box's memory is unknown")
    kind, have = memory
    where = "the GPU has" if kind == "VRAM" else "the box has no GPU and"
    fits = need <= have
    verdict = "fits" if fits else "too big"
    return Fit(fits, f"{verdict}: needs {memory_text(need)}, {where} {memory_text(have)} of {kind}")


def _gigabytes(value: object) -> float | None:
    number = finite_number(value)
    return number if number is not None and number > 0 else None
