"""Who is asking: the identity every access-control and budget decision is made for."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller. ``groups`` drive document access control; team/segment drive budgets and reports.

    ``Principal()`` (nobody in particular) sees only documents visible to everyone.
    """

    user: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)
    team: str | None = None
    segment: str | None = None

    @staticmethod
    def of(user: str | None = None, groups: str | list[str] | tuple[str, ...] | frozenset[str] | None = None,
           team: str | None = None, segment: str | None = None) -> Principal:
        if isinstance(groups, str):
            groups = [g for g in (s.strip() for s in groups.split(",")) if g]
        return Principal(user=user, groups=frozenset(groups or ()), team=team, segment=segment)
