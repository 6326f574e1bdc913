"""One training run, as a child process: a character-level MLP language model trained with numpy.

Run as `python -m tf_tui.server.trainer --run-id ID` with a JSON spec as the first line of stdin. The
server keeps stdin open for the life of the run: when it closes (the server died, even by SIGKILL), the
trainer exits rather than train on for nobody. It writes one JSON
object per line on stdout: `{"status", "progress", "details"}` while it works, then a last
`{"status": "completed", "result": {...}}` or `{"status": "failed", "error": "..."}`. Stopping a run
is terminating this process. Training is deterministic for a given seed (BLAS runs single-threaded).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tf_tui.server.catalog import MODEL_SIZES, VOCABULARY, ModelSize
from tf_tui.server.datasets import Example, format_example

# A progress line whenever the percentage moves, at most ten a second, and at least one a second so
# that a long run's loss and ETA stay fresh between percentage steps.
MIN_REPORT_INTERVAL_S = 0.1
MAX_REPORT_INTERVAL_S = 1.0
VALIDATION_SHARE = 0.1
MIN_CORPUS_CHARS = 200
MAX_VALIDATION_WINDOWS = 20_000
# While it trains, a run measures its held-out loss ten times, evenly over its steps, and at least every
# thousand steps (an endless run too), on a fixed, evenly spread subset of the held-out windows: the same
# windows each time, so the values compare, and few, so it costs about as much as a handful of steps.
EVALUATIONS = 10
MAX_EVALUATION_INTERVAL = 1_000
EVALUATION_WINDOWS = 1_024
GRADIENT_CLIP = 5.0
# The least probability the loss takes the log of: a prediction confidently wrong costs at most -ln(1e-9) ≈ 20.7
# instead of infinity. Off with the clipping (`clipping = false`), as a trainer with no guard has it.
PROBABILITY_FLOOR = 1e-9
EXIT_ORPHANED = 3
SAMPLE_PROMPT = "### Instruction:\n"
SAMPLE_LENGTH = 120

_CHAR_INDEX = {char: index for index, char in enumerate(VOCABULARY)}


@dataclass(frozen=True)
class TrainingSpec:
    run_id: str
    model: ModelSize
    dataset_paths: list[Path]
    max_steps: int
    learning_rate: float
    batch_size: int
    seed: int
    output_path: Path
    clipping: bool = True  # the gradient's norm clipped and a floor under the probabilities
    max_examples: int | None = None  # train on the first examples only (after the seeded shuffle)
    steps_per_s: float | None = None  # at most this many steps a second (sleeping between them)

    @property
    def probability_floor(self) -> float:
        return PROBABILITY_FLOOR if self.clipping else 0.0

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> TrainingSpec:
        return cls(
            run_id=document["run_id"],
            model=MODEL_SIZES[document["model"]],
            dataset_paths=[Path(path) for path in document["dataset_paths"]],
            max_steps=int(document["max_steps"]),
            learning_rate=float(document["learning_rate"]),
            batch_size=int(document["batch_size"]),
            seed=int(document["seed"]),
            output_path=Path(document["output_path"]),
            clipping=bool(document.get("clipping", True)),
            max_examples=None if document.get("max_examples") is None else int(document["max_examples"]),
            steps_per_s=None if document.get("steps_per_s") is None else float(document["steps_per_s"]),
        )


def emit(status: str, progress: int, **fields: Any) -> None:
    print(json.dumps({"status": status, "progress": progress, **fields}), flush=True)
    details = fields.get("details", {})
    loss = f" loss {_figure(details['loss'])}" if "loss" in details else ""
    held_out = f" held-out loss {_figure(details['eval_loss'])}" if "eval_loss" in details else ""
    say(f"{status} {progress}% {details.get('message', '')}{loss}{held_out}")


def reported(value: float) -> float | str:
    """A loss as a progress line says it: rounded, or `nan`, `inf` or `-inf` as text, since JSON has no such
    numbers (Python's json writes bare `NaN` and `Infinity`, which no other JSON reader takes)."""
    return round(value, 4) if math.isfinite(value) else str(value)


def _figure(value: float | str) -> str:
    return f"{value:.4f}" if isinstance(value, float | int) else value


def say(line: str) -> None:
    """A line of the run's log (stderr, which the server keeps as `logs/ID.log` and serves)."""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}", file=sys.stderr, flush=True)


def encode(text: str) -> np.ndarray:
    return np.fromiter((_CHAR_INDEX.get(char, 0) for char in text), dtype=np.int32, count=len(text))


def read_examples(paths: list[Path]) -> list[Example]:
    examples: list[Example] = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            examples.extend(json.loads(line) for line in lines if line.strip())
    return examples


