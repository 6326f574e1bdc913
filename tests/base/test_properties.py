"""Property tests: the parsers and the merge rules never raise and keep their invariants on any input.

The budget is small under `make test`; `make soak` runs the same properties with many more examples.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile_input import anything, deep_json_text, frames, status_bodies, to_json
from tf_tui.base.protocol import (
    RUN_ANNOUNCEMENTS,
    Event,
    Ignored,
    Pong,
    RunAnnounced,
    RunUpdate,
    ServerError,
    StatusKind,
    SubscriptionConfirmed,
    SystemUpdate,
    TalentEvent,
    classify_status,
    decode_json,
    parse_frame,
    parse_status,
)
from tf_tui.core.store import RunStore, Source

# Hypothesis warns when it prints a megabyte example; that is the point of these examples.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

EVENT_TYPES = (RunUpdate, SubscriptionConfirmed, Pong, ServerError, SystemUpdate, RunAnnounced, TalentEvent, Ignored)


def check_update(update: RunUpdate) -> None:
    assert isinstance(update.train_id, str)
    assert update.status is None or isinstance(update.status, str)
    assert update.progress is None or (isinstance(update.progress, int) and 0 <= update.progress <= 100)
    assert isinstance(update.details, dict)
    assert update.result is None or isinstance(update.result, dict)
    assert update.error is None or isinstance(update.error, str)
    assert update.timestamp is None or isinstance(update.timestamp, str)


def check_event(event: Event) -> None:
    assert isinstance(event, EVENT_TYPES)
    if isinstance(event, RunUpdate):
        assert event.train_id
        check_update(event)
    if isinstance(event, RunAnnounced):
        assert event.event in RUN_ANNOUNCEMENTS and isinstance(event.train_id, str) and event.train_id
        for text in (event.base_model, event.status, event.timestamp):
            assert text is None or isinstance(text, str)
    if isinstance(event, SystemUpdate):
        announced = event.data.get("event")
        assert not isinstance(announced, str) or announced not in RUN_ANNOUNCEMENTS  # never left untyped
    if isinstance(event, Ignored):
        assert isinstance(event.reason, str) and event.reason


@given(frames)
def test_any_frame_object_parses_to_an_event(frame: dict[str, Any]):
    check_event(parse_frame(to_json(frame)))


@given(anything)
def test_any_json_value_parses_to_an_event(value: Any):
    check_event(parse_frame(to_json(value)))


@given(st.text() | st.binary() | deep_json_text)
def test_any_text_or_bytes_parses_to_an_event(raw: str | bytes):
    check_event(parse_frame(raw))


def test_nesting_deeper_than_the_json_decoder_follows_is_ignored():
    """Found by the property above: `json.loads` raised RecursionError, which is not a ValueError."""
    event = parse_frame('{"type": "training_update", "train_id": "r1", "data": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert isinstance(event, Ignored) and "not JSON" in event.reason


@given(st.binary())
def test_invalid_utf8_decoded_as_a_lenient_reader_would_parses_to_an_event(raw: bytes):
    check_event(parse_frame(raw.decode("utf-8", errors="surrogateescape")))


@given(status_bodies | anything)
def test_any_status_body_parses_to_an_update_or_is_ignored(body: Any):
    reading = parse_status("r1", body)
    assert isinstance(reading, RunUpdate | Ignored)
    if isinstance(reading, RunUpdate):
        assert reading.train_id == "r1" and reading.status is not None
        check_update(reading)


def _updates() -> st.SearchStrategy[tuple[RunUpdate, Source]]:
    """Updates as the parsers make them, from any frame or status body, with their source."""
    from_frames = frames.map(lambda frame: parse_frame(to_json({**frame, "type": "training_update"})))
    from_bodies = status_bodies.map(lambda body: parse_status("r1", body))
    return st.tuples(
        from_frames.filter(lambda event: isinstance(event, RunUpdate)) | from_bodies, st.sampled_from(Source)
    ).filter(lambda pair: isinstance(pair[0], RunUpdate))


@given(st.lists(_updates(), max_size=12), st.lists(st.floats(0, 100), min_size=12, max_size=12))
def test_merging_any_updates_keeps_the_rules(updates: list[tuple[RunUpdate, Source]], failed_stops: list[float]):
    store = RunStore()
    ended_as: dict[str, tuple[str, int | None]] = {}
    for at, ((update, source), failed_stop) in enumerate(zip(updates, failed_stops, strict=False)):
        if failed_stop < 10:
            store.doubt_stop(update.train_id, float(at))
        before = store.runs.get(update.train_id)
        progress_before = None if before is None else before.progress
        changed = store.apply(update, source, float(at))
        run = store.runs[update.train_id]

        assert isinstance(changed, bool)
        if changed:
            assert update.train_id in store.take_changed()
        assert run.progress is None or 0 <= run.progress <= 100
        if progress_before is not None:
            assert run.progress is not None and run.progress >= progress_before, "progress went backwards"
        if (run.status or "").strip().lower() == "completed":
            assert run.progress == 100
        if update.train_id in ended_as:
            assert (run.status, run.progress) == ended_as[update.train_id], "an ended run changed"
        elif run.ended:
            ended_as[update.train_id] = (run.status or "", run.progress)
        assert run.ended == (classify_status(run.status) is StatusKind.TERMINAL)


# JSON text with what the fast decoder refuses or may read otherwise: NaN, infinities, numbers beyond a double,
# lone surrogates, control characters raw and escaped, a byte-order mark, trailing text, odd whitespace.
LEXEMES = st.sampled_from(
    [
        "NaN",
        "-Infinity",
        "1e400",
        "123456789012345678901234567890",
        '"\\ud800"',
        '"\x1b"',
        '"\\u001b"',
        "\ufeff",
        " x",
        "\x0c",
        "-0",
        "0.1",
        "1E5",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        '"a"',
        "null",
        "true",
    ]
)
json_like = st.one_of(
    anything.map(to_json),
    st.lists(LEXEMES, max_size=12).map("".join),
    st.tuples(anything.map(to_json), LEXEMES, st.integers(0, 40)).map(lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]),
    st.text(max_size=40),
)


def outcome(decode: Any, raw: str) -> str:
    """What a decoder makes of the text, comparable: the value's repr (types and NaN included), or the error."""
    try:
        return repr(decode(raw))
    except (ValueError, RecursionError) as error:
        return f"raised {type(error).__name__}: {error}"


@given(json_like)
def test_frames_decode_as_the_standard_library_decodes_them(raw: str):
    assert outcome(decode_json, raw) == outcome(json.loads, raw)
