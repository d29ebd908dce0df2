"""What-if on the learned router's threshold: re-decide logged requests, cost vs estimated quality.

Each request the router decided carries its score ``p_ok`` (the probability that the cheaper
model is at least as good as the strongest; recorded in its route reasons, rolled up by
hundredths). At a threshold ``t`` a request goes to the cheaper model when ``p_ok ≥ t``, else to
the strongest — the router's own rule. Cost re-prices each request's tokens on the model it would
get (capacity rate for a self-hosted model). Quality: the router defines
``p_ok = (1 + q_cheap − q_strong) / 2``, so a request sent to the cheaper model is expected to
score ``q_strong + 2·p_ok − 1``; with ``q_strong`` the strongest model's latest eval score, the
estimate is ``q_strong + Σ_cheap (2·p_ok − 1) / N`` (clamped to 0..1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shoal.costs.traffic import RouterPoint
from shoal.models.types import Pricing, Usage


@dataclass(frozen=True, slots=True)
class CurvePoint:
    threshold: float
    cheap_share: float
    monthly_usd: float
    quality: float | None
    quality_delta: float  # estimated change vs sending everything to the strongest model


def router_models(points: Sequence[RouterPoint], configured: Sequence[str] = ()) -> tuple[str, str] | None:
    """(cheaper, strongest) model: from the router config when given, else from the log (the model
    chosen at the lowest scores is the strongest, at the highest the cheaper)."""
    if len(configured) >= 2:
        return configured[0], configured[-1]
    named = [p for p in points if p.model]
    if not named:
        return None
    lo, hi = min(named, key=lambda p: p.score), max(named, key=lambda p: p.score)
    if lo.model == hi.model:
        return None
    return str(hi.model), str(lo.model)


def curve(points: Sequence[RouterPoint], cheap: Pricing, strong: Pricing, month_factor: float,
          strong_quality: float | None, thresholds: Sequence[float] | None = None) -> list[CurvePoint]:
    """Cost per month and estimated quality of the router-decided traffic at each threshold."""
    grid = list(thresholds) if thresholds is not None else [i / 20 for i in range(21)]
    n = sum(p.requests for p in points)
    out: list[CurvePoint] = []
    for t in grid:
        cost = 0.0
        cheap_n = 0
        delta = 0.0
        for p in points:
            usage = Usage(p.prompt_tokens, p.completion_tokens)
            if p.score >= t - 1e-9:
                cost += cheap.cost(usage)
                cheap_n += p.requests
                delta += p.requests * (2 * p.score - 1)
            else:
                cost += strong.cost(usage)
        d = delta / n if n else 0.0
        q = None if strong_quality is None else max(0.0, min(1.0, strong_quality + d))
        out.append(CurvePoint(t, cheap_n / n if n else 0.0, cost * month_factor, q, d))
    return out


def pricing_pair(pricing: Mapping[str, Pricing], pair: tuple[str, str]) -> tuple[Pricing, Pricing] | None:
    cheap, strong = pricing.get(pair[0]), pricing.get(pair[1])
    return None if cheap is None or strong is None else (cheap, strong)
