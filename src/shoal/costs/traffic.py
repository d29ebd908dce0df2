"""The observed traffic a TCO projection starts from, read from the store's rollups (no log scan)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shoal.privacy.types import LEVELS, level_rank
from shoal.store.backend import Backend
from shoal.store.dashboard_sql import Window, breakdown, peak_tokens_per_s, router_scores

_CONFIDENTIAL = level_rank("confidential")


def is_sensitive(level: str | None) -> bool:
    """``confidential`` or ``restricted``: data that must not leave self-hosted models."""
    return level in LEVELS and level_rank(level) >= _CONFIDENTIAL


@dataclass(frozen=True, slots=True)
class ModelTraffic:
    """What one served model handled in the window."""

    model: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    recorded_cost_usd: float
    sensitive_requests: int
    peak_tokens_per_s: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class RouterPoint:
    """Requests the learned router decided with score ``score``, routed to ``model``."""

    score: float
    model: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class Traffic:
    """Observed traffic over ``hours`` of the window."""

    hours: float
    models: tuple[ModelTraffic, ...]
    peak_tokens_per_s: float
    router: tuple[RouterPoint, ...] = field(default=())

    @property
    def requests(self) -> int:
        return sum(m.requests for m in self.models)

    @property
    def sensitive_requests(self) -> int:
        return sum(m.sensitive_requests for m in self.models)

    @property
    def prompt_tokens(self) -> int:
        return sum(m.prompt_tokens for m in self.models)

    @property
    def completion_tokens(self) -> int:
        return sum(m.completion_tokens for m in self.models)


def observed(backend: Backend, window: Window, first_ts: float | None) -> Traffic:
    """Traffic of ``window`` (one team's when the window names one) from the rollups."""
    # Nothing logged yet: nothing observed (no hours to scale up from).
    hours = 0.0 if first_ts is None else max(0.0, window.until - max(window.since, first_ts)) / 3600.0
    per: dict[str | None, list[float]] = {}
    for row in breakdown(backend, window, ("model", "sensitivity")):
        acc = per.setdefault(row["model"], [0, 0, 0, 0.0, 0])
        acc[0] += row["requests"]
        acc[1] += row["prompt_tokens"]
        acc[2] += row["completion_tokens"]
        acc[3] += row["cost_usd"]
        if is_sensitive(row["sensitivity"]):
            acc[4] += row["requests"]
    scope = "*" if window.team is None else f"team:{window.team}"
    models = tuple(
        ModelTraffic(model, int(a[0]), int(a[1]), int(a[2]), float(a[3]), int(a[4]),
                     peak_tokens_per_s(backend, window, f"model:{model or ''}") if window.team is None else 0.0)
        for model, a in sorted(per.items(), key=lambda kv: -kv[1][0]))
    router = tuple(RouterPoint(r["score"], r["model"], r["requests"], r["prompt_tokens"], r["completion_tokens"])
                   for r in router_scores(backend, window))
    return Traffic(hours=hours, models=models, peak_tokens_per_s=peak_tokens_per_s(backend, window, scope),
                   router=router)
