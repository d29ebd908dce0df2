"""One row of ``results.jsonl``: one sample of one target's answer to one item, with its scores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from shoal.evals.metrics.base import MetricResult

RecordStatus = Literal["ok", "error", "skipped_budget"]


@dataclass(slots=True)
class SampleRecord:
    item_id: str
    target: str
    sample: int
    status: RecordStatus
    segment: str = "all"
    output: str = ""
    error: str = ""
    model: str = ""  # configured name that served it
    model_id: str = ""
    locality: str = ""
    latency_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0  # what this answer costs at current prices (cached or not)
    spent_usd: float = 0.0  # what this run actually paid for it (0 when cached)
    cached: bool = False
    sensitive: bool = False
    retrieved: list[dict[str, Any]] = field(default_factory=list)  # [{number, path, chunk_id}]
    route_reasons: list[str] = field(default_factory=list)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric key -> MetricResult json

    def result(self, key: str) -> MetricResult | None:
        raw = self.scores.get(key)
        if raw is None:
            return None
        return MetricResult(raw.get("value"), raw.get("status", "ok"), raw.get("detail", ""))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> SampleRecord:
        known = set(SampleRecord.__dataclass_fields__)
        return SampleRecord(**{k: v for k, v in data.items() if k in known})
