"""What the privacy scan returns. Pure data; no detectors are imported here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Level = Literal["public", "internal", "confidential", "restricted"]
LEVELS: tuple[Level, ...] = ("public", "internal", "confidential", "restricted")


def level_rank(level: str) -> int:
    return LEVELS.index(level)  # type: ignore[arg-type,unused-ignore]


@dataclass(frozen=True, slots=True)
class Span:
    """A detected entity: character offsets into the scanned text, and its type (e.g. EMAIL_ADDRESS)."""

    start: int
    end: int
    entity_type: str
    text: str
    score: float = 1.0


@dataclass(frozen=True, slots=True)
class DocLabel:
    """The label of a retrieved chunk that went into a request's context."""

    label: Level
    path: str


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """Result of a privacy scan.

    ``level`` is the highest of: detected personal data / confidential topics (``confidential``)
    and the labels of retrieved documents. ``reasons`` are short machine-readable strings such
    as ``pii:EMAIL_ADDRESS``, ``topic:compensation``, ``doc-label:confidential(hr/salaries.md)``.
    ``spans`` point into the normalised text that was scanned; ``text`` is that text when the scan
    keeps it (a one-window text with spans: the request log masks its messages with these spans
    instead of detecting them again), else empty. It is not part of equality or ``repr``.
    """

    level: Level = "public"
    reasons: tuple[str, ...] = ()
    spans: tuple[Span, ...] = field(default=())
    text: str = field(default="", repr=False, compare=False)

    @property
    def is_sensitive(self) -> bool:
        """Sensitive requests may only be served by ``self_hosted`` models."""
        return level_rank(self.level) >= level_rank("confidential")


NOT_SENSITIVE = Sensitivity()
