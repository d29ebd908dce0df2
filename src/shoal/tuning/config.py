"""The `tuning:` section of shoal.yaml.

Example::

    tuning:
      registry_dir: registry          # under data_dir unless absolute
      datasets_dir: datasets
      scrub_policy: scrub             # scrub | drop | allow_self_hosted
      holdout_fraction: 0.2
      canary_share: 0.1               # share of an alias's traffic sent to the challenger
      gate: {margin: 0.05, safety_tolerance: 0.0, metrics: [exact_match]}
      lora: {rank: 16, alpha: 32, epochs: 3, learning_rate: 0.0002}
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ScrubPolicy = Literal["scrub", "drop", "allow_self_hosted"]

# The projection layers of Llama-family models that LoRA adapts by default; these are also the
# layers llama.cpp can apply a GGUF adapter to (see shoal.tuning.gguf_adapter).
DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoraConfig(_Strict):
    """Default LoRA hyperparameters; every one can be overridden on `shoal tune lora`."""

    rank: int = Field(default=16, gt=0, le=256)
    alpha: float = Field(default=32.0, gt=0)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    learning_rate: float = Field(default=2e-4, gt=0)
    epochs: float = Field(default=3.0, gt=0, description="may be fractional")
    batch_size: int = Field(default=8, gt=0)
    max_seq_len: int = Field(default=384, gt=8, description="longer examples are truncated from the left")
    max_steps: int | None = Field(default=None, gt=0, description="stop after this many optimiser steps")
    warmup_ratio: float = Field(default=0.05, ge=0, lt=1)
    weight_decay: float = Field(default=0.0, ge=0)
    target_modules: tuple[str, ...] = DEFAULT_TARGETS
    seed: int = 0
    threads: int | None = Field(default=None, gt=0, description="torch CPU threads (default: cores - 1)")


class GateConfig(_Strict):
    """How a candidate must beat the champion on the held-out split to be promoted.

    The gate runs an eval spec (``spec``, its dataset replaced by the held-out split) or, without
    one, a spec built from ``metrics``; it compares the runs' quality and safety scores.
    """

    spec: str | None = Field(default=None, description="eval spec YAML (relative to the config file)")
    metrics: tuple[str, ...] = Field(default=("exact_match",), min_length=1,
                                     description="metrics of the built-in spec (when no spec is given)")
    margin: float = Field(default=0.05, ge=0, le=1, description="quality gain required over the champion")
    safety_tolerance: float = Field(default=0.0, ge=0, le=1, description="allowed drop of the safety score")
    max_items: int | None = Field(default=None, gt=0, description="evaluate at most this many held-out items")
    max_tokens: int = Field(default=64, gt=0, description="answer length cap of the built-in spec")


class TuningConfig(_Strict):
    """Settings of shoal.tuning. Unknown keys are errors (they name the key and the file)."""

    registry_dir: str = "registry"
    datasets_dir: str = "datasets"
    scrub_policy: ScrubPolicy = "scrub"
    holdout_fraction: float = Field(default=0.2, ge=0, lt=1)
    split_seed: int = 0
    canary_share: float = Field(default=0.0, ge=0, le=1)
    lora: LoraConfig = Field(default_factory=LoraConfig)
    gate: GateConfig = Field(default_factory=GateConfig)
