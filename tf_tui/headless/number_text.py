"""Many numbers as text at once, as `repr` writes them: a history's thousands of values in one call.

`repr` of a float is most of what writing a history's rows costs, one call a value. msgspec writes a list
of floats in one call, with the same shortest digits that round-trip; it writes them as `repr` does,
character for character, except where `repr` turns to an exponent (below 1e-4 or from 1e16) or where the
value is one that reads as zero (`small_to_zero`: a negative zero, anything nearer zero than 1e-12). Those
all show in msgspec's text (an `e`, `0.0000`, `-0.0`), and a list holding one is written by `repr` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import msgspec

from tf_tui.headless.history_points import small_to_zero

_ENCODER = msgspec.json.Encoder()
# What in msgspec's text of a list of floats may differ from `repr`'s, or hide a value that reads as zero.
_NOT_AS_REPR = ("e", "0.0000", "-0.0,", "-0.0]")


def float_texts(values: Sequence[float]) -> list[str]:
    """Each value as `repr(small_to_zero(value))` writes it."""
    if not values:
        return []
    text = _ENCODER.encode(values).decode()
    if any(mark in text for mark in _NOT_AS_REPR):
        return [repr(small_to_zero(value)) for value in values]
    return text[1:-1].split(",")


def int_texts(values: Sequence[int]) -> list[str]:
    """Each whole number as `str` writes it (a history's steps), in one call."""
    return _ENCODER.encode(values).decode()[1:-1].split(",") if values else []


def optional_float_texts(values: Sequence[float | None]) -> Sequence[str | None]:
    """Each value's text (`float_texts`), None for an absent one."""
    if None not in values:
        return float_texts(cast("Sequence[float]", values))
    texts = iter(float_texts([value for value in values if value is not None]))
    return [None if value is None else next(texts) for value in values]
