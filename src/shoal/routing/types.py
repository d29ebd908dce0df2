"""The routing decision: which model serves a request, which may stand in, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shoal.privacy.types import NOT_SENSITIVE, Sensitivity


@dataclass(frozen=True, slots=True)
class Decision:
    """``model`` first, then ``fallbacks`` in order; every name already obeys the privacy policy.

    ``reasons`` explain the decision, e.g. ``("pii:PERSON", "privacy:self_hosted-only",
    "router:p_ok=0.83>=0.71→gpt-4o-mini")``.
    """

    model: str
    fallbacks: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    sensitivity: Sensitivity = NOT_SENSITIVE
    route: str = "default"  # short tag for headers/metrics: privacy, pinned, team, router, default

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.model, *self.fallbacks)


Outcome = Literal["ok", "error", "circuit_open", "refused"]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of one model while serving a request."""

    model: str
    number: int  # 1-based attempt on this model
    outcome: Outcome
    error: str | None = None  # exception class name
    detail: str | None = None
    latency_s: float = 0.0
    waited_s: float = 0.0  # backoff slept after this attempt


@dataclass(slots=True)
class CallRecord:
    """What happened while serving one request: which configured model served, every attempt."""

    served: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    redacted: bool = False
