"""The routing decision: which model serves a request, which may stand in, and why."""

from __future__ import annotations

from dataclasses import dataclass

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
