"""Model selection: which target — or which blend of a cheap model with escalation to a stronger
one — meets the spec's requirements at the least cost, and why every other option fails.

A blend is estimated from the run's per-item scores. With the routing package's ``LearnedRouter``
the escalation decision is the router's out-of-fold prediction (trained on the other folds'
items, never on the item it decides), and the threshold is calibrated to the cheapest setting that
still meets the requirements. Without it, the estimate is a random split (escalate a share s of
requests at random) — achievable with no router at all, so a conservative figure. Items marked
sensitive are always served by the self-hosted member when ``sensitive_self_hosted`` is set.
"""

from __future__ import annotations

import importlib
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shoal.errors import ShoalError
from shoal.evals.aggregate import RunSummary, TargetSummary, item_scores
from shoal.evals.dataset import EvalItem
from shoal.evals.records import SampleRecord
from shoal.evals.spec import Requirements


@dataclass(slots=True)
class Candidate:
    name: str
    kind: str  # "single" or "blend"
    quality: float | None
    p95_latency_s: float | None
    cost_per_1k_usd: float | None
    error_rate: float | None = None
    safety: float | None = None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    escalation_share: float | None = None

    @property
    def passes(self) -> bool:
        return not self.failures


@dataclass(slots=True)
class Recommendation:
    requirements: Requirements
    chosen: Candidate | None
    candidates: list[Candidate]
    method: str  # how blends were estimated

    def lines(self) -> list[str]:
        """Plain-text explanation (the CLI and the HTML report render these)."""
        out: list[str] = []
        if self.chosen is not None:
            c = self.chosen
            out.append(f"Recommended: {c.name} — quality {_f(c.quality)}, p95 {_f(c.p95_latency_s, 's')}, "
                       f"${_f(c.cost_per_1k_usd, nd=4)} per 1,000 requests.")
            out.extend(f"  {n}" for n in c.notes if not n.startswith("method: "))
        else:
            out.append("No target or blend meets the requirements; the closest options are listed below.")
        for c in self.candidates:
            if c is self.chosen:
                continue
            if c.passes:
                out.append(f"- {c.name}: meets the requirements but costs more "
                           f"(${_f(c.cost_per_1k_usd, nd=4)} per 1,000 requests).")
            else:
                out.append(f"- {c.name}: " + "; ".join(c.failures) + ".")
        out.append(f"Blends: {self.method}")
        return out


def _f(value: float | None, unit: str = "", nd: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{nd}f}{unit}"


def _check(c: Candidate, req: Requirements) -> None:
    if req.min_quality is not None:
        if c.quality is None:
            c.failures.append("quality not measured")
        elif c.quality < req.min_quality:
            c.failures.append(f"quality {c.quality:.3f} < required {req.min_quality:.3f}")
    if req.max_p95_latency_s is not None:
        if c.p95_latency_s is None:
            c.failures.append("latency not measured")
        elif c.p95_latency_s > req.max_p95_latency_s:
            c.failures.append(f"p95 latency {c.p95_latency_s:.2f}s > ceiling {req.max_p95_latency_s:.2f}s")
    if req.max_cost_per_1k_usd is not None:
        if c.cost_per_1k_usd is None:
            c.failures.append("cost not measured")
        elif c.cost_per_1k_usd > req.max_cost_per_1k_usd + 1e-12:
            c.failures.append(f"cost ${c.cost_per_1k_usd:.4f}/1k > ceiling ${req.max_cost_per_1k_usd:.4f}/1k")
    if req.max_error_rate is not None and c.error_rate is not None and c.error_rate > req.max_error_rate:
        c.failures.append(f"error rate {c.error_rate:.1%} > {req.max_error_rate:.1%}")
    if req.min_safety is not None:
        if c.safety is None:
            c.failures.append("safety not measured (add pii_leak/refusal/compliance metrics)")
        elif c.safety < req.min_safety:
            c.failures.append(f"safety {c.safety:.3f} < required {req.min_safety:.3f}")


