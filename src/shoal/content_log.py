"""What of a request's content goes into the request log: nothing, masked, or raw.

``gateway.log_content``:

- ``masked`` (default): prompts and answers are kept (the feedback loop trains on them) with every
  span the privacy scanner detects — e-mail addresses, phone numbers, card and account numbers,
  credentials, names, street addresses… — replaced by a placeholder such as ``[EMAIL_ADDRESS_1]``
  (``shoal.privacy.redact``; one numbering per record, so the same value reads the same across
  messages and the answer). Without a detector nothing is kept: masked never degrades to raw.
- ``raw``: stored as sent. Only with this explicit setting.
- ``off``: no content, metadata only.

The old boolean form still loads: ``true`` means ``masked``, ``false`` means ``off``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from shoal.privacy.redact import Pseudonymizer
from shoal.privacy.types import Sensitivity, Span
from shoal.store.records import RequestRecord

LogContent = Literal["off", "masked", "raw"]  # as in shoal.gateway.config (a schema leaf)
Detect = Callable[[str], Sequence[Span]]

# Masking runs the entity detectors (~0.1 ms per 100 characters): above this many characters of
# content a caller on an event loop does it in a worker thread.
INLINE_CHARS = 2048


class ContentLog:
    """Applies the ``log_content`` mode to a record's ``request_messages`` and ``response_text``."""

    def __init__(self, mode: LogContent, detect: Detect | None, *, scan_detects: bool = False) -> None:
        self.mode = mode
        self.detect = detect
        # Whether the request scan runs these same detectors (privacy.enabled): only then does a
        # clean scan vouch for the prompt.
        self.scan_detects = scan_detects

    @classmethod
    def for_scanner(cls, mode: LogContent, scanner: object) -> ContentLog:
        """``scanner``: anything with ``detect_pii(text) -> spans`` (the privacy scanner), or None."""
        detect = getattr(scanner, "detect_pii", None)
        enabled = getattr(getattr(scanner, "config", None), "enabled", False) is True
        return cls(mode, detect if callable(detect) else None, scan_detects=enabled)

    @property
    def keeps_content(self) -> bool:
        return self.mode != "off"

    @staticmethod
    def size(rec: RequestRecord) -> int:
        """Characters of content in ``rec`` (to decide whether masking belongs off the event loop)."""
        n = len(rec.response_text or "")
        for m in rec.request_messages or ():
            n += len(str(m.get("content") or ""))
            n += sum(len(str(c.get("arguments") or "")) for c in m.get("tool_calls") or ())
        return n

    def masked(self, rec: RequestRecord, *, prompt_clean: bool = False, scanned: Sensitivity | None = None,
               ) -> tuple[list[dict[str, Any]] | None, str | None]:
        """``rec``'s (request_messages, response_text) as the mode allows; ``rec`` is not changed.

        ``prompt_clean``: the request's privacy scan (the same detectors, over every field) found
        no personal data, so the prompt is kept without running them again; the answer always is.
        ``scanned``: that scan's result. Clean, it means ``prompt_clean``; with spans, a message text
        the scan read verbatim (one line-delimited piece of its text) is masked with the scan's own
        spans instead of running the detectors over it a second time; anything else is detected anew.
        """
        if self.mode == "raw":
            return rec.request_messages, rec.response_text
        if self.mode == "off" or self.detect is None:
            return None, None
        if scanned is not None and self.scan_detects:
            prompt_clean = prompt_clean or scanned_clean(scanned)
        pseudo = Pseudonymizer()
        messages = rec.request_messages
        if messages is not None and not (prompt_clean and self.scan_detects):
            known = _ScanSpans(scanned) if scanned is not None and self.scan_detects and scanned.text else None
            messages = [self._message(m, pseudo, known) for m in messages]
        response = self._mask(rec.response_text, pseudo) if rec.response_text else rec.response_text
        return messages, response

    def apply(self, rec: RequestRecord, *, prompt_clean: bool = False, scanned: Sensitivity | None = None) -> None:
        """Make ``rec``'s content what the mode allows (in place). Call once per record."""
        rec.request_messages, rec.response_text = self.masked(rec, prompt_clean=prompt_clean, scanned=scanned)


    def _mask(self, text: str, pseudo: Pseudonymizer, known: _ScanSpans | None = None) -> str:
        assert self.detect is not None
        if not text:
            return text
        found = known.within(text) if known is not None else None
        spans = self.detect(text) if found is None else found
        return pseudo.pseudonymize(text, spans) if spans else text

    def _message(self, message: dict[str, Any], pseudo: Pseudonymizer, known: _ScanSpans | None = None,
                 ) -> dict[str, Any]:
        out = dict(message)
        if isinstance(out.get("content"), str):
            out["content"] = self._mask(out["content"], pseudo, known)
        if out.get("tool_calls"):
            # Arguments reach the scan flattened to "key: value" lines, never verbatim: detected anew.
            out["tool_calls"] = [{**c, "arguments": self._mask(str(c.get("arguments") or ""), pseudo)}
                                 for c in out["tool_calls"]]
        return out


class _ScanSpans:
    """The spans a request's privacy scan found, looked up for one piece of the text it scanned.

    The scan reads every field of a request as one text, one field per line (``request_text``), and
    its spans point into that text (normalised). A message's text found there as a whole line-bounded
    piece gets the spans inside that piece, shifted to it (a span reaching over its edge is cut at
    the edge): the detectors have already read those characters, in context. A text not found
    verbatim (normalisation changed it, or a scan of more than one window kept no text) is None:
    the caller detects it anew, so masking never depends on the lookup succeeding.
    """

    __slots__ = ("spans", "text")

    def __init__(self, scanned: Sensitivity) -> None:
        self.text = scanned.text
        self.spans = scanned.spans

    def within(self, part: str) -> list[Span] | None:
        text, n = self.text, len(part)
        at = text.find(part)
        while at >= 0 and not ((at == 0 or text[at - 1] == "\n") and (at + n == len(text) or text[at + n] == "\n")):
            at = text.find(part, at + 1)
        if at < 0:
            return None
        end = at + n
        out: list[Span] = []
        for s in self.spans:
            if s.start < end and s.end > at:
                start, stop = max(s.start, at) - at, min(s.end, end) - at
                out.append(Span(start, stop, s.entity_type, part[start:stop], s.score))
        return out


def scanned_clean(sensitivity: Sensitivity) -> bool:
    """Whether a privacy scan found no personal data (no entity spans, no ``pii`` reasons)."""
    return not sensitivity.spans and not any(r.startswith("pii") for r in sensitivity.reasons)
