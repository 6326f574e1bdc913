"""A trained run measured on text it never trained on, and a talent tried on a prompt: real numbers, each
with the words that say how it was computed.

Pure numpy over a run's weights file; the routes run it in a thread, off the event loop. The held-out
part is the one the trainer kept aside (the last tenth of its shuffled text, saved with the weights), or
another dataset's examples less those the run trained on.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tf_tui.server.catalog import VOCABULARY
from tf_tui.server.datasets import BUILTIN_DATASETS, Example, format_example
from tf_tui.server.trainer import MAX_VALIDATION_WINDOWS, CharMLP, encode, example_key

MAX_PROBLEMS = 400  # arithmetic problems answered per evaluation
ANSWER_LIMIT = 8  # characters generated for one answer: "-99" and "198" need 3
MAX_TEST_INPUT = 2000
TEST_OUTPUT_LIMIT = 200
END_OF_EXAMPLE = "\n\n"  # what `format_example` ends an example with
ARITHMETIC_ID = "builtin-arithmetic"

_ARITHMETIC = next(dataset for dataset in BUILTIN_DATASETS if dataset.id == ARITHMETIC_ID)


class EvaluationError(ValueError):
    """A run that cannot be evaluated; the message says why, in words."""


@dataclass(frozen=True)
class HeldOut:
    text: str  # the text to predict, after `context` characters that only lead into its first window
    examples: list[Example]  # its whole examples, none of them trained on
    where: str  # after "characters" or "problems": "held out by the trainer", "from dataset X, not trained on"


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    methods: dict[str, str]


@dataclass(frozen=True)
class TalentAnswer:
    text: str
    confidence: float  # the mean probability the model gave each character it chose
    response_time_ms: float


def load_model(weights_path: Path) -> tuple[CharMLP, HeldOut]:
    """A run's model and the part of its text it held out, from the file the trainer saved."""
    try:
        with np.load(weights_path) as stored:
            model = CharMLP.load(stored)
            if "held_out_text" not in stored:
                raise EvaluationError("its weights were saved before evaluations existed; train it again")
            held_out = HeldOut(
                str(stored["held_out_text"]),
                json.loads(str(stored["held_out_examples"])),
                "held out by the trainer",
            )
    except (OSError, KeyError, ValueError) as error:
        if isinstance(error, EvaluationError):
            raise
        raise EvaluationError(f"its weights cannot be read ({type(error).__name__})") from None
    return model, held_out


def held_out_from(examples: list[Example], trained: list[Example], context: int, where: str) -> HeldOut:
    """A dataset's examples as a test set: those the run trained on are left out."""
    seen = {example_key(example) for example in trained}
    fresh = [example for example in examples if example_key(example) not in seen]
    if not fresh:
        raise EvaluationError(f"the run trained on every example of {where}; nothing of it is held out")
    text = "\n" * context + "".join(format_example(example) for example in fresh)
    return HeldOut(text[: context + MAX_VALIDATION_WINDOWS], fresh, f"from {where}, not trained on")


def trained_examples(all_examples: list[Example], held_out: HeldOut) -> list[Example]:
    """The examples a run trained on: all of its datasets' but the ones it held out."""
    kept = {example_key(example) for example in held_out.examples}
    return [example for example in all_examples if example_key(example) not in kept]


def evaluate(model: CharMLP, held_out: HeldOut) -> Evaluation:
    codes = encode(held_out.text)
    positions = np.arange(model.context, len(codes))
    if not len(positions):
        raise EvaluationError("the held-out text is empty")
    windows = codes[positions[:, None] + np.arange(-model.context, 0)]
    targets = codes[positions]
    probabilities = model.probabilities(windows)
    rows = np.arange(len(targets))
    loss = float(-np.log(probabilities[rows, targets] + 1e-9).mean())
    accuracy = float((probabilities.argmax(axis=1) == targets).mean())
    where = f"{len(targets):,} characters {held_out.where}"
    metrics = {
        "held_out_loss": round(loss, 4),
        "perplexity": round(math.exp(loss), 3),
        "next_char_accuracy": round(accuracy, 4),
    }
    methods = {
        "held_out_loss": f"mean next-character cross-entropy (nats), {where}",
        "perplexity": "exp(held_out_loss)",
        "next_char_accuracy": f"share of next characters the model ranks first, {where}",
    }
    problems = [example for example in held_out.examples if example_key(example) in _ARITHMETIC_KEYS][:MAX_PROBLEMS]
    if problems:
        metrics["arithmetic_exact_match"] = round(_exact_match(model, problems), 4)
        methods["arithmetic_exact_match"] = (
            f"share of {len(problems)} {ARITHMETIC_ID} problems {held_out.where} answered exactly (greedy, after '=')"
        )
    return Evaluation(metrics, methods)


def answer(model: CharMLP, prompt: str) -> TalentAnswer:
    """The model's continuation of `prompt`, greedy, up to the end of an example or TEST_OUTPUT_LIMIT."""
    began = time.perf_counter()
    [(text, confidence)] = _generate(model, [prompt], TEST_OUTPUT_LIMIT, END_OF_EXAMPLE)
    return TalentAnswer(text, round(confidence, 4), round((time.perf_counter() - began) * 1000, 1))


def _exact_match(model: CharMLP, problems: list[Example]) -> float:
    prompts, expected = [], []
    for problem in problems:
        text = format_example(problem)
        equation, _, result = problem["output"].partition("=")
        prompts.append(text[: text.rindex(problem["output"])] + equation + "=")
        expected.append(result)
    answers = _generate(model, prompts, ANSWER_LIMIT, "\n")
    return sum(text == want for (text, _), want in zip(answers, expected, strict=True)) / len(problems)


def _generate(model: CharMLP, prompts: list[str], limit: int, stop: str) -> list[tuple[str, float]]:
    """Greedy continuations of several prompts at once (one batch a character), each cut before `stop`,
    with the mean probability of the characters chosen."""
    context = model.context
    codes = np.stack([encode(prompt[-context:].rjust(context, "\n")) for prompt in prompts])
    texts = [""] * len(prompts)
    chosen: list[list[float]] = [[] for _ in prompts]
    going = set(range(len(prompts)))
    for _ in range(limit):
        probabilities = model.probabilities(codes[:, -context:])
        best = probabilities.argmax(axis=1)
        for index in list(going):
            texts[index] += VOCABULARY[best[index]]
            chosen[index].append(float(probabilities[index, best[index]]))
            if texts[index].endswith(stop):
                going.discard(index)
        if not going:
            break
        codes = np.concatenate([codes, best[:, None].astype(codes.dtype)], axis=1)
    return [(text.split(stop, 1)[0], sum(odds) / len(odds)) for text, odds in zip(texts, chosen, strict=True)]


_ARITHMETIC_KEYS = frozenset(example_key(example) for example in _ARITHMETIC.examples)
