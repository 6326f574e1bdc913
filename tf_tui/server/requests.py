"""The request bodies the routes take, checked before a route sees them: a bad one is a 422 that says why."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, field_validator, model_validator

from tf_tui.server.catalog import DIAGNOSTIC_PARAMS, MODEL_SIZES, TRAINING_PARAMS
from tf_tui.server.evaluation import MAX_TEST_INPUT

DEFAULT_VERSION = "1.0.0"


def _not_a_boolean(value: Any) -> Any:
    # Pydantic takes true for 1 in a number field: `"max_steps": true` was a one-step run.
    if isinstance(value, bool):
        raise ValueError(f"a number is needed, not {str(value).lower()}")
    return value


Count = Annotated[int | None, BeforeValidator(_not_a_boolean)]
Rate = Annotated[float | None, BeforeValidator(_not_a_boolean)]


class TrainParams(BaseModel):
    # The deployed backend takes any params and stores a typo silently; this server names the ones it reads.
    max_steps: Count = Field(None, ge=1, le=10_000_000)
    learning_rate: Rate = Field(None, gt=0, le=1)
    batch_size: Count = Field(None, ge=1, le=4096)
    seed: Count = Field(None, ge=0, le=2**32 - 1)
    clipping: StrictBool | None = None
    max_examples: Count = Field(None, ge=1, le=10_000_000)
    steps_per_s: Rate = Field(None, gt=0, le=1_000_000)

    @model_validator(mode="before")
    @classmethod
    def known_keys(cls, values: Any) -> Any:
        taken = (*TRAINING_PARAMS, *DIAGNOSTIC_PARAMS)
        unknown = [key for key in values if key not in taken] if isinstance(values, dict) else []
        if unknown:
            names = ", ".join(repr(key) for key in unknown)
            raise ValueError(f"unknown parameter {names}; this server takes {', '.join(taken)}")
        return values


class StartRequest(BaseModel):
    base_model: str
    dataset_ids: list[str] = Field(min_length=1)
    params: TrainParams = Field(default_factory=TrainParams)
    outcome_preference: Literal["speed", "balanced", "quality"] = "balanced"

    @field_validator("base_model")
    @classmethod
    def known_model(cls, value: str) -> str:
        if value not in MODEL_SIZES:
            raise ValueError(f"unknown model {value!r}; this server trains {', '.join(MODEL_SIZES)}")
        return value

    @field_validator("dataset_ids")
    @classmethod
    def each_once(cls, value: list[str]) -> list[str]:
        """A dataset named twice is trained on once: the run's datasets are a set, in the order first
        named. Refusing the repeat would fail a request whose meaning is plain (a list built by adding
        choices); keeping it made the trainer hold a copy of the data per repeat."""
        return list(dict.fromkeys(value))


class EvaluateRequest(BaseModel):
    talent_id: str = Field(min_length=1, max_length=200)
    test_dataset_id: str | None = None


class PublishRequest(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=100)
    category: str = "general"
    version: str = Field(DEFAULT_VERSION, min_length=1, max_length=40)
    # The deployed backend requires it, and clients send what the run's status names; this server finds the
    # run's own weights itself, so it may be left out, and a path that is not theirs is refused.
    model_path: str | None = Field(None, max_length=4096)
    metrics: dict[str, float] | None = None
    status: str = "active"


class TestRequest(BaseModel):
    test_input: str = Field(min_length=1, max_length=MAX_TEST_INPUT)
