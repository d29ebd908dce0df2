"""The TCO report shared by ``shoal tco`` and the dashboard: options, what-if curve, assumptions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shoal.costs.config import CostsConfig
from shoal.costs.tco import project
from shoal.costs.traffic import Traffic, observed
from shoal.costs.whatif import curve, pricing_pair, router_models
from shoal.errors import ShoalError
from shoal.models.types import ModelSpec
from shoal.store import Store
from shoal.store.dashboard_sql import Window


def tco_report(traffic: Traffic, specs: Sequence[ModelSpec], cfg: CostsConfig, quality: Mapping[str, float],
               *, router: Sequence[str] = (), eval_run: str | None = None,
               window: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the CLI prints and the dashboard shows, as JSON-ready data."""
    tco = project(traffic, specs, cfg, quality)
    out = tco.to_json()
    out["window"] = dict(window or {})
    out["eval_run"] = eval_run
    out["quality_by_model"] = dict(quality)
    pricing = {s.name: s.pricing for s in specs}
    pair = router_models(traffic.router, router)
    prices = pricing_pair(pricing, pair) if pair is not None else None
    if pair is None or prices is None or not traffic.router:
        out["what_if"] = None
    else:
        points = curve(traffic.router, prices[0], prices[1], tco.month_factor, quality.get(pair[1]))
        out["what_if"] = {"cheap_model": pair[0], "strong_model": pair[1],
                          "requests": sum(p.requests for p in traffic.router),
                          "points": [{"threshold": p.threshold, "cheap_share": p.cheap_share,
                                      "monthly_usd": p.monthly_usd, "quality": p.quality,
                                      "quality_delta": p.quality_delta} for p in points]}
    return out


QualityLoader = Callable[[], tuple[str | None, dict[str, float]]]


@dataclass(frozen=True, slots=True)
class CostInputs:
    """What a TCO report needs besides the traffic: the ``costs:`` section, the learned router's
    model names (cheapest first) and a way to read the latest eval's quality per model."""

    config: CostsConfig
    router_models: tuple[str, ...] = ()
    quality: QualityLoader = lambda: (None, {})


def traffic_for(store: Store, *, since: float, until: float, team: str | None = None) -> Traffic:
    """The observed traffic of ``[since, until)`` (one team's when ``team`` is given), from the rollups."""
    store.flush(5.0)
    return observed(store.backend, Window(since, until, team), store.first_request_ts())


def report_for(store: Store, specs: Sequence[ModelSpec], inputs: CostInputs, *, since: float, until: float,
               team: str | None = None, overrides: Mapping[str, Any] | None = None,
               traffic: Traffic | None = None) -> dict[str, Any]:
    """The TCO report of ``[since, until)`` (one team's traffic when ``team`` is given).

    ``overrides`` replace assumptions for this report only (the dashboard's what-if); they are
    validated like the config section and never written back. ``traffic``: that window's traffic
    when the caller has it already (the dashboard keeps it for a minute: a what-if changes the
    assumptions, not the traffic).
    """
    cfg = inputs.config
    if overrides:
        try:
            cfg = CostsConfig(**{**cfg.model_dump(), **overrides})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ()))
            raise ShoalError(f"invalid assumption {where}: {first.get('msg')}",
                             hint="see the assumptions table for names and defaults") from None
    if traffic is None:
        traffic = traffic_for(store, since=since, until=until, team=team)
    run, quality = inputs.quality()
    out = tco_report(traffic, specs, cfg, quality, router=inputs.router_models, eval_run=run,
                     window={"since": since, "until": until, "team": team})
    for a in out["assumptions"]:
        a["from"] = "what-if" if overrides and a["name"] in overrides else ("default" if a["default"] else "shoal.yaml")
    return out
