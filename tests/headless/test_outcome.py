"""A run's outcome, decided in one place, and what follows from it: exit codes, toasts and colours."""

from __future__ import annotations

import pytest

from tf_tui.core.store import Outcome, RunState, RunStore, status_outcome
from tf_tui.headless.commands import exit_code
from tf_tui.ui.app import TOAST_SEVERITY
from tf_tui.ui.style import NO_COLOR_STATUS_STYLES, STATUS_STYLES, status_style


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("completed", Outcome.COMPLETED),
        ("Completed", Outcome.COMPLETED),
        ("  COMPLETED\n", Outcome.COMPLETED),
        ("failed", Outcome.FAILED),
        ("Failed ", Outcome.FAILED),
        ("stopped", Outcome.STOPPED),
        ("\tStopped", Outcome.STOPPED),
        ("training", Outcome.GOING),
        ("queued", Outcome.GOING),
        ("Loading model and tokenizer", Outcome.GOING),  # free text: taken as not ended
        ("completed successfully", Outcome.GOING),  # not the word itself: never guessed at
        ("", Outcome.GOING),
        (None, Outcome.GOING),  # nothing heard yet
    ],
)
def test_a_status_says_its_outcome_whatever_its_casing_and_padding(status, outcome):
    assert status_outcome(status) is outcome
    assert RunState("r", status=status).outcome is outcome


@pytest.mark.parametrize("status", [None, "training", "completed", "failed", "Stopped"])
def test_a_run_the_server_does_not_know_is_missing_whatever_was_last_heard(status):
    assert RunState("r", status=status, missing=True).outcome is Outcome.MISSING


def test_a_run_marked_missing_by_the_store_is_missing():
    store = RunStore()
    store.mark_missing("r", at=1.0)
    assert store.runs["r"].outcome is Outcome.MISSING


def test_an_ended_run_has_the_outcome_of_its_end_and_a_going_one_is_going():
    for status in ("completed", "FAILED", "stopped ", "training", "Loading model", None):
        run = RunState("r", status=status)
        assert run.ended == (run.outcome in (Outcome.COMPLETED, Outcome.FAILED, Outcome.STOPPED))


def runs(*statuses: str | None, missing: int = 0) -> list[RunState]:
    return [RunState(f"r{i}", status=s) for i, s in enumerate(statuses)] + [
        RunState(f"m{i}", missing=True) for i in range(missing)
    ]


@pytest.mark.parametrize(
    ("watched", "code"),
    [
        (runs("completed"), 0),
        (runs("Completed ", "completed"), 0),
        (runs("stopped"), 3),
        (runs("completed", "Stopped"), 3),
        (runs(missing=1), 4),
        (runs("stopped", missing=1), 4),
        (runs("failed"), 1),
        (runs("completed", "stopped", " FAILED", missing=1), 1),
        (runs("training"), 5),  # still going: nothing ended, as when `watch` gives up
    ],
)
def test_watch_exits_with_the_most_urgent_outcome(watched, code):
    assert exit_code(watched) == code


def test_every_outcome_has_a_toast_severity_and_a_style_with_and_without_colour():
    for table in (TOAST_SEVERITY, STATUS_STYLES, NO_COLOR_STATUS_STYLES):
        assert set(table) == set(Outcome)
    assert TOAST_SEVERITY[Outcome.COMPLETED] == "information"
    assert TOAST_SEVERITY[Outcome.FAILED] == TOAST_SEVERITY[Outcome.MISSING] == "error"
    assert TOAST_SEVERITY[Outcome.STOPPED] == "warning"


def test_odd_casing_is_coloured_as_the_status_it_spells():
    assert status_style(RunState("r", status=" Completed")) == status_style(RunState("r", status="completed"))
    assert status_style(RunState("r", status="FAILED")) == "bold red"
    assert status_style(RunState("r", status="Stopped"), no_color=True) == "bold reverse"


def test_a_run_is_going_once_heard_of_until_it_ends_or_the_server_forgets_it():
    assert not RunState("r").going  # nothing heard yet: not counted as left running
    assert RunState("r", status="Loading model and tokenizer").going
    assert not RunState("r", status=" Completed").going
    assert not RunState("r", status="training", missing=True).going