def _single(t: TargetSummary, req: Requirements) -> Candidate:
    c = Candidate(t.target, "single", t.quality, t.latency_p95_s, t.cost_per_1k_usd, t.error_rate, t.safety)
    if t.skipped_budget:
        c.notes.append(f"{t.skipped_budget} sample(s) skipped for budget: figures cover the rest only")
    if req.sensitive_self_hosted:
        if t.kind == "route":
            if t.sensitive_external:
                c.failures.append(f"sent {t.sensitive_external} sensitive request(s) to an external model")
        elif "external" in t.localities:
            c.failures.append("external model: sensitive requests would leave self-hosted infrastructure")
    _check(c, req)
    return c


@dataclass(slots=True)
class _PerItem:
    quality: dict[str, float]
    cost: dict[str, float]
    latency: dict[str, list[float]]


def _per_item(records: Sequence[SampleRecord], target: str, quality_keys: Sequence[str]) -> _PerItem:
    recs = [r for r in records if r.target == target]
    q = {i: v for (i, _), v in item_scores(recs, quality_keys).items() if v is not None}
    costs: dict[str, list[float]] = defaultdict(list)
    lat: dict[str, list[float]] = defaultdict(list)
    for r in recs:
        if r.status != "skipped_budget":
            costs[r.item_id].append(r.cost_usd)
        if r.status == "ok" and r.latency_s is not None:
            lat[r.item_id].append(r.latency_s)
    return _PerItem(q, {i: statistics.fmean(v) for i, v in costs.items()}, dict(lat))


def _oof_router_scores(prompts: list[str], qa: list[float], qb: list[float], models: tuple[str, str],
                       folds: int = 4) -> list[float] | None:
    """Out-of-fold p_ok (cheap model good enough) from the learned router; None when unavailable."""
    try:
        import numpy as np

        learned = importlib.import_module("shoal.routing.learned")
        data = importlib.import_module("shoal.routing.data")
    except ImportError:
        return None
    n = len(prompts)
    if n < folds * 8:
        return None
    scores = np.array([qa, qb], dtype=np.float64).T
    fold_of = np.random.default_rng(0).permutation(n) % folds
    out = [0.0] * n
    try:
        for f in range(folds):
            tr = [i for i in range(n) if fold_of[i] != f]
            te = [i for i in range(n) if fold_of[i] == f]
            table = data.ItemTable([prompts[i] for i in tr], scores[tr], list(models))
            router = learned.LearnedRouter.train(table, folds=3, min_df=1)
            p = router.p_ok_batch([prompts[i] for i in te])
            for j, i in enumerate(te):
                out[i] = float(p[j][0])
    except (ValueError, ShoalError):  # too few or degenerate items for the router: fall back, say so
        return None
    return out


def _weighted_p95(parts: Sequence[tuple[list[float], float]]) -> float | None:
    pts = sorted((v, w / len(vals)) for vals, w in parts if vals and w > 0 for v in vals)
    total = sum(w for _, w in pts)
    if not pts or total <= 0:
        return None
    acc = 0.0
    for v, w in pts:
        acc += w
        if acc >= 0.95 * total - 1e-12:
            return v
    return pts[-1][0]


