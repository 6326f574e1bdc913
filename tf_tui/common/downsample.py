"""Bounding a series that only grows, shared by the reference server's stored metrics and the client's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

Point = TypeVar("Point")


def thin(points: Sequence[Point], limit: int, keep: Callable[[Point], bool] | None = None) -> list[Point]:
    """At most `limit` points (at least 2): every other one dropped until they fit, the first and the
    last always kept, so a curve keeps its whole extent at a coarser grain.

    Points for which `keep` is true (a run's few evaluations among its many steps) are spared while
    other points remain to drop; only when nothing else is left are they thinned like the rest."""
    kept = list(points)
    limit = max(limit, 2)
    spared = keep
    while len(kept) > limit:
        # The inner points that may go; every other one of them goes, the first of them included.
        droppable = [index for index in range(1, len(kept) - 1) if spared is None or not spared(kept[index])]
        if not droppable:  # only spared points are left between the ends: they must go too
            spared = None
            continue
        dropped = set(droppable[::2])
        kept = [point for index, point in enumerate(kept) if index not in dropped]
    return kept
