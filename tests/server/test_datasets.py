"""Parsing uploads into examples, and the built-in datasets."""

from __future__ import annotations

import json

import pytest

from tf_tui.server.datasets import BUILTIN_DATASETS, DatasetError, contains_pii, format_example, parse_upload


def test_json_list_with_or_without_a_wrapper_object():
    examples = [{"instruction": "Add.", "input": "1 + 1", "output": "2"}]
    assert parse_upload("a.json", json.dumps(examples).encode()) == examples
    assert parse_upload("a.json", json.dumps({"examples": examples}).encode()) == examples


def test_strings_and_text_records_become_continuation_examples():
    parsed = parse_upload("a.json", json.dumps(["Once upon a time.", {"text": "The end."}]).encode())
    assert [example["output"] for example in parsed] == ["Once upon a time.", "The end."]
    assert all(example["instruction"] == "Continue the text." for example in parsed)


def test_format_follows_content_when_the_name_says_nothing():
    line = json.dumps({"instruction": "Hi.", "output": "Hello."})
    assert len(parse_upload("upload", f"{line}\n{line}\n".encode())) == 2
    assert len(parse_upload("upload", f"[{line}]".encode())) == 1
    assert len(parse_upload("upload", b"one\n\ntwo")) == 2


def test_a_byte_order_mark_is_fine():
    assert len(parse_upload("a.txt", "\ufeffHello".encode())) == 1


@pytest.mark.parametrize(
    ("filename", "payload", "words"),
    [
        ("a.json", b"   \n", "empty"),
        ("a.json", b'{"examples": 3}', "list of examples"),
        ("a.json", b'[{"output": "x"}]', "item 1 has no instruction"),
        ("a.json", b'[""]', "item 1 is an empty string"),
        ("a.jsonl", b'{"instruction": "a", "output": "b"}\n[', "line 2"),
        ("a.json", b"[]", "no examples"),
        ("a.txt", b"caf\xe9", "not UTF-8"),
        ("a.txt", b"a\x00b", "binary"),
    ],
)
def test_bad_uploads_say_what_is_wrong(filename, payload, words):
    with pytest.raises(DatasetError, match=words):
        parse_upload(filename, payload)


def test_pii_screen():
    assert contains_pii([{"output": "call +44 20 7946 0958"}])
    assert contains_pii([{"output": "write to ada@example.org"}])
    assert not contains_pii([{"output": "12 + 30 = 42"}])


def test_builtins_are_stable_and_well_formed():
    assert [dataset.id for dataset in BUILTIN_DATASETS] == ["builtin-arithmetic", "builtin-units", "builtin-shell"]
    for dataset in BUILTIN_DATASETS:
        assert dataset.examples
        for example in dataset.examples:
            assert format_example(example).startswith("### Instruction:\n")
            assert example["output"]
