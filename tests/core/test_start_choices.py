"""The start dialog's remembered choices: per backend, and never an error that reaches the user."""

from __future__ import annotations

import logging
import stat

from tf_tui.core.start_choices import StartChoices, StartChoicesFile


def test_choices_are_kept_per_backend(tmp_path):
    path = tmp_path / "start-choices.json"
    StartChoicesFile(path).remember("http://a:8084/", StartChoices("small", ("d1", "d2"), "speed", {"max_steps": 9}))
    StartChoicesFile(path).remember("http://b:8084", StartChoices("tiny", ("d3",), "quality", {}))
    again = StartChoicesFile(path)
    assert again.get("http://a:8084") == StartChoices("small", ("d1", "d2"), "speed", {"max_steps": 9})
    assert again.get("http://b:8084/").model == "tiny"
    assert again.get("http://c:8084") == StartChoices()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [leftover.name for leftover in tmp_path.iterdir() if leftover.name.endswith(".tmp")] == []


def test_a_dataset_just_uploaded_becomes_the_one_ticked_and_the_rest_stays(tmp_path):
    path = tmp_path / "start-choices.json"
    StartChoicesFile(path).remember("http://a:8084", StartChoices("small", ("d1", "d2"), "speed", {"max_steps": 9}))
    StartChoicesFile(path).prefer_dataset("http://a:8084/", "new")
    StartChoicesFile(path).prefer_dataset("http://b:8084", "other")  # a backend with no choices yet
    assert StartChoicesFile(path).get("http://a:8084") == StartChoices("small", ("new",), "speed", {"max_steps": 9})
    assert StartChoicesFile(path).get("http://b:8084") == StartChoices(datasets=("other",))


def test_a_damaged_or_foreign_file_gives_defaults_and_is_replaced_by_the_next_choice(tmp_path):
    path = tmp_path / "start-choices.json"
    for content in (b"\xff not json", b'{"version": 1, "backends": {"http://a:8084": {"model": 3, "datasets": "x"}}}'):
        path.write_bytes(content)
        assert StartChoicesFile(path).get("http://a:8084") == StartChoices()
    StartChoicesFile(path).remember("http://a:8084", StartChoices("tiny"))
    assert StartChoicesFile(path).get("http://a:8084").model == "tiny"


def test_a_file_that_cannot_be_written_is_not_an_error(tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    choices = StartChoicesFile(blocked / "start-choices.json")
    choices.remember("http://a:8084", StartChoices("tiny"))
    assert choices.get("http://a:8084") == StartChoices()


def test_a_file_from_a_newer_tf_tui_is_left_as_it_is_and_said_once(tmp_path, caplog):
    path = tmp_path / "start-choices.json"
    newer = b'{"version": 2, "backends": {"http://a:8084": {"model": {"name": "tiny", "revision": 3}}}}'
    path.write_bytes(newer)
    with caplog.at_level(logging.WARNING, logger="tf_tui.core.start_choices"):
        for _ in range(2):  # two start dialogs, one after the other
            choices = StartChoicesFile(path)
            assert choices.get("http://a:8084") == StartChoices()
            choices.remember("http://a:8084", StartChoices("small", ("d1",)))
    assert path.read_bytes() == newer
    said = [record.getMessage() for record in caplog.records if "newer tf-tui" in record.getMessage()]
    assert len(said) == 1 and "left as it is" in said[0]
