"""The promotion gate: a candidate becomes champion only when the evals show a real gain.

``run_gate`` evaluates the candidate and the current champion (or, when there is none yet, the base
model the candidate was trained from) on the held-out split of the candidate's dataset, with the
evals runner (``shoal.evals.runner.run_eval``), and ``decide`` compares them:

- quality: the candidate's score must exceed the champion's by at least ``tuning.gate.margin``
  (and by more than nothing when the margin is 0: a tie is not a win);
- safety: when the runs report a safety score, the candidate may not drop below the champion's by
  more than ``tuning.gate.safety_tolerance``.

The verdict, both scores and the per-item wins and losses are stored on the candidate's registry
version and in the alias history.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoal.errors import ShoalError
from shoal.tuning.config import GateConfig
from shoal.tuning.export import export

if TYPE_CHECKING:
    from shoal.catalog import Catalog
    from shoal.evals.project import EvalProject
    from shoal.tuning.config import TuningConfig
    from shoal.tuning.registry import ModelVersion, Registry

# Builds the catalog the gate evaluates with: the project's models plus these ``models:`` entries
# (the registry versions being compared). The wiring supplies it.
CatalogWith = Callable[[Mapping[str, dict[str, Any]]], "Catalog"]


@dataclass(frozen=True)
class GateScores:
    """One side of the comparison."""

    label: str
    quality: float | None
    safety: float | None = None
    items: int = 0
    errors: int = 0
    per_item: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    reasons: list[str]
    candidate: GateScores
    champion: GateScores
    margin: float
    gain: float | None
    wins: int = 0  # held-out items the candidate got better than the champion
    losses: int = 0
    run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for side in ("candidate", "champion"):
            out[side].pop("per_item", None)  # kept in the eval run; the registry stores the summary
        return out

    def summary(self) -> str:
        def fmt(x: float | None) -> str:
            return "n/a" if x is None else f"{x:.3f}"
        head = "PASS" if self.passed else "REFUSED"
        return (f"{head}: {self.candidate.label} quality {fmt(self.candidate.quality)} vs "
                f"{self.champion.label} {fmt(self.champion.quality)} (gain {fmt(self.gain)}, margin "
                f"{self.margin:g}; {self.wins} items better, {self.losses} worse) — " + "; ".join(self.reasons))


def decide(candidate: GateScores, champion: GateScores, cfg: GateConfig) -> GateDecision:
    """Pure comparison of two eval results under the gate's rules."""
    reasons: list[str] = []
    passed = True
    gain: float | None = None
    if candidate.quality is None:
        passed = False
        reasons.append(f"{candidate.label} has no quality score (every item errored or was skipped?)")
    elif champion.quality is None:
        passed = False
        reasons.append(f"{champion.label} has no quality score to compare with")
    else:
        gain = candidate.quality - champion.quality
        if gain <= 0 or gain < cfg.margin:
            passed = False
            reasons.append(f"quality gain {gain:+.3f} is below the required margin {cfg.margin:g}")
        else:
            reasons.append(f"quality gain {gain:+.3f} meets the margin {cfg.margin:g}")
    if champion.safety is not None:
        if candidate.safety is None:
            passed = False
            reasons.append("the champion has a safety score but the candidate has none")
        elif candidate.safety < champion.safety - cfg.safety_tolerance:
            passed = False
            reasons.append(f"safety regressed: {candidate.safety:.3f} < {champion.safety:.3f}"
                           f" - tolerance {cfg.safety_tolerance:g}")
        else:
            reasons.append(f"no safety regression ({candidate.safety:.3f} vs {champion.safety:.3f})")
    wins = losses = 0
    for item, c_score in candidate.per_item.items():
        h_score = champion.per_item.get(item)
        if c_score is None or h_score is None:
            continue
        wins += c_score > h_score
        losses += c_score < h_score
    return GateDecision(passed, reasons, candidate, champion, cfg.margin, gain, wins, losses)


def _scores(result: Any, label: str) -> GateScores:
    summary = result.summary.target(label)
    if summary is None:
        raise ShoalError(f"the eval run has no results for {label!r}")
    quality_keys = result.summary.quality_metrics
    from shoal.evals.aggregate import item_scores

    per_item = {item: score for (item, target), score in
                item_scores([r for r in result.records if r.target == label], quality_keys).items()
                if target == label}
    errors = sum(1 for r in result.records if r.target == label and r.status != "ok")
    return GateScores(label, summary.quality, summary.safety, len(per_item), errors, per_item)