def load_corpus(paths: list[Path], rng: np.random.Generator) -> list[Example]:
    """Every example of every dataset, in a seeded random order: the training text is theirs, joined."""
    examples = read_examples(paths)
    return [examples[index] for index in rng.permutation(len(examples))]


def example_key(example: Example) -> str:
    """An example as a value that tells equal examples, whatever the order of their fields."""
    return json.dumps(example, sort_keys=True)


def held_out_examples(examples: list[Example], split: int) -> list[Example]:
    """The examples whose text lies wholly after character `split` of the joined text (the validation
    part), less any that also occurs before it: what the model never saw in training."""
    seen: set[str] = set()
    after: list[Example] = []
    start = 0
    for example in examples:
        if start >= split:
            after.append(example)
        else:
            seen.add(example_key(example))
        start += len(format_example(example))
    return [example for example in after if example_key(example) not in seen]


class CharMLP:
    """Bengio-style MLP: embed the last `context` characters, one tanh layer, softmax over the vocabulary."""

    WEIGHT_NAMES = ("embeddings", "hidden_w", "hidden_b", "output_w", "output_b")

    def __init__(self, context: int, weights: dict[str, np.ndarray]) -> None:
        self.context = context
        self.weights = weights

    @classmethod
    def initial(cls, size: ModelSize, rng: np.random.Generator) -> CharMLP:
        """Fresh random weights: the model before any training."""
        vocabulary, fan_in = len(VOCABULARY), size.context * size.embedding
        weights = {
            "embeddings": rng.normal(0.0, 1.0, (vocabulary, size.embedding)).astype(np.float32),
            "hidden_w": (rng.normal(0.0, 1.0, (fan_in, size.hidden)) * (5 / 3) / math.sqrt(fan_in)).astype(np.float32),
            "hidden_b": np.zeros(size.hidden, dtype=np.float32),
            # A small output layer starts the loss near ln(vocabulary), a fair baseline.
            "output_w": (rng.normal(0.0, 1.0, (size.hidden, vocabulary)) * 0.01).astype(np.float32),
            "output_b": np.zeros(vocabulary, dtype=np.float32),
        }
        return cls(size.context, weights)

    @classmethod
    def load(cls, stored: Mapping[str, np.ndarray]) -> CharMLP:
        """The model a run saved (`np.load` of its weights file)."""
        return cls(int(stored["context"]), {name: stored[name] for name in cls.WEIGHT_NAMES})

    def loss_and_gradients(
        self, windows: np.ndarray, targets: np.ndarray, floor: float = PROBABILITY_FLOOR
    ) -> tuple[float, dict[str, np.ndarray]]:
        w = self.weights
        embedded = w["embeddings"][windows].reshape(len(windows), -1)
        hidden = np.tanh(embedded @ w["hidden_w"] + w["hidden_b"])
        logits = hidden @ w["output_w"] + w["output_b"]
        probabilities = _softmax(logits)
        rows = np.arange(len(targets))
        loss = _cross_entropy(probabilities[rows, targets], floor)

        d_logits = probabilities
        d_logits[rows, targets] -= 1.0
        d_logits /= len(targets)
        d_hidden = (d_logits @ w["output_w"].T) * (1.0 - hidden**2)
        d_embedded = (d_hidden @ w["hidden_w"].T).reshape(*windows.shape, -1)
        d_embeddings = np.zeros_like(w["embeddings"])
        np.add.at(d_embeddings, windows, d_embedded)
        gradients = {
            "embeddings": d_embeddings,
            "hidden_w": embedded.T @ d_hidden,
            "hidden_b": d_hidden.sum(axis=0),
            "output_w": hidden.T @ d_logits,
            "output_b": d_logits.sum(axis=0),
        }
        return loss, gradients

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        """The next character's distribution after each window of `context` character codes."""
        w = self.weights
        embedded = w["embeddings"][windows].reshape(len(windows), -1)
        return _softmax(np.tanh(embedded @ w["hidden_w"] + w["hidden_b"]) @ w["output_w"] + w["output_b"])

    def loss(self, windows: np.ndarray, targets: np.ndarray, floor: float = PROBABILITY_FLOOR) -> float:
        probabilities = self.probabilities(windows)
        return _cross_entropy(probabilities[np.arange(len(targets)), targets], floor)

    def sample(self, prompt: str, length: int, rng: np.random.Generator) -> str:
        codes = list(encode(prompt.rjust(self.context, "\n")))
        for _ in range(length):
            probabilities = self.probabilities(np.array([codes[-self.context :]]))[0].astype(np.float64)
            codes.append(int(rng.choice(len(probabilities), p=probabilities / probabilities.sum())))
        return "".join(VOCABULARY[code] for code in codes[-length:])