def _blend(a: TargetSummary, b: TargetSummary, pa: _PerItem, pb: _PerItem, items: Sequence[EvalItem],
           req: Requirements) -> Candidate | None:
    ids = [it.id for it in items if it.id in pa.quality and it.id in pb.quality]
    if len(ids) < 4:
        return None
    by_id = {it.id: it for it in items}
    a_local, b_local = "external" not in a.localities, "external" not in b.localities
    forced: dict[str, str] = {}
    if req.sensitive_self_hosted:
        if not (a_local or b_local):
            c = Candidate(f"{a.target} → {b.target}", "blend", None, None, None)
            c.failures.append("neither model is self-hosted: sensitive requests would leave")
            return c
        home = "a" if a_local else "b"
        forced = {i: home for i in ids if by_id[i].sensitive}
    qa = [pa.quality[i] for i in ids]
    qb = [pb.quality[i] for i in ids]
    p_ok = _oof_router_scores([by_id[i].prompt for i in ids], qa, qb, (a.target, b.target))
    options: list[tuple[float, list[tuple[str, float]]]] = []  # (share to b, [(item, weight on a)])
    if p_ok is not None:
        for t in sorted(set(p_ok)) + [float("inf")]:
            plan = [(i, 1.0 if (forced.get(i) == "a" or (i not in forced and p >= t)) else 0.0)
                    for i, p in zip(ids, p_ok, strict=True)]
            options.append((1 - statistics.fmean(w for _, w in plan), plan))
        method = ("learned router (shoal.routing.LearnedRouter), out-of-fold predictions on this run's items, "
                  "threshold calibrated to the cheapest setting that meets the requirements")
    else:
        for k in range(21):
            s = k / 20
            plan = [(i, (1.0 if forced[i] == "a" else 0.0) if i in forced else 1 - s) for i in ids]
            options.append((1 - statistics.fmean(w for _, w in plan), plan))
        method = ("random split (learned router unavailable or too few items to train it out-of-fold): "
                  "a conservative estimate any deployment can reach without a router")
    best: Candidate | None = None
    for share, plan in options:
        quality = statistics.fmean(w * pa.quality[i] + (1 - w) * pb.quality[i] for i, w in plan)
        cost = statistics.fmean(w * pa.cost.get(i, 0.0) + (1 - w) * pb.cost.get(i, 0.0) for i, w in plan) * 1000
        p95 = _weighted_p95([(pa.latency.get(i, []), w) for i, w in plan]
                            + [(pb.latency.get(i, []), 1 - w) for i, w in plan])
        c = Candidate(f"{a.target} → {b.target}", "blend", quality, p95, cost, escalation_share=share)
        _check(c, req)
        better = best is None or (c.passes and not best.passes) or (
            c.passes == best.passes and ((c.cost_per_1k_usd or 0) < (best.cost_per_1k_usd or 0) if c.passes
                                         else (c.quality or 0) > (best.quality or 0)))
        if better:
            best = c
    assert best is not None
    oracle = statistics.fmean(max(x, y) for x, y in zip(qa, qb, strict=True))
    best.notes.append(f"escalates {best.escalation_share:.0%} of requests from {a.target} to {b.target} "
                      f"(estimated on {len(ids)} items by {method.split(' (')[0]}; a perfect router would reach "
                      f"quality {oracle:.3f})")
    if forced:
        best.notes.append(f"{len(forced)} sensitive item(s) pinned to the self-hosted member")
    best.notes.append(f"method: {method}")
    return best


def recommend(summary: RunSummary, records: Sequence[SampleRecord], items: Sequence[EvalItem],
              requirements: Requirements | None = None) -> Recommendation:
    """Check every target and every cheap→strong pair of model targets against the requirements."""
    req = requirements or Requirements.model_validate(summary.requirements or {})
    candidates = [_single(t, req) for t in summary.targets]
    per = {t.target: _per_item(records, t.target, summary.quality_metrics) for t in summary.targets}
    method = "no pair of model targets where one is both cheaper and weaker"
    models = [t for t in summary.targets if t.kind in ("model", "rag") and t.quality is not None]
    for a in models:
        for b in models:
            ca, cb = a.cost_per_1k_usd or 0.0, b.cost_per_1k_usd or 0.0
            # Only cheaper-and-weaker → dearer-and-stronger pairs: at equal price the better one
            # alone dominates any blend of the two.
            if a is b or not (ca < cb and (a.quality or 0) < (b.quality or 0)):
                continue
            blend = _blend(a, b, per[a.target], per[b.target], items, req)
            if blend is not None:
                candidates.append(blend)
                method = next((n.removeprefix("method: ") for n in blend.notes if n.startswith("method: ")), method)
    passing = [c for c in candidates if c.passes]
    chosen = min(passing, key=lambda c: (c.cost_per_1k_usd or 0.0, -(c.quality or 0.0))) if passing else None
    ordered = sorted(candidates, key=lambda c: (not c.passes, c.cost_per_1k_usd or 0.0, -(c.quality or 0.0)))
    return Recommendation(req, chosen, ordered, method)


def to_json(rec: Recommendation) -> dict[str, Any]:
    return {"requirements": rec.requirements.model_dump(), "method": rec.method,
            "chosen": rec.chosen.name if rec.chosen else None,
            "candidates": [{"name": c.name, "kind": c.kind, "quality": c.quality, "p95_latency_s": c.p95_latency_s,
                            "cost_per_1k_usd": c.cost_per_1k_usd, "escalation_share": c.escalation_share,
                            "passes": c.passes, "failures": c.failures, "notes": c.notes} for c in rec.candidates]}
