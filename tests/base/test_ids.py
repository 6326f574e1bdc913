"""Ids as typed: a full id, a unique prefix, and what is refused; run ids and dataset ids alike."""

from __future__ import annotations

import re

import pytest

from tf_tui.base.ids import DatasetIdError, RunIdError, resolve_dataset, resolve_id

KNOWN = [
    "e2b1b3a4-0000-4000-8000-000000000001",
    "90b39232-0000-4000-8000-000000000002",
    "90b3f000-0000-4000-8000-000000000003",
]


def test_a_unique_prefix_names_its_run():
    assert resolve_id("e2b1b3a4", KNOWN) == KNOWN[0]
    assert resolve_id(" E2B1 ", KNOWN) == KNOWN[0]
    assert resolve_id("90b39", KNOWN) == KNOWN[1]
    assert resolve_id(KNOWN[2], KNOWN) == KNOWN[2]


def test_an_id_that_matches_nothing_known_is_left_to_the_server():
    assert resolve_id("no-such-run", KNOWN) == "no-such-run"
    assert resolve_id("x", KNOWN) == "x"


def test_an_ambiguous_prefix_lists_the_candidates():
    with pytest.raises(RunIdError, match="matches 2 runs") as raised:
        resolve_id("90b3", KNOWN)
    assert KNOWN[1] in str(raised.value) and KNOWN[2] in str(raised.value)
    assert KNOWN[0] not in str(raised.value)


def test_a_prefix_shorter_than_4_characters_is_refused():
    with pytest.raises(RunIdError, match="at least 4 characters"):
        resolve_id("e2b", KNOWN)
    with pytest.raises(RunIdError, match="no run id"):
        resolve_id("  ", KNOWN)


def test_a_long_candidate_list_is_cut_short_and_server_text_is_cleaned():
    many = ["abcd\x1b[31mred"] + [f"abcd{index:04d}" for index in range(15)]
    with pytest.raises(RunIdError) as raised:
        resolve_id("abcd", many)
    assert "matches 16 runs" in str(raised.value) and "and 6 more" in str(raised.value)
    assert "\x1b" not in str(raised.value)


def test_a_dataset_resolves_as_a_run_does_but_one_not_listed_is_refused():
    available = ["builtin-arithmetic", "builtin-units", "upload-7f3e2a"]
    assert resolve_dataset("upload-7f", available) == "upload-7f3e2a"
    assert resolve_dataset("builtin-units", available) == "builtin-units"
    for typed, words in (
        ("nope", "no dataset 'nope' on this backend; it has builtin-arithmetic, builtin-units, upload-7f3e2a"),
        ("builtin", "'builtin' matches 2 datasets: builtin-arithmetic, builtin-units; give more characters"),
        ("bui", "'bui' is too short to name a dataset"),
        ("", "no dataset '' on this backend"),
    ):
        with pytest.raises(DatasetIdError, match=re.escape(words)):
            resolve_dataset(typed, available)
    with pytest.raises(DatasetIdError, match=re.escape("it has none (tf-tui dataset upload adds one)")):
        resolve_dataset("builtin-units", [])