def _cross_entropy(probabilities: np.ndarray, floor: float) -> float:
    """The mean of -ln p; with no floor a probability that underflowed to 0 makes it infinite, as it should."""
    with np.errstate(divide="ignore"):
        return float(-np.log(probabilities + floor).mean())


class Adam:
    def __init__(self, weights: dict[str, np.ndarray], learning_rate: float, clip: float = GRADIENT_CLIP) -> None:
        self.learning_rate = learning_rate
        self.clip = clip
        self.steps = 0
        self.first = {name: np.zeros_like(value) for name, value in weights.items()}
        self.second = {name: np.zeros_like(value) for name, value in weights.items()}

    def apply(self, weights: dict[str, np.ndarray], gradients: dict[str, np.ndarray]) -> None:
        self.steps += 1
        norm = math.sqrt(sum(float((gradient**2).sum()) for gradient in gradients.values()))
        scale = min(1.0, self.clip / (norm + 1e-12))
        correction = math.sqrt(1 - 0.999**self.steps) / (1 - 0.9**self.steps)
        for name, gradient in gradients.items():
            gradient = gradient * scale
            self.first[name] = 0.9 * self.first[name] + 0.1 * gradient
            self.second[name] = 0.999 * self.second[name] + 0.001 * gradient**2
            weights[name] -= self.learning_rate * correction * self.first[name] / (np.sqrt(self.second[name]) + 1e-8)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return probabilities


def _windows(codes: np.ndarray, positions: np.ndarray, context: int) -> np.ndarray:
    return codes[positions[:, None] + np.arange(-context, 0)]


@dataclass(frozen=True)
class Corpus:
    """The datasets as one encoded text, its windows split into training and held-out ones."""

    examples: list[Example]
    text: str
    codes: np.ndarray
    train_positions: np.ndarray
    validation_positions: np.ndarray


def train(spec: TrainingSpec) -> dict[str, Any]:
    began = time.monotonic()
    rng = np.random.default_rng(spec.seed)
    context = spec.model.context
    corpus = _prepare_corpus(spec, rng)
    codes, validation_positions = corpus.codes, corpus.validation_positions
    model = CharMLP.initial(spec.model, rng)
    training_loss = _optimise(spec, corpus, model, rng)

    emit("evaluating", 100, details={"message": f"Evaluating on {len(validation_positions):,} held-out windows"})
    validation_windows = _windows(codes, validation_positions, context)
    validation_loss = model.loss(validation_windows, codes[validation_positions], spec.probability_floor)
    _save_weights(spec, corpus, model)
    return {
        "model_path": str(spec.output_path),
        # The training loss at the last step, as the last update said it; what the model makes of the text it
        # never trained on is the held-out loss, named as such.
        "final_loss": reported(training_loss or 0.0),
        "held_out_loss": reported(validation_loss),
        "baseline_loss": round(math.log(len(VOCABULARY)), 4),
        "duration_s": round(time.monotonic() - began, 2),
        "steps": spec.max_steps,
        "parameters": spec.model.parameters,
        "sample": SAMPLE_PROMPT + model.sample(SAMPLE_PROMPT, SAMPLE_LENGTH, rng),
    }


def _prepare_corpus(spec: TrainingSpec, rng: np.random.Generator) -> Corpus:
    context = spec.model.context
    emit("preprocessing", 0, details={"message": f"Reading {len(spec.dataset_paths)} dataset(s)"})
    examples = load_corpus(spec.dataset_paths, rng)[: spec.max_examples]
    text = "".join(format_example(example) for example in examples)
    codes = np.concatenate([encode("\n" * context), encode(text)])
    positions = np.arange(context, len(codes))
    split = len(positions) - max(1, int(len(positions) * VALIDATION_SHARE))
    train_positions, validation_positions = positions[:split], positions[split:][:MAX_VALIDATION_WINDOWS]
    if len(text) < MIN_CORPUS_CHARS:
        raise ValueError(f"the datasets hold {len(text)} characters, too few to train on (at least {MIN_CORPUS_CHARS})")
    emit(
        "preprocessing",
        0,
        details={
            "message": f"Encoded {len(text):,} characters into {len(train_positions):,} training windows",
            "total_steps": spec.max_steps,
        },
    )
    return Corpus(examples, text, codes, train_positions, validation_positions)


