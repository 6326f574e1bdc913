"""The evaluator in process: fresh weights know nothing, and a test set never includes what was trained on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tf_tui.server.catalog import MODEL_SIZES, VOCABULARY
from tf_tui.server.datasets import BUILTIN_DATASETS
from tf_tui.server.evaluation import EvaluationError, answer, evaluate, held_out_from
from tf_tui.server.trainer import CharMLP

ARITHMETIC = BUILTIN_DATASETS[0].examples


def test_fresh_weights_score_chance_and_answer_no_problem():
    model = CharMLP.initial(MODEL_SIZES["small"], np.random.default_rng(0))
    measured = evaluate(model, held_out_from(ARITHMETIC[:200], ARITHMETIC[:100], model.context, "dataset a"))
    assert measured.metrics["held_out_loss"] == pytest.approx(math.log(len(VOCABULARY)), abs=0.05)
    assert measured.metrics["arithmetic_exact_match"] == 0.0
    assert (
        "100 builtin-arithmetic problems from dataset a, not trained on" in measured.methods["arithmetic_exact_match"]
    )


def test_a_test_set_wholly_trained_on_is_refused():
    with pytest.raises(EvaluationError, match="trained on every example of dataset a"):
        held_out_from(ARITHMETIC[:5], ARITHMETIC, 8, "dataset a")


def test_an_answer_stops_at_the_end_of_an_example_and_says_its_confidence():
    model = CharMLP.initial(MODEL_SIZES["tiny"], np.random.default_rng(0))
    reply = answer(model, "23+45=")
    assert "\n\n" not in reply.text and len(reply.text) <= 200
    assert 0 < reply.confidence <= 1 and reply.response_time_ms >= 0
