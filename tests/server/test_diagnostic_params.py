"""The parameters that make a real run go wrong on purpose, so that health alerts can be seen firing:
`clipping = false` lets a high learning rate drive the loss to infinity, said as text since JSON has no
infinity; `max_examples` trains on a few examples only, so that a long run overfits."""

from __future__ import annotations

import json
import math

import pytest

from tests.conftest import ENDLESS_PARAMS, open_socket, receive_until, send_json
from tf_tui.server.catalog import MODEL_SIZES
from tf_tui.server.datasets import BUILTIN_DATASETS
from tf_tui.server.trainer import TrainingSpec, reported, train

# A learning rate high enough that, with nothing clipped, a prediction goes certain and wrong within a few steps.
UNCLIPPED = {**ENDLESS_PARAMS, "clipping": False, "learning_rate": 1.0}


async def start(http, **params):
    reply = await http.post(
        "/train/start", json={"base_model": "tiny", "dataset_ids": ["builtin-arithmetic"], "params": params}
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["train_id"]


async def test_an_unclipped_run_at_a_high_learning_rate_reports_an_infinite_loss_as_text(http, server):
    train_id = await start(http, **UNCLIPPED)
    try:
        async with open_socket(server.url) as socket:
            await send_json(socket, {"type": "subscribe_training", "train_id": train_id})
            await receive_until(socket, lambda frame: _details(frame).get("loss") == "inf")
        # The status route answers it as JSON any reader takes (a bare Infinity would be refused, or a 500).
        body = json.loads((await http.get(f"/train/status/{train_id}")).text)
        assert body["details"]["loss"] == "inf"
    finally:
        await http.post(f"/train/stop/{train_id}")


async def test_a_clipped_run_at_the_same_learning_rate_stays_finite(tmp_path, capsys):
    path = tmp_path / "arithmetic.jsonl"
    path.write_text("".join(json.dumps(example) + "\n" for example in BUILTIN_DATASETS[0].examples))

    def losses(clipping: bool) -> list[object]:
        spec = TrainingSpec("t", MODEL_SIZES["tiny"], [path], 40, 1.0, 64, 0, tmp_path / "w.npz", clipping=clipping)
        train(spec)
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        return [line["details"]["loss"] for line in lines if "loss" in line.get("details", {})]

    assert all(isinstance(loss, float) and math.isfinite(loss) for loss in losses(True))
    assert "inf" in losses(False)


async def test_max_examples_trains_on_that_many_examples_only(tmp_path, capsys):
    path = tmp_path / "arithmetic.jsonl"
    path.write_text("".join(json.dumps(example) + "\n" for example in BUILTIN_DATASETS[0].examples))
    spec = TrainingSpec("t", MODEL_SIZES["tiny"], [path], 20, 0.003, 16, 0, tmp_path / "w.npz", max_examples=40)
    train(spec)
    messages = [json.loads(line)["details"].get("message", "") for line in capsys.readouterr().out.splitlines()]
    encoded = next(message for message in messages if message.startswith("Encoded"))
    every = TrainingSpec("t", MODEL_SIZES["tiny"], [path], 20, 0.003, 16, 0, tmp_path / "w.npz")
    train(every)
    messages = [json.loads(line)["details"].get("message", "") for line in capsys.readouterr().out.splitlines()]
    assert _characters(encoded) * 10 < _characters(next(m for m in messages if m.startswith("Encoded")))


def test_steps_per_s_keeps_the_training_at_that_pace(tmp_path, capsys):
    """The sleeps make the time a lower bound, whatever the machine's speed: 60 steps at 300 a second."""
    path = tmp_path / "arithmetic.jsonl"
    path.write_text("".join(json.dumps(example) + "\n" for example in BUILTIN_DATASETS[0].examples))
    spec = TrainingSpec("t", MODEL_SIZES["tiny"], [path], 60, 0.003, 16, 0, tmp_path / "w.npz", steps_per_s=300)
    train(spec)
    last = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"step"' in line][-1]
    assert last["details"]["step"] == 60 and last["details"]["elapsed_s"] >= 60 / 300


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"clipping": "no"}, "valid boolean"),
        ({"clipping": 0}, "valid boolean"),
        ({"max_examples": 0}, "greater than or equal to 1"),
        ({"max_examples": True}, "a number is needed, not true"),
        ({"steps_per_s": 0}, "greater than 0"),
        (
            {"clipping_off": True},
            "this server takes max_steps, learning_rate, batch_size, seed, clipping, max_examples, steps_per_s",
        ),
    ],
)
async def test_the_diagnostic_params_are_checked_as_the_others_are(http, params, words):
    reply = await http.post(
        "/train/start", json={"base_model": "tiny", "dataset_ids": ["builtin-arithmetic"], "params": params}
    )
    assert reply.status_code == 422 and words in reply.text, reply.text


async def test_a_run_lists_the_diagnostic_params_only_when_given(http):
    models = {model["id"]: model for model in (await http.get("/models/list")).json()["models"]}
    assert set(models["tiny"]["default_params"]["balanced"]) == {"max_steps", "learning_rate", "batch_size", "seed"}


def test_a_non_finite_loss_is_reported_as_text():
    assert [reported(value) for value in (1.23456, math.inf, -math.inf, math.nan)] == [1.2346, "inf", "-inf", "nan"]


def _characters(message: str) -> int:
    return int(message.split()[1].replace(",", ""))


def _details(frame: dict) -> dict:
    data = frame.get("data")
    details = data.get("details") if isinstance(data, dict) else None
    return details if isinstance(details, dict) else {}
