"""Build / buy / blend: a month of the observed traffic under three ways of serving it.

- **Buy**: every request on one external model (``costs.buy_model``, default the most expensive
  configured external chat model) at its list prices, plus API operations hours.
- **Build**: every request on a self-hosted model: GPUs = max(min_gpus, ceil(peak tokens/s ×
  headroom / tokens/s per GPU)) held all month × the GPU-hour price, the setup cost amortised over
  ``amortisation_months``, plus self-hosted operations hours.
- **Blend**: the observed mix. Token-priced models cost what the traffic recorded; each
  self-hosted model holds max(its configured GPUs, what its own peak needs) all month, plus its
  amortised setup; operations hours for whichever kinds of model served traffic.

Monthly figures scale the window to ``month_hours``; the confidential share sent outside counts
requests whose recorded sensitivity is confidential or restricted and that an option would send
to an external model; quality is the latest eval's score of the models involved (request-weighted
for Blend). Everything is arithmetic on the inputs: the unit tests check it by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shoal.costs.config import CostsConfig, assumptions
from shoal.costs.traffic import ModelTraffic, Traffic
from shoal.errors import ConfigError
from shoal.models.types import ModelSpec


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    usd: float


@dataclass(slots=True)
class Option:
    """One way of serving the traffic, per month."""

    name: str
    models: list[str]
    monthly_usd: float
    setup_usd: float
    confidential_outside_share: float | None
    quality: float | None
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gpus: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "models": self.models, "monthly_usd": self.monthly_usd,
                "setup_usd": self.setup_usd, "confidential_outside_share": self.confidential_outside_share,
                "quality": self.quality, "gpus": self.gpus, "notes": self.notes,
                "lines": [{"label": x.label, "usd": x.usd} for x in self.lines]}


@dataclass(slots=True)
class Tco:
    options: list[Option]
    month_factor: float
    traffic: Traffic
    config: CostsConfig

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)

    def to_json(self) -> dict[str, Any]:
        t = self.traffic
        return {"options": [o.to_json() for o in self.options], "month_factor": self.month_factor,
                "observed": {"hours": t.hours, "requests": t.requests, "sensitive_requests": t.sensitive_requests,
                             "prompt_tokens": t.prompt_tokens, "completion_tokens": t.completion_tokens,
                             "peak_tokens_per_s": t.peak_tokens_per_s,
                             "models": [{"model": m.model, "requests": m.requests, "tokens": m.tokens,
                                         "sensitive_requests": m.sensitive_requests} for m in t.models]},
                "assumptions": assumptions(self.config)}


def default_buy_model(specs: Sequence[ModelSpec]) -> ModelSpec | None:
    chat = [s for s in specs if s.kind == "chat" and s.locality == "external" and not s.pricing.self_hosted_cost]
    if not chat:
        return None
    return max(chat, key=lambda s: (s.pricing.input_per_mtok + s.pricing.output_per_mtok, s.name))


def default_build_model(specs: Sequence[ModelSpec]) -> ModelSpec | None:
    hosted = [s for s in specs if s.kind == "chat" and s.locality == "self_hosted"]
    with_cost = [s for s in hosted if s.pricing.self_hosted_cost]
    pool = with_cost or hosted
    return pool[0] if pool else None


def _pick(specs: Sequence[ModelSpec], name: str | None, default: ModelSpec | None, key: str) -> ModelSpec | None:
    if name is None:
        return default
    for s in specs:
        if s.name == name:
            return s
    raise ConfigError(f"costs.{key} names {name!r}, which is not a configured model", key=f"costs.{key}",
                      hint=f"configured: {', '.join(s.name for s in specs)}")


def _gpus_for(peak_tokens_per_s: float, per_gpu: float, cfg: CostsConfig, floor: int = 1) -> int:
    return max(cfg.min_gpus, floor, math.ceil(peak_tokens_per_s * cfg.peak_headroom / per_gpu - 1e-9))


def _quality(quality: Mapping[str, float], name: str) -> float | None:
    return quality.get(name)


def _share(n: int, total: int) -> float | None:
    return n / total if total else None


def project(traffic: Traffic, specs: Sequence[ModelSpec], cfg: CostsConfig,
            quality: Mapping[str, float] | None = None) -> Tco:
    """The three options for ``traffic`` (see the module docstring for every formula)."""
    quality = quality or {}
    f = cfg.month_hours / traffic.hours if traffic.hours > 0 else 0.0
    rate = cfg.engineer_hourly_usd
    by_name = {s.name: s for s in specs}
    options = [_buy(traffic, specs, cfg, quality, f, rate), _build(traffic, specs, cfg, quality, rate),
               _blend(traffic, by_name, cfg, quality, f, rate)]
    return Tco(options, f, traffic, cfg)


def _ops(hours: float, rate: float, what: str) -> Line:
    return Line(f"operations: {hours:g} engineer-hours × ${rate:g} ({what})", hours * rate)


def _buy(t: Traffic, specs: Sequence[ModelSpec], cfg: CostsConfig, quality: Mapping[str, float], f: float,
         rate: float) -> Option:
    spec = _pick(specs, cfg.buy_model, default_buy_model(specs), "buy_model")
    if spec is None:
        return Option("buy", [], 0.0, 0.0, None, None,
                      notes=["no external chat model is configured: set costs.buy_model"])
    p = spec.pricing
    tokens_usd = (t.prompt_tokens * p.input_per_mtok + t.completion_tokens * p.output_per_mtok) / 1e6 * f
    lines = [Line(f"{spec.name}: {t.prompt_tokens * f:,.0f} input + {t.completion_tokens * f:,.0f} output "
                  f"tokens at ${p.input_per_mtok:g} / ${p.output_per_mtok:g} per 1M", tokens_usd),
             _ops(cfg.ops_hours_api, rate, "API providers")]
    return Option("buy", [spec.name], sum(x.usd for x in lines), 0.0,
                  _share(t.sensitive_requests, t.requests), _quality(quality, spec.name), lines)


def _build(t: Traffic, specs: Sequence[ModelSpec], cfg: CostsConfig, quality: Mapping[str, float],
           rate: float) -> Option:
    spec = _pick(specs, cfg.build_model, default_build_model(specs), "build_model")
    if spec is None:
        return Option("build", [], 0.0, 0.0, 0.0, None,
                      notes=["no self-hosted chat model is configured: set costs.build_model"])
    p = spec.pricing
    per_gpu = p.max_tokens_per_s or cfg.tokens_per_s_per_gpu
    hourly = p.hourly_usd if p.hourly_usd is not None else cfg.gpu_hourly_usd
    gpus = _gpus_for(t.peak_tokens_per_s, per_gpu, cfg)
    setup = p.setup_usd if p.setup_usd is not None else cfg.setup_usd
    lines = [Line(f"{spec.name}: {gpus} GPU(s) for a peak of {t.peak_tokens_per_s:,.1f} tokens/s × "
                  f"{cfg.peak_headroom:g} at {per_gpu:g} tokens/s per GPU, {cfg.month_hours:g} h × ${hourly:g}",
                  gpus * hourly * cfg.month_hours),
             Line(f"setup ${setup:,.0f} over {cfg.amortisation_months} months", setup / cfg.amortisation_months),
             _ops(cfg.ops_hours_self_hosted, rate, "self-hosted serving")]
    return Option("build", [spec.name], sum(x.usd for x in lines), setup, 0.0 if t.requests else None,
                  _quality(quality, spec.name), lines, gpus=gpus)


def _blend(t: Traffic, by_name: Mapping[str, ModelSpec], cfg: CostsConfig, quality: Mapping[str, float],
           f: float, rate: float) -> Option:
    lines: list[Line] = []
    setup = 0.0
    gpus_total = 0
    outside = 0
    hosted_used = external_used = False
    notes: list[str] = []
    weighted, weight = 0.0, 0
    total_tokens = sum(m.tokens for m in t.models)
    for m in t.models:
        spec = by_name.get(m.model or "")
        name = m.model or "(none)"
        if m.model and m.model in quality:
            weighted += quality[m.model] * m.requests
            weight += m.requests
        if spec is not None and spec.pricing.self_hosted_cost:
            hosted_used = True
            p = spec.pricing
            per_gpu = p.max_tokens_per_s or cfg.tokens_per_s_per_gpu
            peak = m.peak_tokens_per_s or (t.peak_tokens_per_s * m.tokens / total_tokens if total_tokens else 0.0)
            gpus = _gpus_for(peak, per_gpu, cfg, floor=p.gpus)
            gpus_total += gpus
            hourly = p.hourly_usd or 0.0
            lines.append(Line(f"{name}: {gpus} GPU(s) (configured {p.gpus}, peak {peak:,.1f} tokens/s), "
                              f"{cfg.month_hours:g} h × ${hourly:g}", gpus * hourly * cfg.month_hours))
            model_setup = p.setup_usd if p.setup_usd is not None else cfg.setup_usd
            setup += model_setup
            lines.append(Line(f"{name}: setup ${model_setup:,.0f} over {cfg.amortisation_months} months",
                              model_setup / cfg.amortisation_months))
        else:
            if spec is None or spec.locality == "external":
                outside += m.sensitive_requests
            if spec is None and m.model:
                notes.append(f"{m.model} is not configured any more: its recorded cost is used")
            external_used = external_used or spec is None or spec.locality == "external"
            if m.requests:
                lines.append(Line(f"{name}: {m.requests * f:,.0f} requests at recorded prices",
                                  m.recorded_cost_usd * f))
    if hosted_used:
        lines.append(_ops(cfg.ops_hours_self_hosted, rate, "self-hosted serving"))
    if external_used:
        lines.append(_ops(cfg.ops_hours_api, rate, "API providers"))
    if weight and weight < t.requests:
        notes.append(f"quality covers {weight / t.requests:.0%} of requests (models without an eval left out)")
    return Option("blend", [m.model for m in t.models if m.model], sum(x.usd for x in lines), setup,
                  _share(outside, t.requests), weighted / weight if weight else None, lines, notes, gpus_total)


def observed_model(t: Traffic, name: str) -> ModelTraffic | None:
    return next((m for m in t.models if m.model == name), None)
