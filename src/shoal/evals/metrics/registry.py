"""The metric registry: name → class. Adding a metric is one line here, no if/elif anywhere."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from pydantic import ValidationError

from shoal.errors import ConfigError
from shoal.evals.metrics.base import Metric, MetricConfig
from shoal.evals.metrics.deterministic import (
    Contains,
    EmbeddingSimilarity,
    ExactMatch,
    JsonSchema,
    Numeric,
    Regex,
    TokenF1,
)
from shoal.evals.metrics.judge import Judge
from shoal.evals.metrics.rag import CitationValidity, DocRecall, Groundedness
from shoal.evals.metrics.safety import Compliance, PiiLeak, Refusal

METRICS: dict[str, type[Metric]] = {cls.name: cls for cls in (
    ExactMatch, Contains, Regex, Numeric, JsonSchema, TokenF1, EmbeddingSimilarity, Judge,
    Groundedness, CitationValidity, DocRecall, PiiLeak, Refusal, Compliance,
)}

# Aggregate metrics computed over samples / the whole run rather than per answer; listed so that
# `quality:` may not name them by mistake and the help text can show them.
AGGREGATE_METRICS = ("consistency", "latency_p50_s", "latency_p95_s", "cost_per_1k_usd", "error_rate")


def build_metric(config: MetricConfig, source: str = "(spec)", index: int = 0) -> Metric:
    """Instantiate a metric; unknown names and bad params name the spec key and the fix."""
    cls = METRICS.get(config.name)
    key = f"metrics.{index}"
    if cls is None:
        close = difflib.get_close_matches(config.name, list(METRICS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"available: {', '.join(sorted(METRICS))}"
        raise ConfigError(f"unknown metric {config.name!r}", file=source, key=f"{key}.name", hint=hint)
    try:
        return cls(config.params)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        allowed = ", ".join(sorted(cls.Params.model_fields)) or "(none)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown parameter {where!r} for metric {config.name}"
        return_key = f"{key}.params.{where}" if where else f"{key}.params"
        raise ConfigError(msg, file=source, key=return_key, hint=f"parameters of {config.name}: {allowed}") from None


def validate_metrics(configs: Sequence[MetricConfig], source: str) -> None:
    for i, cfg in enumerate(configs):
        build_metric(cfg, source, i)
