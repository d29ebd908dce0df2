"""What the dashboard reads from disk (eval runs, the model registry, dataset versions), built from
settings by the gateway's wiring. Each reader is cheap to call and fails soft: a page shows what
exists, and a broken eval run or registry file is logged, not a 500."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from shoal.gateway.dashboard import DashboardSources

if TYPE_CHECKING:
    from shoal.config import Settings

log = logging.getLogger("shoal.gateway")
_TARGET_KEYS = ("target", "kind", "models", "localities", "items", "quality", "latency_p50_s", "latency_p95_s",
                "cost_per_1k_usd", "error_rate", "sensitive_external")


def evals_summary(settings: Settings, limit: int = 10) -> dict[str, Any]:
    from shoal.evals.store import list_runs, read_summary
    from shoal.wiring import eval_project

    runs = []
    for run_dir in list_runs(eval_project(settings).runs_dir)[-limit:][::-1]:
        try:
            s = read_summary(run_dir)
        except Exception as exc:  # noqa: BLE001 - one unreadable run must not hide the others
            log.warning("dashboard: cannot read eval run %s: %s", run_dir.name, exc)
            continue
        runs.append({"run_id": s.run_id, "spec": s.spec_name, "dataset": s.dataset, "items": s.n_items,
                     "created": s.created, "spent_usd": s.spent_usd,
                     "targets": [{k: t.to_json().get(k) for k in _TARGET_KEYS} for t in s.targets]})
    recommendation = None
    if runs:
        try:
            from shoal.evals.recommend import recommend, to_json
            from shoal.evals.runner import load_run
            from shoal.wiring import eval_project

            result = load_run(eval_project(settings).runs_dir, str(runs[0]["run_id"]))
            rec = recommend(result.summary, result.records, result.items)
            recommendation = {**to_json(rec), "lines": rec.lines(), "run_id": runs[0]["run_id"]}
        except Exception as exc:  # noqa: BLE001 - the runs are still worth showing
            log.warning("dashboard: no recommendation for run %s: %s", runs[0]["run_id"], exc)
    return {"runs": runs, "recommendation": recommendation}


def registry_summary(settings: Settings) -> dict[str, Any]:
    from shoal.tuning.registry import open_registry

    reg = open_registry(settings.config.tuning, settings.paths)
    out = []
    try:
        names = reg.names()
    except Exception as exc:  # noqa: BLE001 - no registry yet reads as an empty one
        log.debug("dashboard: registry unreadable: %s", exc)
        names = []
    for name in names:
        try:
            versions = reg.versions(name)
            out.append({"name": name, "aliases": reg.aliases(name), "history": reg.history(name)[-20:],
                        "versions": [{"version": v.version, "created_at": v.created_at, "base_model": v.base_model,
                                      "dataset": v.dataset, "evals": v.evals[-3:], "notes": v.notes}
                                     for v in versions]})
        except Exception as exc:  # noqa: BLE001
            log.warning("dashboard: registry entry %s unreadable: %s", name, exc)
    return {"models": out}


def datasets_summary(settings: Settings) -> list[dict[str, Any]]:
    from shoal.tuning.datasets import dataset_store

    try:
        manifests = dataset_store(settings.config.tuning, settings.paths).list()
    except Exception as exc:  # noqa: BLE001
        log.debug("dashboard: datasets unreadable: %s", exc)
        return []
    keep = ("name", "version", "created_at", "examples", "train", "holdout", "self_hosted_only", "sha256")
    return [{k: m.get(k) for k in keep if k in m} for m in manifests]


def sources_for(settings: Settings, catalog: Any) -> DashboardSources:
    from shoal.costs.report import CostInputs
    from shoal.evals.latest import latest_model_quality
    from shoal.wiring import eval_project

    def specs() -> list[Any]:
        out = []
        for name in catalog.configured_names():
            try:
                out.append(catalog.spec(name, resolve_secret=False))
            except Exception as exc:  # noqa: BLE001 - listed models are those that can be described
                log.debug("dashboard: model %s left out: %s", name, exc)
        return out

    router = settings.config.routing.router
    costs = CostInputs(settings.config.costs, tuple(router.models) if router else (),
                       lambda: latest_model_quality(eval_project(settings).runs_dir))
    return DashboardSources(specs=specs, costs=costs, evals=lambda: evals_summary(settings),
                            registry=lambda: registry_summary(settings), datasets=lambda: datasets_summary(settings))
