"""The training loop itself, in process: it learns, it is deterministic, and its sizes are honest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tf_tui.server.catalog import MODEL_SIZES, OUTCOME_STEP_FACTORS, resolve_params
from tf_tui.server.datasets import BUILTIN_DATASETS
from tf_tui.server.trainer import CharMLP, TrainingSpec, train


@pytest.fixture
def dataset_path(tmp_path):
    path = tmp_path / "units.jsonl"
    path.write_text("".join(json.dumps(example) + "\n" for example in BUILTIN_DATASETS[1].examples))
    return path


def spec_for(path, tmp_path, seed=1, steps=400, model="tiny"):
    return TrainingSpec(
        run_id="test",
        model=MODEL_SIZES[model],
        dataset_paths=[path],
        max_steps=steps,
        learning_rate=0.003,
        batch_size=32,
        seed=seed,
        output_path=tmp_path / f"weights-{seed}.npz",
    )


def run_lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_training_lowers_the_loss_and_saves_weights(dataset_path, tmp_path, capsys):
    result = train(spec_for(dataset_path, tmp_path))
    lines = run_lines(capsys)
    losses = [line["details"]["loss"] for line in lines if line["status"] == "training"]
    assert losses[-1] < losses[0]
    assert result["held_out_loss"] < result["baseline_loss"] * 0.6
    assert result["final_loss"] == losses[-1]  # the training loss at the last step, as its update said
    weights = np.load(result["model_path"])
    assert int(weights["context"]) == MODEL_SIZES["tiny"].context
    assert result["sample"].startswith("### Instruction:")
    statuses = [line["status"] for line in lines]
    assert statuses[0] == "preprocessing" and statuses[-1] == "evaluating"
    assert [line["progress"] for line in lines] == sorted(line["progress"] for line in lines)


def test_the_held_out_loss_is_measured_ten_times_and_each_line_says_its_time_and_rate(dataset_path, tmp_path, capsys):
    train(spec_for(dataset_path, tmp_path, steps=400))
    details = [line["details"] for line in run_lines(capsys) if line["status"] == "training"]
    evaluations = [(entry["step"], entry["eval_loss"]) for entry in details if "eval_loss" in entry]
    assert [step for step, _ in evaluations] == list(range(40, 401, 40))
    assert evaluations[-1][1] < evaluations[0][1]  # it learns what it was not shown too
    elapsed = [entry["elapsed_s"] for entry in details]
    assert elapsed == sorted(elapsed) and elapsed[-1] > 0
    assert {entry["learning_rate"] for entry in details} == {0.003}


def test_same_seed_same_run_other_seed_other_run(dataset_path, tmp_path, capsys):
    first, again, other = (train(spec_for(dataset_path, tmp_path, seed=seed)) for seed in (5, 5, 6))
    assert first["final_loss"] == again["final_loss"] and first["sample"] == again["sample"]
    assert other["final_loss"] != first["final_loss"]


def test_too_little_text_is_a_clear_error(tmp_path):
    path = tmp_path / "tiny.jsonl"
    path.write_text(json.dumps({"instruction": "a", "input": "", "output": "b"}) + "\n")
    with pytest.raises(ValueError, match="too few to train on"):
        train(spec_for(path, tmp_path))


@pytest.mark.parametrize("size", sorted(MODEL_SIZES))
def test_parameter_counts_match_the_weights(size):
    model = CharMLP.initial(MODEL_SIZES[size], np.random.default_rng(0))
    assert sum(weight.size for weight in model.weights.values()) == MODEL_SIZES[size].parameters


def test_outcome_preference_scales_steps_and_explicit_params_win():
    small = MODEL_SIZES["small"]
    speed = resolve_params(small, "speed", {})
    quality = resolve_params(small, "quality", {"seed": None})
    assert speed["max_steps"] == round(small.default_steps * OUTCOME_STEP_FACTORS["speed"])
    assert speed["max_steps"] < quality["max_steps"]
    assert resolve_params(small, "quality", {"max_steps": 9, "seed": 4}) | {} == {**quality, "max_steps": 9, "seed": 4}
