"""The `routing:` section of shoal.yaml.

Example::

    routing:
      default_model: gpt-4o-mini          # else the top-level default_model
      privacy:
        models: [local]                   # self-hosted models allowed for sensitive requests
        on_external_pin: repin            # sensitive + explicit external model: repin | refuse
      teams: {finance: local}             # team → model
      segments: {free: gpt-4o-mini}       # segment → model
      rules:                              # first match wins, after explicit pins
        - {group: legal, model: local}
        - {prompt_regex: "(?i)\\bsql\\b", model: gpt-4o}
      router:
        file: .shoal/router.npz           # `shoal router train ... --out` writes it
        models: [gpt-4o-mini, gpt-4o]     # catalog names, cheapest first, one per router model
        target: {quality: 0.95}           # or {max_strong_share: 0.2}
      fallbacks: {gpt-4o: [gpt-4o-mini, local]}
      retries: {max_attempts: 3, backoff_s: 0.5, multiplier: 2, max_backoff_s: 8}
      circuit_breaker: {failure_threshold: 5, cooldown_s: 30}
      redact: [router]                    # route tags or model names whose external calls are pseudonymised
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrivacyPolicyConfig(_Strict):
    """How sensitive requests are served. They only ever go to ``self_hosted`` models."""

    models: list[str] = Field(
        default_factory=list,
        description="self-hosted models allowed for sensitive requests, in preference order; "
                    "empty = every self-hosted chat model in the catalog, config order")
    on_external_pin: Literal["repin", "refuse"] = Field(
        default="repin",
        description="a sensitive request that explicitly asks for an external model is re-pinned to a "
                    "self-hosted one (repin) or refused (refuse)")


class Rule(_Strict):
    """A per-team/segment/group/user rule; every given condition must match. First match wins."""

    model: str
    team: str | None = None
    segment: str | None = None
    group: str | None = None
    user: str | None = None
    prompt_regex: str | None = None
    name: str | None = Field(default=None, description="shown in the decision's reasons")

    @field_validator("prompt_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"prompt_regex does not compile: {exc}") from None
        return value

    @model_validator(mode="after")
    def _has_condition(self) -> Rule:
        if not any((self.team, self.segment, self.group, self.user, self.prompt_regex)):
            raise ValueError("a rule needs at least one of team, segment, group, user, prompt_regex "
                             "(use routing.default_model for a catch-all)")
        return self

    def label(self, index: int) -> str:
        if self.name:
            return self.name
        parts = [f"{k}={v}" for k, v in (("team", self.team), ("segment", self.segment),
                                         ("group", self.group), ("user", self.user)) if v]
        if self.prompt_regex:
            parts.append("prompt~regex")
        return f"rule{index}({','.join(parts)})"


class RouterTarget(_Strict):
    """The calibration target: exactly one of ``quality`` or ``max_strong_share``."""

    quality: float | None = Field(default=None, gt=0, le=1,
                                  description="fraction of the strongest model's quality to keep")
    max_strong_share: float | None = Field(default=None, ge=0, le=1,
                                           description="at most this share of calls to the strongest model")

    @model_validator(mode="after")
    def _exactly_one(self) -> RouterTarget:
        if (self.quality is None) == (self.max_strong_share is None):
            raise ValueError("give exactly one of quality (e.g. 0.95) or max_strong_share (e.g. 0.2)")
        return self


class LearnedRouterConfig(_Strict):
    file: str = Field(description="router file written by `shoal router train` (.npz)")
    models: list[str] = Field(min_length=2,
                              description="catalog names, cheapest first, one per model in the router file")
    target: RouterTarget | None = Field(default=None,
                                        description="override the target calibrated at training time")


class RetryConfig(_Strict):
    max_attempts: int = Field(default=2, ge=1, le=20, description="attempts per model, first try included")
    backoff_s: float = Field(default=0.5, ge=0)
    multiplier: float = Field(default=2.0, ge=1)
    max_backoff_s: float = Field(default=8.0, ge=0)
    max_retry_after_s: float = Field(
        default=30.0, ge=0,
        description="a Retry-After longer than this moves on to the next model instead of waiting")


class CircuitBreakerConfig(_Strict):
    failure_threshold: int = Field(default=5, ge=1, description="consecutive failures that open the circuit")
    cooldown_s: float = Field(default=30.0, ge=0, description="open time before one trial call (half-open)")


class RoutingConfig(BaseModel):
    """Settings of shoal.routing. Unknown keys are errors (they name the key and the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_model: str | None = Field(default=None, description="else the top-level default_model")
    privacy: PrivacyPolicyConfig = Field(default_factory=PrivacyPolicyConfig)
    teams: dict[str, str] = Field(default_factory=dict, description="team → model")
    segments: dict[str, str] = Field(default_factory=dict, description="segment → model")
    rules: list[Rule] = Field(default_factory=list)
    router: LearnedRouterConfig | None = None
    fallbacks: dict[str, list[str]] = Field(default_factory=dict, description="model → models to try next")
    retries: RetryConfig = Field(default_factory=RetryConfig)
    circuit_breaker: CircuitBreakerConfig = Field(default_factory=CircuitBreakerConfig)
    timeout_s: float | None = Field(default=None, gt=0,
                                    description="per-attempt timeout; else each model's own `timeout`")
    redact: list[str] = Field(default_factory=list,
                              description="route tags (router, default, pinned, team) or model names whose "
                                          "calls to external models get detected spans pseudonymised")
