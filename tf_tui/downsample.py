"""Bounding a series that only grows, shared by the reference server's stored metrics and the client's.

Standard library only and no state: both sides of the contract may import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

Point = TypeVar("Point")


def thin(points: Sequence[Point], limit: int) -> list[Point]:
    """At most `limit` points (at least 2): every other one dropped until they fit, the first and the
    last always kept, so a curve keeps its whole extent at a coarser grain."""
    kept = list(points)
    limit = max(limit, 2)
    while len(kept) > limit:
        kept = [*kept[:-1:2], kept[-1]] if len(kept) % 2 == 0 else kept[::2]
    return kept
