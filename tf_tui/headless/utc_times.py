"""Many Unix times as ISO text in UTC to the millisecond at once: the time column of a history's rows.

A history has many points a second, in order: each point's second is compared with the one before and
formatted only when it changes, and its milliseconds are looked up in a table. One loop over the column,
with no call a point beyond `modf` and `round` (a method called a point, and a value checked by a function,
cost a third more), was the cheapest of the ways measured: a pass over the column for each step in C
(`map` of builtins) made more lists than it saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from math import modf

_MICROSECONDS = 1_000_000
# A time's milliseconds and zone, as ISO text: indexed, not formatted.
_MILLISECONDS = tuple(f".{millisecond:03d}+00:00" for millisecond in range(1000))


def iso_times(times: Sequence[float]) -> list[str]:
    """Each time as `datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")` writes it: rounded
    to the microsecond first, half to even, as `fromtimestamp` rounds, then cut to the millisecond."""
    texts: list[str] = []
    append = texts.append
    milliseconds = _MILLISECONDS
    formatted: float | None = None  # the whole second `second_text` is the text of
    second_text = ""
    for fraction, whole in map(modf, times):
        micro = round(fraction * _MICROSECONDS)
        if whole != formatted or not 0 <= micro < _MICROSECONDS:
            second = int(whole)
            if 0 <= micro < _MICROSECONDS:
                formatted = whole
            else:  # rounded up to the next second, or a time before 1970: not the whole second's text
                second, micro = divmod(second * _MICROSECONDS + micro, _MICROSECONDS)
                formatted = None
            second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        append(second_text + milliseconds[micro // 1000])
    return texts
