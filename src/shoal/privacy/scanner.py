"""The privacy scan: personal data, confidential topics and document labels → ``Sensitivity``.

``PrivacyScanner`` implements ``shoal.pipeline.Scanner``. Everything runs in-process with regular
expressions, check digits, a name gazetteer and a small linear topic model: no network, no LLM,
the same answer for the same input. The shipped data (name lists, topic models) loads on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from shoal.privacy.addresses import AddressDetector
from shoal.privacy.config import PrivacyConfig
from shoal.privacy.names import NameDetector
from shoal.privacy.patterns import PATTERN_DETECTORS
from shoal.privacy.types import DocLabel, Level, Sensitivity, Span, level_rank

if TYPE_CHECKING:
    from shoal.privacy.hints import HintDetector
    from shoal.privacy.topics import TopicDetector

# When two detections overlap, the one whose type comes first wins (checksummed and prefixed formats
# before shapes; shapes before names); equal types keep the longer span.
PRIORITY: tuple[str, ...] = (
    "CREDENTIAL", "EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "US_BANK_ROUTING",
    "DATE_OF_BIRTH", "US_DRIVER_LICENSE", "US_BANK_NUMBER", "STREET_ADDRESS", "PHONE_NUMBER", "PERSON",
)
_RANK = {name: i for i, name in enumerate(PRIORITY)}
# Which detector produces which entity types (one detector may emit several).
_PRODUCES: dict[str, tuple[str, ...]] = {"US_BANK": ("US_BANK_ROUTING", "US_BANK_NUMBER")}


class PrivacyScanner:
    """Detects personal data and confidential topics; combines them with retrieved documents' labels."""

    def __init__(self, config: PrivacyConfig | None = None) -> None:
        self.config = config or PrivacyConfig()
        self._enabled = self.config.enabled_entities()
        self._detectors: list[Callable[[str], list[Span]]] = [
            fn for key, fn in PATTERN_DETECTORS.items()
            if any(t in self._enabled for t in _PRODUCES.get(key, (key,)))]
        if "STREET_ADDRESS" in self._enabled:
            self._detectors.append(AddressDetector().detect)
        self._names = NameDetector() if "PERSON" in self._enabled else None
        if self._names is not None:
            self._detectors.append(self._names.detect)
        self._topics: TopicDetector | None = None
        self._hints: HintDetector | None = None

    # --- personal data ----------------------------------------------------------------------------

    def detect_pii(self, text: str) -> list[Span]:
        """Entity spans in ``text``, non-overlapping, sorted by position."""
        if not text:
            return []
        candidates = [s for detect in self._detectors for s in detect(text)
                      if s.entity_type in self._enabled and s.score >= self.config.min_score]
        return resolve_overlaps(candidates)

    # --- request-level hints ---------------------------------------------------------------------

    def detect_hints(self, text: str, spans: Sequence[Span] = ()) -> list[tuple[str, str]]:
        """(entity type, rule) of the recall-oriented hints in ``text`` (see ``shoal.privacy.hints``),
        for enabled types only, ignoring text inside already detected ``spans`` (the "dana.whitfield"
        of an e-mail address). Hints are reasons, never entity spans."""
        if not self.config.request_hints or not text:
            return []
        if self._hints is None:
            from shoal.privacy.hints import HintDetector
            from shoal.privacy.namemodel import load_name_model
            from shoal.privacy.names import load_gazetteer, load_vocabulary

            model = load_name_model() if self.config.name_model_threshold < 1 else None
            self._hints = HintDetector(load_gazetteer(), load_vocabulary(), model, self.config.name_model_threshold)
        return [(h.entity_type, h.rule) for h in self._hints.detect(text) if h.entity_type in self._enabled
                and all(h.end <= s.start or h.start >= s.end for s in spans)]

    # --- confidential topics -----------------------------------------------------------------------

    def _topic_detector(self) -> TopicDetector:
        if self._topics is None:
            from shoal.privacy.topics import TopicDetector  # the shipped models load on first use

            self._topics = TopicDetector.for_config(self.config.topics)
        return self._topics

    def detect_topics(self, text: str, *, person_found: bool | None = None) -> list[tuple[str, float]]:
        """Confidential topics of ``text`` with their probability, best first (empty when none).

        A named person makes a request on a topic specific; ``person_found`` saves a second PII pass
        when the caller already has the spans.
        """
        if not self.config.topics.enabled or not text.strip():
            return []
        if person_found is None:
            person_found = any(s.entity_type == "PERSON" for s in self.detect_pii(text))
        return self._topic_detector().detect(text, person_found=person_found)

    def warm_up(self) -> None:
        """Load the name gazetteer and train the topic models now instead of on the first request."""
        self.scan("warm-up: Dana Whitfield's bonus")

    # --- the scan ----------------------------------------------------------------------------------

    def scan(self, text: str, doc_labels: Sequence[DocLabel] = ()) -> Sensitivity:
        """``Sensitivity`` of a request: its text plus the labels of the documents retrieved for it.

        Reasons come in a fixed order: personal data (by position), hints (``pii-hint:PERSON``: likely
        personal data that entity extraction did not report), topics (best first), labels.
        """
        findings: list[tuple[Level, str]] = []
        spans: list[Span] = []
        if self.config.enabled:
            spans = self.detect_pii(text)
            for span in spans:
                findings.append((self.config.levels.get(span.entity_type, self.config.pii_level),
                                 f"pii:{span.entity_type}"))
            found = {s.entity_type for s in spans}
            for entity_type, _rule in self.detect_hints(text, spans):
                if entity_type not in found:  # a hint adds nothing where the entity itself was found
                    findings.append((self.config.hint_level, f"pii-hint:{entity_type}"))
            person = "PERSON" in found
            for topic, _p in self.detect_topics(text, person_found=person):
                default = self._topic_detector().level_of(topic) or self.config.topic_level
                findings.append((self.config.levels.get(f"topic:{topic}", default), f"topic:{topic}"))
        for label in doc_labels:
            if label.label != "public":
                findings.append((label.label, f"doc-label:{label.label}({label.path})"))
        level: Level = "public"
        reasons: list[str] = []
        for finding_level, reason in findings:
            if reason not in reasons:
                reasons.append(reason)
            if level_rank(finding_level) > level_rank(level):
                level = finding_level
        return Sensitivity(level=level, reasons=tuple(reasons), spans=tuple(spans))


def resolve_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Keep the best of overlapping spans: type priority, then length, then position (deterministic)."""
    ordered = sorted(spans, key=lambda s: (_RANK.get(s.entity_type, len(PRIORITY)), -(s.end - s.start), s.start))
    kept: list[Span] = []
    for span in ordered:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s.start, s.end))
