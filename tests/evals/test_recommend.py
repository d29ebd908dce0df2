"""Model selection: the cheapest target or blend meeting the requirements, and why others fail."""

from __future__ import annotations

from shoal.evals.aggregate import RunSummary, TargetSummary
from shoal.evals.dataset import EvalItem
from shoal.evals.recommend import recommend
from shoal.evals.records import SampleRecord
from shoal.evals.spec import Requirements
from shoal.models.types import Message


def _summary(*targets: TargetSummary) -> RunSummary:
    return RunSummary(run_id="r", spec_name="s", dataset="d", dataset_digest="x", n_items=0, samples=1,
                      created="", quality_metrics=["m"], metric_groups={"m": "quality"}, targets=list(targets))


def _t(name: str, q: float, p95: float, cost: float, loc: str = "self_hosted", kind: str = "model") -> TargetSummary:
    return TargetSummary(target=name, kind=kind, models=[name], localities=[loc], quality=q, latency_p95_s=p95,
                         cost_per_1k_usd=cost, error_rate=0.0)


def test_cheapest_passing_single_target_wins_and_others_say_why() -> None:
    s = _summary(_t("small", 0.55, 1.0, 0.0), _t("big", 0.9, 3.0, 2.0, "external"), _t("slow", 0.95, 20.0, 0.5))
    rec = recommend(s, [], [], Requirements(min_quality=0.5, max_p95_latency_s=10))
    assert rec.chosen is not None and rec.chosen.name == "small"
    by = {c.name: c for c in rec.candidates}
    assert by["slow"].failures == ["p95 latency 20.00s > ceiling 10.00s"]
    assert by["big"].passes  # passes but costs more
    text = "\n".join(rec.lines())
    assert "Recommended: small" in text and "meets the requirements but costs more" in text


def test_quality_and_cost_ceilings_and_self_hosting() -> None:
    s = _summary(_t("small", 0.4, 1.0, 0.0), _t("big", 0.9, 3.0, 2.0, "external"))
    rec = recommend(s, [], [], Requirements(min_quality=0.5, max_cost_per_1k_usd=5, sensitive_self_hosted=True))
    by = {c.name: c for c in rec.candidates}
    assert "quality 0.400 < required 0.500" in by["small"].failures
    assert any("external model" in f for f in by["big"].failures)
    rec2 = recommend(s, [], [], Requirements(min_quality=0.5, max_cost_per_1k_usd=1.0))
    assert any("cost $2.0000/1k > ceiling" in f for f in {c.name: c for c in rec2.candidates}["big"].failures)


def _items_and_records(n: int) -> tuple[list[EvalItem], list[SampleRecord]]:
    """Cheap model right on even items only; strong always right; strong costs 1 mUSD per call."""
    items, recs = [], []
    for i in range(n):
        iid = f"i{i}"
        items.append(EvalItem(id=iid, messages=(Message.user(f"question {i} {'easy' if i % 2 == 0 else 'hard'}"),),
                              sensitive=(i == 1)))
        recs.append(SampleRecord(iid, "small", 0, "ok", output="", latency_s=0.5, cost_usd=0.0,
                                 scores={"m": {"value": 1.0 if i % 2 == 0 else 0.0, "status": "ok"}}))
        recs.append(SampleRecord(iid, "big", 0, "ok", output="", latency_s=2.0, cost_usd=0.001,
                                 scores={"m": {"value": 1.0, "status": "ok"}}))
    return items, recs


def test_blend_is_recommended_when_the_cheap_model_alone_fails_and_the_strong_one_is_too_dear() -> None:
    items, recs = _items_and_records(40)
    s = _summary(_t("small", 0.5, 0.5, 0.0), _t("big", 1.0, 2.0, 1.0, "external"))
    rec = recommend(s, recs, items, Requirements(min_quality=0.7, max_cost_per_1k_usd=0.8,
                                                 sensitive_self_hosted=True))
    assert rec.chosen is not None and rec.chosen.kind == "blend", rec.lines()
    assert rec.chosen.name == "small → big"
    assert rec.chosen.quality is not None and rec.chosen.quality >= 0.7
    assert rec.chosen.cost_per_1k_usd is not None and rec.chosen.cost_per_1k_usd <= 0.8
    assert rec.chosen.escalation_share is not None and 0 < rec.chosen.escalation_share < 1
    assert any("sensitive item(s) pinned to the self-hosted member" in n for n in rec.chosen.notes)
    failures = {c.name: c.failures for c in rec.candidates}
    assert any("quality" in f for f in failures["small"]) and any("external" in f for f in failures["big"])


def test_no_candidate_passes() -> None:
    s = _summary(_t("a", 0.1, 1.0, 0.0), _t("b", 0.2, 1.0, 0.0))
    rec = recommend(s, [], [], Requirements(min_quality=0.9))
    assert rec.chosen is None
    assert rec.lines()[0].startswith("No target or blend meets the requirements")


def test_route_target_is_judged_by_what_it_actually_sent_out() -> None:
    route = _t("auto", 0.8, 1.0, 0.1, "external", kind="route")
    route.sensitive_external = 2
    rec = recommend(_summary(route), [], [], Requirements(sensitive_self_hosted=True))
    assert rec.candidates[0].failures == ["sent 2 sensitive request(s) to an external model"]