def _optimise(spec: TrainingSpec, corpus: Corpus, model: CharMLP, rng: np.random.Generator) -> float | None:
    """Train `model` for the spec's steps, reporting as it goes; its smoothed training loss at the end."""
    context = spec.model.context
    codes, train_positions, validation_positions = corpus.codes, corpus.train_positions, corpus.validation_positions
    optimiser = Adam(model.weights, spec.learning_rate, GRADIENT_CLIP if spec.clipping else math.inf)
    evaluate_every = max(1, min(spec.max_steps // EVALUATIONS, MAX_EVALUATION_INTERVAL))
    probe = validation_positions[:: max(1, len(validation_positions) // EVALUATION_WINDOWS)][:EVALUATION_WINDOWS]
    probe_windows, probe_targets = _windows(codes, probe, context), codes[probe]
    smoothed_loss: float | None = None
    training_began = time.monotonic()
    last_report = -math.inf
    last_percent = -1
    for step in range(1, spec.max_steps + 1):
        batch = train_positions[rng.integers(0, len(train_positions), spec.batch_size)]
        loss, gradients = model.loss_and_gradients(
            _windows(codes, batch, context), codes[batch], spec.probability_floor
        )
        optimiser.apply(model.weights, gradients)
        smoothed_loss = loss if smoothed_loss is None else 0.95 * smoothed_loss + 0.05 * loss
        if spec.steps_per_s is not None:
            _keep_pace(step, spec.steps_per_s, training_began)

        evaluates = step % evaluate_every == 0 or step == spec.max_steps
        probe_loss = model.loss(probe_windows, probe_targets, spec.probability_floor) if evaluates else None
        held_out = {} if probe_loss is None else {"eval_loss": reported(probe_loss)}
        percent = step * 100 // spec.max_steps
        now = time.monotonic()
        since_report = now - last_report
        if (
            evaluates
            or since_report >= MAX_REPORT_INTERVAL_S
            or (percent != last_percent and since_report >= MIN_REPORT_INTERVAL_S)
        ):
            last_report, last_percent = now, percent
            elapsed = now - training_began
            steps_per_s = step / elapsed if elapsed > 0 else 0.0
            emit(
                "training",
                percent,
                details={
                    "message": f"Training step {step}/{spec.max_steps}",
                    "step": step,
                    "total_steps": spec.max_steps,
                    "epoch": step * spec.batch_size // len(train_positions) + 1,
                    "loss": reported(smoothed_loss),
                    **held_out,
                    "elapsed_s": round(elapsed, 3),
                    "samples_per_s": round(steps_per_s * spec.batch_size, 1),
                    "learning_rate": spec.learning_rate,
                    "eta_s": round((spec.max_steps - step) / steps_per_s, 1) if steps_per_s else None,
                },
            )
    return smoothed_loss


def _keep_pace(step: int, steps_per_s: float, began: float) -> None:
    """Sleep until `step` is due at `steps_per_s` steps a second from `began`: ahead of the pace, the trainer
    waits (and takes no CPU); behind it, it goes on at once."""
    ahead = step / steps_per_s - (time.monotonic() - began)
    if ahead > 0:
        time.sleep(ahead)


def _save_weights(spec: TrainingSpec, corpus: Corpus, model: CharMLP) -> None:
    context = spec.model.context
    text, validation_positions = corpus.text, corpus.validation_positions
    spec.output_path.parent.mkdir(parents=True, exist_ok=True)
    with spec.output_path.open("wb") as weights_file:
        # What was held out goes with the weights, so that an evaluation measures the model on text it never
        # trained on: the validation text (with the context before its first window) and its whole examples.
        first_target = int(validation_positions[0]) - context  # as an index into `text`
        np.savez(
            weights_file,
            context=np.array(context),
            vocabulary=np.array(VOCABULARY),
            held_out_text=np.array(text[first_target - context : first_target + len(validation_positions)]),
            held_out_examples=np.array(json.dumps(held_out_examples(corpus.examples, first_target))),
            # numpy's stub checks **kwds against savez's own allow_pickle keyword too; the names are the weights'.
            **model.weights,  # type: ignore[arg-type]
        )


def _exit_when_stdin_closes() -> None:
    sys.stdin.read()
    os._exit(EXIT_ORPHANED)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    # The id is only on the command line so that `ps` shows which run a process belongs to.
    parser.add_argument("--run-id", required=True)
    parser.parse_args()
    try:
        spec = TrainingSpec.from_json(json.loads(sys.stdin.readline()))
        threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
        result = train(spec)
    except Exception as error:  # any failure is reported to the server as the run's error
        print(json.dumps({"status": "failed", "error": f"{type(error).__name__}: {error}"}), flush=True)
        say(f"failed: {type(error).__name__}: {error}")
        return 1
    print(json.dumps({"status": "completed", "progress": 100, "result": result}), flush=True)
    say(
        f"completed: final loss {_figure(result['final_loss'])}, held-out loss {_figure(result['held_out_loss'])} after"
        f" {result['steps']} steps in {result['duration_s']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
