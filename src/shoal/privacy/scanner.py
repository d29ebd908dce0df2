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
from shoal.privacy.normalize import normalize
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
        hints = [h for h in self._hints.detect(text) if h.entity_type in self._enabled]
        if not hints:
            return []
        covered = _coverage(spans, len(text))
        return [(h.entity_type, h.rule) for h in hints if covered.find(1, h.start, h.end) == -1]

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

        The text is normalised first (``shoal.privacy.normalize``); the spans of the result point into
        the normalised text, which is the input itself unless it had invisible characters, compatibility
        forms, non-ASCII digits or spelled-out digits. Reasons come in a fixed order: personal data (by
        position), hints (``pii-hint:PERSON``: likely personal data that entity extraction did not
        report), topics (best first), labels.
        """
        findings: list[tuple[Level, str]] = []
        spans: list[Span] = []
        if self.config.enabled:
            spans, hints, topics = self._detect_all(text)
            for span in spans:
                findings.append((self.config.levels.get(span.entity_type, self.config.pii_level),
                                 f"pii:{span.entity_type}"))
            found = {s.entity_type for s in spans}
            for entity_type in hints:
                if entity_type not in found:  # a hint adds nothing where the entity itself was found
                    findings.append((self.config.hint_level, f"pii-hint:{entity_type}"))
            for topic in topics:
                default = self._topic_detector().level_of(topic) or self.config.topic_level
                findings.append((self.config.levels.get(f"topic:{topic}", default), f"topic:{topic}"))
        for label in doc_labels:
            if label.label != "public":
                findings.append((label.label, f"doc-label:{label.label}({label.path})"))
        level: Level = "public"
        reasons: dict[str, None] = {}  # ordered, each reason once
        for finding_level, reason in findings:
            reasons[reason] = None
            if level_rank(finding_level) > level_rank(level):
                level = finding_level
        return Sensitivity(level=level, reasons=tuple(reasons), spans=tuple(spans))

    def _detect_all(self, text: str) -> tuple[list[Span], list[str], list[str]]:
        """Spans (normalised text), hint entity types and topics of ``text``, window by window.

        Text up to ``WINDOW`` characters is one window. Longer text is cut at whitespace into pieces
        of at most ``WINDOW`` characters, each normalised and scanned with the first ``OVERLAP``
        characters of the next piece (an entity across a cut, or a label just before it, is still
        seen whole); the spans of all windows are merged, duplicates from the overlaps resolved.
        Windows bound what any one detector call sees, so the scan is linear in the text and no single
        call holds the interpreter for long — the gateway scans big prompts in a worker thread,
        and the event loop gets the interpreter back between calls.
        """
        pieces = [normalize(p) for p in _pieces(text, WINDOW)]
        spans: list[Span] = []
        hints: list[str] = []
        topics: list[str] = []
        offset = 0
        for i, piece in enumerate(pieces):
            window = piece + pieces[i + 1][:OVERLAP] if i + 1 < len(pieces) else piece
            found = self.detect_pii(window)
            hints.extend(entity_type for entity_type, _rule in self.detect_hints(window, found))
            person = any(s.entity_type == "PERSON" for s in found)
            topics.extend(topic for topic, _p in self.detect_topics(window, person_found=person))
            if offset:
                found = [Span(s.start + offset, s.end + offset, s.entity_type, s.text, s.score) for s in found]
                # Only spans reaching into this window's start (the previous window's overlap) can
                # clash with its spans: resolve those few, not the whole list again.
                tail: list[Span] = []
                while spans and spans[-1].end > offset:
                    tail.append(spans.pop())
                if tail:
                    found = resolve_overlaps(tail + found)
            spans.extend(found)
            offset += len(piece)
        return spans, hints, topics


WINDOW = 8_192
"""Characters scanned in one window (see ``PrivacyScanner._detect_all``); most prompts are one window."""
OVERLAP = 256
"""Characters of the next window scanned with each window, so nothing is lost at a cut."""


def _pieces(text: str, size: int) -> list[str]:
    """``text`` cut into consecutive pieces of at most ``size`` characters, at whitespace where possible."""
    if len(text) <= size:
        return [text]
    out: list[str] = []
    start = 0
    while len(text) - start > size:
        end = start + size
        # The last line break, else the last space, in the window's final quarter; else a hard cut.
        cut = text.rfind("\n", end - size // 4, end)
        if cut < 0:
            cut = text.rfind(" ", end - size // 4, end)
        cut = cut + 1 if cut >= 0 else end
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])
    return out


def _coverage(spans: Sequence[Span], length: int) -> bytearray:
    """One byte per character of the text, 1 where a span covers it (overlap tests in O(span length))."""
    covered = bytearray(max([length, *(s.end for s in spans)]) + 1)
    for s in spans:
        if s.end > s.start:
            covered[s.start:s.end] = b"\x01" * (s.end - s.start)
    return covered


def resolve_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Keep the best of overlapping spans: type priority, then length, then position (deterministic).

    O(n log n + total span length): spans are taken best first and a span is kept when none of the
    characters it covers is taken yet — one ``bytearray.find`` over its own range (C speed), not a
    comparison with every span kept so far (which made a megabyte of detections quadratic).
    """
    if len(spans) < 2:
        return list(spans)
    ordered = sorted(spans, key=lambda s: (_RANK.get(s.entity_type, len(PRIORITY)), s.start - s.end, s.start))
    taken = bytearray(max(s.end for s in spans) + 1)
    kept: list[Span] = []
    for span in ordered:
        start, end = span.start, span.end
        if end <= start:
            continue  # an empty span covers nothing and overlaps nothing
        if taken.find(1, start, end) == -1:
            taken[start:end] = b"\x01" * (end - start)
            kept.append(span)
    kept.sort(key=lambda s: (s.start, s.end))
    return kept
