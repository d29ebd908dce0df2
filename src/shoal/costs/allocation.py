"""Self-hosted cost over a window: provisioned time, allocated to requests by tokens served.

The rule (also in the README, "What a self-hosted model costs"):

- a model with ``hourly_cost`` costs ``hourly_cost × gpus × hours`` over a window, busy or idle;
  ``hours`` runs from the window's start (never before the first request in the log: nothing was
  provisioned through Shoal before that) to its end;
- that cost is shared among the requests it served in the window in proportion to their tokens
  (prompt + completion): a group (team, user, route...) that sent 30 % of the model's tokens
  carries 30 % of its cost;
- what no request carries (a model provisioned but unused in the window) is reported as idle
  capacity, never silently dropped;
- token-priced (external) models keep the cost recorded with each request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shoal.models.types import Pricing


@dataclass(frozen=True, slots=True)
class UsageCell:
    """Tokens and recorded cost of one (group, model) pair in the window."""

    group: str | None
    model: str | None
    tokens: int
    recorded_cost_usd: float


@dataclass(slots=True)
class Allocation:
    """Cost per group with self-hosted models charged by provisioned time."""

    hours: float
    by_group: dict[str | None, float] = field(default_factory=dict)
    provisioned_usd: dict[str, float] = field(default_factory=dict)  # per self-hosted model
    idle_usd: dict[str, float] = field(default_factory=dict)  # provisioned but no tokens served

    @property
    def total_usd(self) -> float:
        return sum(self.by_group.values()) + sum(self.idle_usd.values())


def window_hours(start: float, end: float, first_record_ts: float | None) -> float:
    """Hours from ``start`` (not before the first logged request) to ``end``; 0 for an empty log."""
    if first_record_ts is None:
        return 0.0
    return max(0.0, end - max(start, first_record_ts)) / 3600.0


def allocate(cells: Iterable[UsageCell], pricing: Mapping[str, Pricing], hours: float, *,
             served_by_model: Mapping[str, int] | None = None) -> Allocation:
    """Per-group cost: recorded cost for token-priced models, a token share of the provisioned
    cost (``hourly × gpus × hours``) for models with an hourly cost.

    ``served_by_model``: tokens each model served in the whole window, when ``cells`` are only a
    part of the traffic (one team's): the part then carries only its share.
    """
    cells = list(cells)
    hosted = {name: p for name, p in pricing.items() if p.self_hosted_cost}
    served: dict[str, int] = defaultdict(int)
    if served_by_model is not None:
        served.update({m: t for m, t in served_by_model.items() if m in hosted})
    else:
        for c in cells:
            if c.model in hosted:
                served[c.model] += c.tokens
    out = Allocation(hours=hours)
    for name, p in hosted.items():
        out.provisioned_usd[name] = p.provisioned_per_hour * hours
        if served_by_model is None and served.get(name, 0) == 0 and out.provisioned_usd[name] > 0:
            out.idle_usd[name] = out.provisioned_usd[name]
    for c in cells:
        if c.model in hosted:
            total = served[c.model]
            cost = out.provisioned_usd[c.model] * c.tokens / total if total else 0.0
        else:
            cost = c.recorded_cost_usd
        out.by_group[c.group] = out.by_group.get(c.group, 0.0) + cost
    return out
