"""A metric that lives outside Shoal, registered by entry point in tests (see test_metrics.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shoal.evals.dataset import EvalItem
from shoal.evals.metrics.base import Metric, MetricContext, MetricResult, SampleOutput


class Brevity(Metric):
    """1 when the answer has at most ``max_words`` words, falling linearly to 0 at twice that."""

    name = "brevity"
    description = "short answers score higher"

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")
        max_words: int = Field(default=20, ge=1)

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        words, limit = len(output.text.split()), self.params.max_words
        return MetricResult.score(1.0 - max(0, words - limit) / limit, f"{words} words")
