"""The ``models:`` section of shoal.yaml: one ``ModelConfig`` per configured model.

A schema leaf (pydantic only) so the catalog reads its entries without the assembled file schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ModelConfig(BaseModel):
    """One entry under ``models:``. Anything not given comes from the catalog or the provider."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str | None = None
    model: str | None = Field(default=None, description="concrete model id sent to the provider")
    kind: Literal["chat", "embedding"] | None = None
    base_url: str | None = None
    api_key: str | None = Field(default=None, description="env:NAME or file:PATH, never the key itself")
    locality: Literal["self_hosted", "external"] | None = None
    input_price: float | None = Field(default=None, ge=0, description="USD per 1M input tokens")
    output_price: float | None = Field(default=None, ge=0, description="USD per 1M output tokens")
    hourly_cost: float | None = Field(default=None, ge=0, description="USD per GPU-hour of infrastructure "
                                      "(self-hosted: charged by provisioned time, see README 'Cost')")
    setup_cost: float | None = Field(default=None, ge=0, description="one-off USD to set the deployment up")
    gpus: int = Field(default=1, ge=1, le=4096, description="GPUs the deployment holds")
    max_tokens_per_s: float | None = Field(default=None, gt=0, description="tokens/s one GPU sustains")
    context_window: int | None = Field(default=None, gt=0)
    capabilities: list[Literal["streaming", "vision", "tools", "json"]] | None = None
    timeout: float = Field(default=60.0, gt=0)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("api_key")
    @classmethod
    def _reference_only(cls, value: str | None) -> str | None:
        if value is None or value.startswith(("env:", "file:")):
            return value
        raise ValueError("api_key must be a reference such as env:OPENAI_API_KEY or file:/run/secrets/key; "
                         "keys are never stored in the config file")
