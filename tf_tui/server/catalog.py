"""The model sizes the reference server can train, and their real parameter counts.

Every model is a character-level MLP language model over one fixed vocabulary, so a size's
parameter count does not depend on the datasets it is trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

# Printable ASCII plus newline; index 0 stands for every other character.
VOCABULARY = "\0\n" + "".join(chr(code) for code in range(32, 127))
VOCABULARY_SIZE = len(VOCABULARY)


@dataclass(frozen=True)
class ModelSize:
    id: str
    name: str
    description: str
    context: int  # characters the model sees before predicting the next one
    embedding: int  # width of each character's embedding
    hidden: int  # width of the tanh hidden layer
    default_steps: int  # steps of a `balanced` run
    default_batch_size: int

    @property
    def parameters(self) -> int:
        embeddings = VOCABULARY_SIZE * self.embedding
        hidden_layer = self.context * self.embedding * self.hidden + self.hidden
        output_layer = self.hidden * VOCABULARY_SIZE + VOCABULARY_SIZE
        return embeddings + hidden_layer + output_layer

    def describe(self) -> dict[str, object]:
        """The `/models/list` entry, with the deployed backend's field names."""
        size_gb = self.parameters * 4 / 1e9  # float32 weights
        return {
            "id": self.id,
            "name": self.name,
            "size_gb": round(size_gb, 6),
            "min_vram_gb": 0,
            "description": self.description,
            "category": "character-level language model",
            "backend": "numpy (cpu)",
            "parameters": self.parameters,
            "context_chars": self.context,
            "default_steps": self.default_steps,
            # Beyond the contract: the value of each parameter a start leaves out, per outcome preference, so
            # that a client shows what "default" stands for.
            "default_params": {outcome: resolve_params(self, outcome, {}) for outcome in OUTCOME_STEP_FACTORS},
        }


MODEL_SIZES: dict[str, ModelSize] = {
    size.id: size
    for size in (
        ModelSize(
            id="tiny",
            name="Tiny char-MLP",
            description="Smallest model: under ten seconds of training, for trying things out.",
            context=4,
            embedding=16,
            hidden=128,
            default_steps=15000,
            default_batch_size=64,
        ),
        ModelSize(
            id="small",
            name="Small char-MLP",
            description="A balanced model: about half a minute of training on one core.",
            context=8,
            embedding=24,
            hidden=256,
            default_steps=12000,
            default_batch_size=128,
        ),
        ModelSize(
            id="base",
            name="Base char-MLP",
            description="The largest model: about a minute of training, lowest loss.",
            context=12,
            embedding=32,
            hidden=512,
            default_steps=8000,
            default_batch_size=128,
        ),
    )
}

# How an outcome preference scales the default number of steps.
OUTCOME_STEP_FACTORS = {"speed": 0.4, "balanced": 1.0, "quality": 2.0}
TRAINING_PARAMS = ("max_steps", "learning_rate", "batch_size", "seed")
# Taken when given, with no default listed (`default_params`): they make a run go wrong on purpose, so that a
# client's health alerts can be seen firing on real training. `clipping = false` trains with no gradient
# clipping and no floor under the predicted probabilities (a high learning rate then drives the loss to
# infinity); `max_examples = N` trains on the first N examples only (trained long, the run overfits).
# `steps_per_s = N` trains at most N steps a second: a run slow enough to watch, and cheap to keep going.
DIAGNOSTIC_PARAMS = ("clipping", "max_examples", "steps_per_s")
DEFAULT_LEARNING_RATE = 0.003
DEFAULT_SEED = 0


def resolve_params(model: ModelSize, outcome: str, requested: dict[str, object]) -> dict[str, object]:
    """The run's full parameters: what the client asked for, the outcome's defaults for the rest."""
    return {
        "max_steps": round(model.default_steps * OUTCOME_STEP_FACTORS[outcome]),
        "learning_rate": DEFAULT_LEARNING_RATE,
        "batch_size": model.default_batch_size,
        "seed": DEFAULT_SEED,
        **{name: value for name, value in requested.items() if value is not None},
    }
