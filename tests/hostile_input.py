"""What a hostile or broken server can send: markup, terminal escapes, wrong types, odd numbers.

Shared by the property tests (as hypothesis strategies) and by the hostile backend (drawn from a
seeded `random.Random`, so a failing stream can be replayed from its seed).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

# Rich/Textual markup that would change the screen if it were parsed, `@click` actions included.
MARKUP = (
    "[bold]",
    "[/]",
    "[/bold]",
    "[link=https://evil.example/]click[/link]",
    "[@click=app.quit]quit[/]",
    "[reverse red on white]",
    "[b]",
    ":warning:",
)
# Terminal escapes: colours, clear screen, cursor moves, window title (OSC 0), hyperlink (OSC 8),
# clipboard write (OSC 52), a DCS string, 8-bit CSI, full reset, alternate screen off, bell.
ESCAPES = (
    "\x1b[31m",
    "\x1b[2J",
    "\x1b[H",
    "\x1b]0;pwned\x07",
    "\x1b]8;;https://evil.example/\x1b\\",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1bP+q544e\x1b\\",
    "\x9b31m",
    "\x1bc",
    "\x1b[?1049l",
    "\x07",
    "\x00",
    "\r",
    "\ud800",  # a lone surrogate: valid in JSON ("\\ud800"), not encodable to a terminal as UTF-8
)
KNOWN_STATUSES = (
    "queued",
    "starting",
    "training",
    "evaluating",
    "completed",
    "failed",
    "stopped",
    " Completed ",
    "FAILED",
    "Loading model and tokenizer",
)
FRAME_TYPES = ("training_update", "subscription_confirmed", "pong", "error", "system_update", "talent_event")
ODD_NUMBERS = (math.nan, math.inf, -math.inf, 10**400, -(10**400), 1e308, -0.0, 2**63, 101, -1, 99.999, True)


# --- hypothesis strategies ------------------------------------------------------------------------

hostile_text = st.one_of(
    st.text(),
    st.sampled_from(MARKUP + ESCAPES + KNOWN_STATUSES),
    st.lists(st.sampled_from(MARKUP + ESCAPES) | st.text(max_size=5), max_size=8).map("".join),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(ODD_NUMBERS),
    hostile_text,
)
json_values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4)
)


def deeply_nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"nested": value}
    return value


big_values = st.one_of(
    st.builds(lambda char, size: char * size, st.sampled_from(("x", "[", "\x1b", "é", "\x00")), st.integers(0, 2**20)),
    st.integers(0, 900).map(deeply_nested),
)
anything = json_values | big_values
# Nesting deeper than a JSON decoder can follow, as raw frame text (a frame may be up to 1 MiB).
deep_json_text = st.builds(
    lambda depth, framed: (
        ('{"type": "training_update", "train_id": "r1", "data": ' if framed else "")
        + "[" * depth
        + "]" * depth
        + ("}" if framed else "")
    ),
    st.integers(0, 300_000),
    st.booleans(),
)
statuses = st.sampled_from(KNOWN_STATUSES) | anything
progresses = st.integers(-5, 120) | anything
run_ids = st.sampled_from(("r1", "r2")) | anything


def _without_absent(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not _ABSENT}


_ABSENT = object()


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.just(_ABSENT) | strategy


update_data = st.builds(
    lambda **fields: _without_absent(fields),
    status=_maybe(statuses),
    progress=_maybe(progresses),
    details=_maybe(st.dictionaries(st.sampled_from(("step", "loss", "message", "eta_s")) | hostile_text, anything)),
    result=_maybe(anything),
    error=_maybe(anything),
    success=_maybe(anything),
)
# The reference server's run announcements (`system_update`), whole, partial or odd.
announcement_data = st.builds(
    lambda **fields: _without_absent(fields),
    event=st.sampled_from(("training_started", "training_ended", "training_queue")) | anything,
    train_id=_maybe(run_ids),
    base_model=_maybe(hostile_text | anything),
    status=_maybe(statuses),
)
frames = st.builds(
    lambda **fields: _without_absent(fields),
    type=st.sampled_from(FRAME_TYPES) | anything,
    train_id=_maybe(run_ids),
    timestamp=_maybe(anything),
    data=_maybe(update_data | announcement_data | anything),
    status=_maybe(statuses),
    message=_maybe(anything),
    event=_maybe(anything),
)
status_bodies = st.builds(
    lambda extra, **fields: {**extra, **_without_absent(fields)},
    extra=st.dictionaries(hostile_text, anything, max_size=3),
    status=_maybe(statuses),
    progress=_maybe(progresses),
    details=_maybe(anything),
    result=_maybe(anything),
    error=_maybe(anything),
    completed_at=_maybe(anything),
    base_model=_maybe(anything),
)


def to_json(value: Any) -> str:
    """JSON text as a server could send it; numbers Python cannot print as text become a long literal."""
    try:
        return json.dumps(value)
    except (ValueError, RecursionError):
        return '{"type": "training_update", "train_id": "r1", "data": {"progress": ' + "9" * 5000 + "}}"


# --- seeded random frames for the hostile backend -------------------------------------------------


_TEXT_PIECES = MARKUP + ESCAPES + KNOWN_STATUSES
_CODE_POINTS = range(0x300)  # C0, C1, Latin and more


def _random_text(rng: random.Random) -> str:
    pieces = rng.choices(_TEXT_PIECES, k=rng.randint(1, 4))
    if rng.random() < 0.2:
        pieces.append("".join(map(chr, rng.choices(_CODE_POINTS, k=rng.randint(1, 20)))))
    return "".join(pieces)


_SCALARS: tuple[Callable[[random.Random], Any], ...] = (
    lambda rng: None,
    lambda rng: True,
    lambda rng: rng.randint(-(2**70), 2**70),
    lambda rng: rng.uniform(-1e9, 1e9),
    _random_text,
    lambda rng: rng.choice(ODD_NUMBERS),
)


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.6:
        return rng.choice(_SCALARS)(rng)
    if roll < 0.8:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {_random_text(rng): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def random_frame(rng: random.Random, train_ids: tuple[str, ...]) -> str | bytes:
    """One frame: mostly training updates with hostile fields for the given runs, else anything at all.

    Never over the client's frame size limit, and always valid UTF-8: the test injects those faults itself.
    """
    roll = rng.random()
    if roll < 0.02:
        return rng.randbytes(rng.randint(0, 64))  # a binary frame
    if roll < 0.05:
        return rng.choice(("{", "not json", "[1, 2", "", "null", "NaN", '"text"', "[]", "{}", "[" * 50_000))
    if roll < 0.15:
        kind = rng.choice((*FRAME_TYPES[1:], _random_text(rng)))  # not an update: no new runs from here
        fields = {"train_id": _random_value(rng), "status": _random_value(rng), "data": _random_value(rng)}
        return json.dumps({"type": kind, "message": _random_value(rng), "event": _random_value(rng), **fields})
    data: dict[str, Any] = {
        "status": rng.choice((*KNOWN_STATUSES[:4], _random_text(rng), _random_value(rng))),
        "progress": rng.choice((rng.randint(0, 100), _random_value(rng))),
        "details": {"step": _random_value(rng), "loss": _random_value(rng), "message": _random_text(rng)},
    }
    if roll < 0.17:
        data["details"]["deep"] = deeply_nested(rng.randint(100, 900))
    elif roll < 0.18:
        piece = rng.choice(MARKUP + ESCAPES[:-1])
        data["status"] = piece * (rng.randint(10_000, 150_000) // len(json.dumps(piece)))
    elif roll < 0.22:
        data.update(status=rng.choice(("failed", "stopped", "completed")), error=_random_text(rng))
    elif roll < 0.25:
        data.update(result=_random_value(rng), success=_random_value(rng))
    return json.dumps({"type": "training_update", "train_id": rng.choice(train_ids), "data": data})


def status_bodies_for_http(rng: random.Random) -> Any:
    """A status body as a hostile server could answer a status read: often plausible, often not."""
    if rng.random() < 0.3:
        return _random_value(rng)
    return {
        "status": rng.choice((*KNOWN_STATUSES[:4], _random_text(rng), _random_value(rng))),
        "progress": rng.choice((rng.randint(0, 100), _random_value(rng))),
        "details": {"message": _random_text(rng), "loss": _random_value(rng)},
        _random_text(rng): _random_value(rng),
    }


def chosen_seed(variable: str) -> int:
    """The seed in the environment variable, to replay a failure, else a new one; printed either way."""
    seed = int(os.environ.get(variable) or time.time())
    print(f"seed {seed}: {variable}={seed} replays this run")
    return seed
