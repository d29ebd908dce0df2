"""Per-version rollout report: usage, cost and feedback rates of each registry version served.

The registry provider puts the served version (``helpdesk@v3``) in ``Completion.model``, which the
gateway logs as ``served_model_id``; feedback references request ids. Joining the two gives, per
version and user segment, what a canary needs to be judged on: traffic share, errors, cost, and how
often users rated answers down or corrected them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shoal.feedback.capture import polarity

if TYPE_CHECKING:
    from shoal.store import Feedback, RequestRecord, Store


@dataclass
class VersionUsage:
    version: str
    segment: str
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    feedback: int = 0
    up: int = 0
    down: int = 0
    corrections: int = 0

    @property
    def down_rate(self) -> float | None:
        rated = self.up + self.down
        return self.down / rated if rated else None


def usage_by_version(records: Sequence[RequestRecord], feedback: Sequence[Feedback], *,
                     by_segment: bool = True) -> list[VersionUsage]:
    """Aggregate request records (and the feedback on them) per served version and segment."""
    by_request: dict[str, list[Feedback]] = {}
    for fb in feedback:
        by_request.setdefault(fb.request_id, []).append(fb)
    rows: dict[tuple[str, str], VersionUsage] = {}
    for rec in records:
        version = rec.served_model_id or rec.served_model or "?"
        segment = (rec.segment or "-") if by_segment else "all"
        row = rows.setdefault((version, segment), VersionUsage(version, segment))
        row.requests += 1
        row.errors += not rec.ok
        row.prompt_tokens += rec.prompt_tokens
        row.completion_tokens += rec.completion_tokens
        row.cost_usd += rec.cost_usd
        for fb in by_request.get(rec.request_id, []):
            row.feedback += 1
            good = polarity(fb.rating)
            row.up += good is True
            row.down += good is False
            row.corrections += bool(fb.correction)
    return sorted(rows.values(), key=lambda r: (r.version, r.segment))


def report_for_model(store: Store, model: str, *, since: float | None = None, limit: int = 200_000,
                     by_segment: bool = True) -> list[VersionUsage]:
    """The per-version report of the configured model ``model`` (e.g. ``helpdesk``)."""
    from shoal.store import RequestFilter

    records = store.query_requests(RequestFilter(model=model, since=since), limit=limit)
    ids = {r.request_id for r in records}
    feedback = [f for f in store.list_feedback(None, limit=limit) if f.request_id in ids]
    return usage_by_version(records, feedback, by_segment=by_segment)
