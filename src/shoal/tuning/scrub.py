"""PII scrubbing of training data, with the privacy package's detectors.

Nothing becomes training data, and nothing is sent to an external teacher, before it passes here.
Three policies (``tuning.scrub_policy``):

- ``scrub`` — every detected entity is replaced by a typed placeholder (``[EMAIL_ADDRESS_1]``),
  the same value by the same placeholder across the prompt and the answers of one example, so the
  model learns the shape of the task, never the values. The mapping is thrown away (irreversible).
- ``drop`` — an example with any detected entity is left out.
- ``allow_self_hosted`` — examples stay as they are, but a dataset in which PII was found is marked
  ``self_hosted_only``: it may train models that stay on our machines and is never sent out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from shoal.feedback.examples import Example
from shoal.privacy.types import Span
from shoal.tuning.config import ScrubPolicy

POLICIES: tuple[str, ...] = ("scrub", "drop", "allow_self_hosted")


class PiiDetector(Protocol):
    """Anything that finds personal data spans — ``shoal.privacy.scanner.PrivacyScanner`` does."""

    def detect_pii(self, text: str) -> list[Span]: ...


def default_detector(privacy_config: Any = None) -> PiiDetector:
    """The privacy package's scanner, configured like the request path (``privacy:`` section)."""
    from shoal.privacy.scanner import PrivacyScanner

    return PrivacyScanner(privacy_config)


@dataclass(slots=True)
class ScrubReport:
    """What the scrubber found and did; stored in the dataset manifest."""

    policy: str
    examples_in: int = 0
    examples_with_pii: int = 0
    dropped: int = 0
    entities: Counter[str] = field(default_factory=Counter)

    @property
    def self_hosted_only(self) -> bool:
        """True when PII was left in the data (policy allow_self_hosted)."""
        return self.policy == "allow_self_hosted" and self.examples_with_pii > 0

    def to_json(self) -> dict[str, Any]:
        return {"policy": self.policy, "examples_in": self.examples_in,
                "examples_with_pii": self.examples_with_pii, "dropped": self.dropped,
                "entities": dict(sorted(self.entities.items())), "self_hosted_only": self.self_hosted_only}

    def summary(self) -> str:
        ents = ", ".join(f"{k}×{v}" for k, v in sorted(self.entities.items())) or "none"
        return (f"PII policy {self.policy}: {self.examples_with_pii}/{self.examples_in} examples had PII "
                f"({ents}); dropped {self.dropped}")


def pseudonymize_texts(texts: Sequence[str], detector: PiiDetector,
                       placeholder: str = "[{type}_{n}]") -> tuple[list[str], Counter[str]]:
    """Replace PII in several texts with one consistent set of placeholders; returns (texts, counts)."""
    from shoal.privacy.redact import Pseudonymizer

    pseudo = Pseudonymizer(placeholder)
    counts: Counter[str] = Counter()
    out: list[str] = []
    for text in texts:
        spans = detector.detect_pii(text)
        counts.update(s.entity_type for s in spans)
        out.append(pseudo.pseudonymize(text, spans) if spans else text)
    return out, counts


def _scrub_one(ex: Example, detector: PiiDetector, placeholder: str) -> tuple[Example, Counter[str]]:
    texts = [content for _, content in ex.messages]
    extra = [t for t in (ex.completion, ex.rejected)]
    clean, counts = pseudonymize_texts(texts + [t or "" for t in extra], detector, placeholder)
    if not counts:
        return ex, counts
    n = len(texts)
    messages = tuple((role, clean[i]) for i, (role, _) in enumerate(ex.messages))
    completion = clean[n] if ex.completion is not None else None
    rejected = clean[n + 1] if ex.rejected is not None else None
    meta = {**ex.meta, "scrubbed": sorted(counts)}
    return replace(ex, messages=messages, completion=completion, rejected=rejected, meta=meta), counts


def scrub_examples(examples: Iterable[Example], policy: ScrubPolicy | str, detector: PiiDetector, *,
                   placeholder: str = "[{type}_{n}]") -> tuple[list[Example], ScrubReport]:
    """Apply ``policy`` to every example; returns the examples to keep and the report."""
    if policy not in POLICIES:
        raise ValueError(f"unknown scrub policy {policy!r}; use one of {', '.join(POLICIES)}")
    report = ScrubReport(policy=policy)
    kept: list[Example] = []
    for ex in examples:
        report.examples_in += 1
        if policy == "scrub":
            cleaned, counts = _scrub_one(ex, detector, placeholder)
        else:
            counts = Counter(s.entity_type for text in ex.texts() for s in detector.detect_pii(text))
            cleaned = ex
        if counts:
            report.examples_with_pii += 1
            report.entities.update(counts)
            if policy == "drop":
                report.dropped += 1
                continue
        kept.append(cleaned)
    return kept, report