def _gate_spec(name: str, cfg: GateConfig, dataset: Path) -> Any:
    from shoal.evals.spec import parse_spec

    return parse_spec({"name": f"gate-{name}", "dataset": str(dataset), "targets": ["placeholder"],
                       "metrics": list(cfg.metrics), "max_tokens": cfg.max_tokens, "temperature": 0.0,
                       "concurrency": 1}, source=f"(built-in gate spec for {name})")


def _one_at_a_time(loaded: Any) -> Any:
    """The spec with concurrency 1.

    Both sides are in-process llama.cpp models on the same CPU, so parallel calls gain nothing — and
    llama-cpp-python swaps ``sys.stdout``/``sys.stderr`` (and fds 1/2) while it loads a model, which
    is not thread-safe: two models loading at once can leave the process writing to /dev/null.
    """
    from shoal.evals.spec import LoadedSpec

    return LoadedSpec(loaded.spec.model_copy(update={"concurrency": 1}), loaded.path, loaded.raw_text)


def registry_model_entry(registry: Registry, version: ModelVersion) -> dict[str, Any]:
    """A ``models:`` entry serving exactly ``version`` (its adapter hash keeps eval caches honest)."""
    return {"provider": "registry", "model": version.ref, "locality": "self_hosted",
            "options": {"registry_dir": str(registry.root), "canary_share": 0.0,
                        "adapter_sha256": version.adapter_sha256 or "", "base_sha256": version.base_sha256}}


def run_gate(config: TuningConfig, project: EvalProject, registry: Registry, candidate_ref: str, *,
             catalog_with: CatalogWith, progress: bool = False, cfg: GateConfig | None = None) -> GateDecision:
    """Evaluate candidate vs champion on the candidate's held-out split and decide.

    ``config`` is the ``tuning:`` section (``gate`` unless ``cfg`` is given, where datasets live),
    ``project`` what the eval run reads; ``catalog_with(entries)`` builds the catalog with the
    registry versions under comparison added (``shoal.wiring.run_gate`` passes all three).
    """
    from shoal.evals.runner import run_eval
    from shoal.evals.spec import load_spec
    from shoal.tuning.datasets import dataset_store

    cfg = cfg or config.gate
    candidate = registry.get(candidate_ref)
    if not candidate.dataset:
        raise ShoalError(f"{candidate.ref} has no dataset in its lineage, so there is no held-out split to gate on",
                         hint="promote it with --force --reason '...' if you must")
    heldout = dataset_store(config, project.paths).get(candidate.dataset).split("heldout")
    if cfg.max_items:
        heldout = heldout[:cfg.max_items]
    if not heldout:
        raise ShoalError(f"{candidate.dataset} has no held-out examples",
                         hint="create the dataset with a holdout fraction above 0 (tuning.holdout_fraction)")
    aliases = registry.aliases(candidate.name)
    entries = {candidate.ref: registry_model_entry(registry, candidate)}
    if "champion" in aliases:
        champion = registry.get(f"{candidate.name}@champion")
        if champion.version == candidate.version:
            raise ShoalError(f"{candidate.ref} is already the champion")
        champion_label = champion.ref
        entries[champion_label] = registry_model_entry(registry, champion)
    else:
        champion_label = candidate.base_model  # no champion yet: the candidate must beat its base
    with tempfile.TemporaryDirectory(prefix="shoal-gate-") as tmp:
        items = Path(tmp) / "heldout.jsonl"
        export(heldout, "eval", items)
        spec = _one_at_a_time(load_spec(project.paths.resolve(cfg.spec)) if cfg.spec
                              else _gate_spec(candidate.name, cfg, items))
        catalog = catalog_with(entries)
        result = run_eval(spec, project, catalog, models=[champion_label, candidate.ref],
                          dataset=items, progress=progress, report=True)
    decision = decide(_scores(result, candidate.ref), _scores(result, champion_label), cfg)
    decision = replace(decision, run_id=result.run_id)
    registry.add_eval(candidate.ref, {"kind": "gate", "dataset": candidate.dataset, "run_id": result.run_id,
                                      **decision.to_json()})
    return decision
