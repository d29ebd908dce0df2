"""Rows of the store as plain dataclasses: request records, API keys, feedback, usage rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FeedbackStatus = Literal["pending", "accepted", "rejected"]
FEEDBACK_STATUSES: tuple[str, ...] = ("pending", "accepted", "rejected")


@dataclass(slots=True)
class RequestRecord:
    """One request through the gateway (or the CLI), successful or not.

    ``key_id`` is the public id of the API key, never the key. ``request_messages`` (normalised
    ``[{"role", "content"}]``) and ``response_text`` are filled only when content logging is on;
    the feedback loop turns them into training data.
    """

    request_id: str
    ts: float
    endpoint: str = "chat"
    key_id: str | None = None
    team: str | None = None
    user: str | None = None
    segment: str | None = None
    requested_model: str | None = None
    served_model: str | None = None  # configured name that answered
    served_model_id: str | None = None  # the provider's concrete model id
    route: str | None = None
    route_reasons: list[str] = field(default_factory=list)
    sensitivity: str | None = None
    sensitivity_reasons: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    # Streamed requests: from arrival to the first generated token sent (None: not streamed, or
    # nothing was generated).
    ttft_ms: float | None = None
    status: int = 200
    error: str | None = None
    stream: bool = False
    collection: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    request_messages: list[dict[str, Any]] | None = None
    response_text: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Limits:
    """Rate limits and budgets; ``None`` means unlimited."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    usd_per_day: float | None = None
    usd_per_month: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("requests_per_minute", self.requests_per_minute),
                                  ("tokens_per_minute", self.tokens_per_minute),
                                  ("usd_per_day", self.usd_per_day),
                                  ("usd_per_month", self.usd_per_month)) if v is not None}

    @staticmethod
    def from_dict(data: dict[str, Any] | None) -> Limits:
        data = data or {}
        return Limits(requests_per_minute=data.get("requests_per_minute"),
                      tokens_per_minute=data.get("tokens_per_minute"),
                      usd_per_day=data.get("usd_per_day"), usd_per_month=data.get("usd_per_month"))

    @property
    def empty(self) -> bool:
        return not self.as_dict()


NO_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A gateway API key as stored: the hash, never the key itself."""

    key_id: str
    key_hash: str
    prefix: str  # first characters of the key, to recognise it in listings
    team: str | None = None
    user: str | None = None
    segment: str | None = None
    groups: frozenset[str] = frozenset()
    name: str = ""
    limits: Limits = NO_LIMITS
    created_at: float = 0.0
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict[str, Any]:
        """What listings and the admin API show (no hash)."""
        return {"id": self.key_id, "prefix": self.prefix, "name": self.name, "team": self.team,
                "user": self.user, "segment": self.segment, "groups": sorted(self.groups),
                "limits": self.limits.as_dict(), "created_at": self.created_at, "revoked_at": self.revoked_at}


@dataclass(frozen=True, slots=True)
class Feedback:
    """A rating and/or correction of one answer, kept beside the original answer."""

    id: str
    request_id: str
    ts: float
    rating: int | None = None
    correction: str | None = None
    comment: str | None = None
    source: str = "api"
    team: str | None = None
    user: str | None = None
    status: FeedbackStatus = "pending"
    original_response: str | None = None
    edited_correction: str | None = None
    reviewer: str | None = None
    reviewed_at: float | None = None

    @property
    def final_correction(self) -> str | None:
        """The reviewer's edit if there is one, else the user's correction."""
        return self.edited_correction if self.edited_correction is not None else self.correction


@dataclass(frozen=True, slots=True)
class UsageRow:
    """Totals for one group (a team, user, segment, model, key or day)."""

    group: str | None
    requests: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """Filters for ``Store.query_requests``; every field is optional and they combine with AND."""

    team: str | None = None
    user: str | None = None
    segment: str | None = None
    key_id: str | None = None
    model: str | None = None  # served (configured) model name
    status: int | None = None
    errors_only: bool = False
    since: float | None = None  # unix seconds, inclusive
    until: float | None = None  # unix seconds, exclusive
    endpoint: str | None = None
