"""The `evals:` section of shoal.yaml.

Example::

    evals:
      runs_dir: .shoal/evals/runs      # default: <data_dir>/evals/runs
      cache_dir: .shoal/evals/cache    # default: <data_dir>/evals/cache
      concurrency: 4                   # default per spec, a spec may override
      judge_model: local               # the LLM judge when a spec names none
      embedding_model: minilm          # for embedding similarity when a metric names none
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EvalsConfig(BaseModel):
    """Settings of shoal.evals. Unknown keys are errors (they name the key and the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    runs_dir: str | None = Field(default=None, description="where runs are stored; default <data_dir>/evals/runs")
    cache_dir: str | None = Field(default=None,
                                  description="content-addressed response cache; default <data_dir>/evals/cache")
    concurrency: int = Field(default=4, ge=1, le=256, description="parallel model calls when a spec says nothing")
    judge_model: str = Field(default="local", description="configured model used as LLM judge by default")
    embedding_model: str = Field(default="minilm", description="embedder for embedding similarity by default")
