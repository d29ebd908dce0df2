"""The ``costs:`` section of shoal.yaml: every assumption of the build / buy / blend comparison.

Each default is stated with where it comes from (``ASSUMPTION_SOURCES``); ``shoal tco`` and the
dashboard print the values they used next to the result.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shoal.models.types import DEFAULT_TOKENS_PER_S_PER_GPU


class CostsConfig(BaseModel):
    """Assumptions of ``shoal tco``. Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    buy_model: str | None = Field(default=None, description="Buy: the model all traffic would go to "
                                  "(default: the most expensive configured external chat model)")
    build_model: str | None = Field(default=None, description="Build: the self-hosted model all traffic would "
                                    "go to (default: the first configured self-hosted chat model)")
    gpu_hourly_usd: float = Field(default=2.50, ge=0, description="USD per GPU-hour when the build model "
                                  "has no hourly_cost")
    tokens_per_s_per_gpu: float = Field(default=DEFAULT_TOKENS_PER_S_PER_GPU, gt=0,
                                        description="throughput of one GPU when the model has no max_tokens_per_s")
    peak_headroom: float = Field(default=1.3, ge=1.0, le=10.0, description="GPUs are sized for observed peak "
                                 "tokens/s × this")
    min_gpus: int = Field(default=1, ge=1, le=4096, description="fewest GPUs a self-hosted deployment keeps")
    setup_usd: float = Field(default=15_000.0, ge=0, description="one-off cost to stand up self-hosted serving "
                             "when the model has no setup_cost")
    amortisation_months: int = Field(default=24, ge=1, le=120, description="months the setup cost is spread over")
    engineer_hourly_usd: float = Field(default=100.0, ge=0, description="fully loaded engineer cost per hour")
    ops_hours_self_hosted: float = Field(default=40.0, ge=0, description="engineer hours per month to run "
                                         "self-hosted models (Build, Blend)")
    ops_hours_api: float = Field(default=4.0, ge=0, description="engineer hours per month to run API "
                                 "providers (Buy, Blend)")
    month_hours: float = Field(default=730.0, gt=0, description="hours in a month (365 × 24 / 12)")


ASSUMPTION_SOURCES: dict[str, str] = {
    "buy_model": "the most expensive configured external chat model: 'all on the frontier' at list prices",
    "build_model": "the first configured self-hosted chat model",
    "gpu_hourly_usd": "on-demand price of one A100/H100-class GPU at GPU clouds, about USD 2-4 per hour "
                      "in 2025; used only when the model has no hourly_cost",
    "tokens_per_s_per_gpu": "order of magnitude vLLM reports for 7-70B models under concurrent load on one "
                            "GPU; set max_tokens_per_s per model from your own load test",
    "peak_headroom": "30% spare capacity over the busiest observed minute, so a peak does not queue",
    "min_gpus": "one GPU: a deployment cannot be smaller; set 2 for redundancy",
    "setup_usd": "about 100 engineer-hours at USD 150 to stand up serving, monitoring and evals; used only "
                 "when the model has no setup_cost",
    "amortisation_months": "two years, a common depreciation period for ML infrastructure and its setup work",
    "engineer_hourly_usd": "a fully loaded ML/platform engineer at about USD 200k a year over 2,000 hours",
    "ops_hours_self_hosted": "one engineer-week a month for upgrades, incidents and capacity on own GPUs",
    "ops_hours_api": "half a day a month for keys, quotas and provider changes",
    "month_hours": "365 × 24 / 12",
}


def assumptions(cfg: CostsConfig) -> list[dict[str, Any]]:
    """Each assumption with its value, whether it is the default, and where the default comes from."""
    defaults = CostsConfig()
    out = []
    for name in CostsConfig.model_fields:
        value = getattr(cfg, name)
        out.append({"name": name, "value": value, "default": value == getattr(defaults, name),
                    "description": CostsConfig.model_fields[name].description or "",
                    "source": ASSUMPTION_SOURCES.get(name, "")})
    return out
