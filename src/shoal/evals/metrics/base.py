"""The metric contract: a metric scores one sample of one target's answer to one item.

Scores are in [0, 1] (1 = best). A metric that cannot decide says so: ``undetermined`` (e.g. the
judge's answer could not be parsed) is reported as such and never coerced to a number;
``n/a`` means the metric does not apply (no reference, not a RAG target...).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shoal.evals.dataset import EvalItem
from shoal.models.types import ChatRequest, Completion

Status = Literal["ok", "undetermined", "n/a", "error", "skipped"]
Group = Literal["quality", "rag", "safety"]


@dataclass(frozen=True, slots=True)
class MetricResult:
    value: float | None
    status: Status = "ok"
    detail: str = ""

    @staticmethod
    def score(value: float, detail: str = "") -> MetricResult:
        return MetricResult(max(0.0, min(1.0, float(value))), "ok", detail)

    @staticmethod
    def na(detail: str) -> MetricResult:
        return MetricResult(None, "n/a", detail)

    @staticmethod
    def undetermined(detail: str) -> MetricResult:
        return MetricResult(None, "undetermined", detail)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "status": self.status, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class RetrievedChunk:
    """One chunk the RAG step put into the prompt; ``number`` is what ``[n]`` cites."""

    number: int
    path: str
    chunk_id: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class SampleOutput:
    """What a target produced for one sample of one item."""

    text: str
    retrieved: tuple[RetrievedChunk, ...] = ()
    is_rag: bool = False
    context: str = ""  # the retrieved text as the model saw it


JudgeCall = Callable[[str, ChatRequest], Awaitable[Completion | None]]
EmbedCall = Callable[[str, list[str]], Awaitable[list[list[float]]]]


@dataclass(slots=True)
class MetricContext:
    """Services a metric may use; model calls go through the runner's cache and budget."""

    judge: JudgeCall
    embed: EmbedCall
    default_judge_model: str
    default_embedding_model: str
    privacy_config: Any = None
    memo: dict[str, Any] = field(default_factory=dict)  # per-run singletons (scanner...)


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Metric(ABC):
    """Subclasses set ``name``, ``group``, ``Params`` and implement ``score``."""

    name: ClassVar[str]
    group: ClassVar[Group] = "quality"
    description: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = NoParams

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        self.params: Any = self.Params.model_validate(dict(params or {}))

    @abstractmethod
    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult: ...


class MetricConfig(BaseModel):
    """One entry under ``metrics:`` in an eval spec (parsed by ``shoal.evals.spec``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str | None = Field(default=None, description="column name when a metric is used twice")
    params: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.label or self.name
