"""JSON from a client (a request body, a WebSocket frame, an uploaded dataset), taken only as far as the
server can hold it: nesting bounded before parsing, numbers that a float and SQLite's integer can hold,
and strings that are text.

Python's decoder takes `NaN`, `Infinity` and `1e400` (as infinity), integers of any size, and escaped
lone surrogates (`"\\ud800"`): none of them can be stored as SQLite stores them, sent back in a JSON
answer, or encoded as UTF-8, and each once became a 500. Deep nesting made it raise RecursionError.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

# Deeper than any body, frame or dataset this server takes (they nest three levels at most), and far
# below the depth at which a recursive decoder or encoder gives up.
MAX_DEPTH = 32
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1  # what SQLite stores as an INTEGER

# Brackets are counted outside strings only: escapes go first, so that what is left of a string is
# the text between two quotes.
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonInputError(ValueError):
    """JSON the server does not take. `reason` says why in words; the message adds where, when known
    (`position`, an index into the text)."""

    def __init__(self, reason: str, position: int = 0, where: str = "") -> None:
        super().__init__(f"{reason}{where}")
        self.reason = reason
        self.position = position


def parse_json(text: str) -> Any:
    """The document `text` holds, or JsonInputError."""
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise JsonInputError(f"it is nested {depth} levels deep; at most {MAX_DEPTH} are taken")
    try:
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_storable)
    except json.JSONDecodeError as error:
        raise JsonInputError(error.msg, error.pos, f" at line {error.lineno}, column {error.colno}") from None
    if _SURROGATE_ESCAPE.search(text):  # the cheap test first: such escapes are rare in real input
        try:
            json.dumps(document, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise JsonInputError("a string holds a lone surrogate (\\ud800 to \\udfff), which is not text") from None
    return document


def nesting_depth(text: str) -> int:
    """How deep the arrays and objects of `text` nest, read without parsing it (so in time linear in
    its length, whatever its depth)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    if not brackets:
        return 0
    codes = np.frombuffer(brackets.encode("ascii"), dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max())


def _refuse_constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not a number this server takes")


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise JsonInputError(f"{literal} is out of range for a floating-point number")
    return value


def _storable(literal: str) -> int:
    # The length first: Python refuses to convert more than 4,300 digits, with a ValueError of its own.
    if len(literal) > len(str(MIN_INTEGER)) or not MIN_INTEGER <= (value := int(literal)) <= MAX_INTEGER:
        raise JsonInputError(f"{literal[:30]} is out of range: integers are taken from -2**63 to 2**63 - 1")
    return value
