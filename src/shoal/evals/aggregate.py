"""From per-sample records to per-item scores and per-target summaries.

Conventions (stated in reports): a sample that *errored* scores 0 for quality — a model that fails
to answer is not good enough — while a sample *skipped for budget* is left out (it says nothing
about the model). Undetermined judgements are left out of means and counted separately.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from shoal.evals.dataset import EvalItem
from shoal.evals.metrics.deterministic import token_f1
from shoal.evals.records import SampleRecord


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _mean(values: Iterable[float]) -> float | None:
    xs = list(values)
    return statistics.fmean(xs) if xs else None


def sample_score(record: SampleRecord, keys: Sequence[str]) -> float | None:
    """Mean of the given metrics on one sample; errors count 0, budget skips and no values → None."""
    if record.status == "error":
        return 0.0
    if record.status != "ok":
        return None
    values = [r.value for k in keys if (r := record.result(k)) is not None and r.value is not None]
    return statistics.fmean(values) if values else None


def item_scores(records: Iterable[SampleRecord], keys: Sequence[str]) -> dict[tuple[str, str], float | None]:
    """(item id, target) → mean over samples of ``sample_score``."""
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for rec in records:
        pair = (rec.item_id, rec.target)
        seen.add(pair)
        s = sample_score(rec, keys)
        if s is not None:
            grouped[pair].append(s)
    return {pair: (statistics.fmean(grouped[pair]) if grouped.get(pair) else None) for pair in seen}


def consistency(outputs: Sequence[str]) -> float | None:
    """Mean pairwise token-F1 agreement of n answers to the same item (None for fewer than 2)."""
    if len(outputs) < 2:
        return None
    return statistics.fmean(token_f1(a, b) for a, b in itertools.combinations(outputs, 2))


@dataclass(slots=True)
class MetricSummary:
    mean: float | None = None
    n: int = 0
    undetermined: int = 0
    na: int = 0
    errors: int = 0
    skipped: int = 0


@dataclass(slots=True)
class TargetSummary:
    target: str
    kind: str
    models: list[str]
    localities: list[str]
    items: int = 0
    samples: int = 0
    ok: int = 0
    errors: int = 0
    skipped_budget: int = 0
    quality: float | None = None
    quality_items: int = 0
    safety: float | None = None
    consistency: float | None = None
    metrics: dict[str, MetricSummary] = field(default_factory=dict)
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    prompt_tokens_mean: float | None = None
    completion_tokens_mean: float | None = None
    cost_per_request_usd: float | None = None
    cost_per_1k_usd: float | None = None
    spent_usd: float = 0.0
    error_rate: float | None = None
    cache_hits: int = 0
    sensitive_external: int = 0  # sensitive items this target sent to an external model
    segments: dict[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> TargetSummary:
        data = dict(data)
        data["metrics"] = {k: MetricSummary(**v) for k, v in data.get("metrics", {}).items()}
        known = set(TargetSummary.__dataclass_fields__)
        return TargetSummary(**{k: v for k, v in data.items() if k in known})


def summarize_target(target: str, kind: str, records: Sequence[SampleRecord], items: Sequence[EvalItem],
                     metric_groups: dict[str, str], quality_keys: Sequence[str]) -> TargetSummary:
    recs = [r for r in records if r.target == target]
    ok = [r for r in recs if r.status == "ok"]
    served = [r for r in recs if r.status != "skipped_budget"]
    summary = TargetSummary(
        target=target, kind=kind, models=sorted({r.model for r in served if r.model}),
        localities=sorted({r.locality for r in served if r.locality}),
        items=len({r.item_id for r in recs}), samples=len(recs), ok=len(ok),
        errors=sum(r.status == "error" for r in recs),
        skipped_budget=sum(r.status == "skipped_budget" for r in recs),
        spent_usd=sum(r.spent_usd for r in recs), cache_hits=sum(r.cached for r in recs),
        sensitive_external=sum(1 for r in served if r.sensitive and r.locality == "external"),
    )
    for key in metric_groups:
        ms = MetricSummary()
        per_item: dict[str, list[float]] = defaultdict(list)
        for r in ok:
            res = r.result(key)
            if res is None:
                continue
            if res.status == "ok" and res.value is not None:
                per_item[r.item_id].append(res.value)
            elif res.status == "undetermined":
                ms.undetermined += 1
            elif res.status == "n/a":
                ms.na += 1
            elif res.status == "skipped":
                ms.skipped += 1
            else:
                ms.errors += 1
        ms.n = sum(len(v) for v in per_item.values())
        ms.mean = _mean(statistics.fmean(v) for v in per_item.values())
        summary.metrics[key] = ms
    quality = item_scores(recs, quality_keys)
    q_values = [v for v in quality.values() if v is not None]
    summary.quality = _mean(q_values)
    summary.quality_items = len(q_values)
    safety_keys = [k for k, g in metric_groups.items() if g == "safety"]
    if safety_keys:
        safety = [v for v in item_scores(ok, safety_keys).values() if v is not None]
        summary.safety = _mean(safety)
    by_item: dict[str, list[str]] = defaultdict(list)
    for r in ok:
        by_item[r.item_id].append(r.output)
    summary.consistency = _mean(c for outs in by_item.values() if (c := consistency(outs)) is not None)
    latencies = [r.latency_s for r in ok if r.latency_s is not None]
    summary.latency_p50_s = percentile(latencies, 50)
    summary.latency_p95_s = percentile(latencies, 95)
    summary.prompt_tokens_mean = _mean(r.prompt_tokens for r in ok)
    summary.completion_tokens_mean = _mean(r.completion_tokens for r in ok)
    summary.cost_per_request_usd = _mean(r.cost_usd for r in served)
    summary.cost_per_1k_usd = None if summary.cost_per_request_usd is None else summary.cost_per_request_usd * 1000
    summary.error_rate = (summary.errors / len(served)) if served else None
    segment_of = {it.id: it.segment for it in items}
    seg_scores: dict[str, list[float]] = defaultdict(list)
    for (item_id, _), v in quality.items():
        if v is not None:
            seg_scores[segment_of.get(item_id, "all")].append(v)
    summary.segments = {seg: _mean(vs) for seg, vs in sorted(seg_scores.items())}
    return summary


def pareto_front(points: Sequence[tuple[str, float, float]]) -> set[str]:
    """Names of (name, cost, quality) points no other point beats on both (lower cost, higher quality)."""
    front: set[str] = set()
    for name, cost, q in points:
        dominated = any((c2 <= cost and q2 >= q) and (c2 < cost or q2 > q) for _, c2, q2 in points)
        if not dominated:
            front.add(name)
    return front


@dataclass(slots=True)
class RunSummary:
    """What summary.json holds: the run, its money, and one summary per target."""

    run_id: str
    spec_name: str
    dataset: str
    dataset_digest: str
    n_items: int
    samples: int
    created: str
    finished: str = ""
    budget_usd: float | None = None
    spent_usd: float = 0.0  # everything this run paid for, judge included
    judge_spent_usd: float = 0.0
    fresh_calls: int = 0
    cache_hits: int = 0
    skipped_budget: int = 0
    interrupted: bool = False
    dataset_issues: list[str] = field(default_factory=list)
    quality_metrics: list[str] = field(default_factory=list)
    metric_groups: dict[str, str] = field(default_factory=dict)
    requirements: dict[str, Any] = field(default_factory=dict)
    targets: list[TargetSummary] = field(default_factory=list)

    def target(self, name: str) -> TargetSummary | None:
        return next((t for t in self.targets if t.target == name), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["targets"] = [t.to_json() for t in self.targets]
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> RunSummary:
        data = dict(data)
        data["targets"] = [TargetSummary.from_json(t) for t in data.get("targets", [])]
        known = set(RunSummary.__dataclass_fields__)
        return RunSummary(**{k: v for k, v in data.items() if k in known})
