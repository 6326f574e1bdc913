"""A run's choices for a new run like it, against what the backend still has."""

from __future__ import annotations

from tf_tui.core.run_again import run_again
from tf_tui.core.start_choices import StartChoices
from tf_tui.core.store import RunFacts

FACTS = RunFacts(
    base_model="small",
    dataset_ids=("a", "b", "c"),
    params={"max_steps": 40, "lora_rank": 8},
    outcome_preference="speed",
)


def test_a_run_whose_model_and_datasets_are_there_gives_all_its_choices():
    again = run_again("0dd0dd00", FACTS, ["tiny", "small"], ["c", "b", "a"])
    assert again.choices == StartChoices("small", ("a", "b", "c"), "speed", {"max_steps": 40, "lora_rank": 8})
    assert again.problems == []


def test_what_the_backend_no_longer_has_is_left_out_and_said():
    again = run_again("0dd0dd00", FACTS, ["tiny"], ["b"])
    assert again.choices == StartChoices("", ("b",), "speed", {"max_steps": 40, "lora_rank": 8})
    assert again.problems == [
        "run 0dd0dd00's model 'small' is no longer on this backend",
        "run 0dd0dd00's datasets 'a', 'c' are no longer on this backend",
    ]


def test_a_run_tf_tui_knows_nothing_of_says_so():
    again = run_again("0dd0dd00", RunFacts(), ["tiny"], ["a"])
    assert again.choices == StartChoices()
    assert again.model_problem == "which model run 0dd0dd00 trained is not known (its backend did not say): choose one"
    assert again.datasets_problem == "which datasets run 0dd0dd00 trained on is not known (its backend did not say)"
