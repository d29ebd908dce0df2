"""Text normalisation shared by the deterministic metrics (unicode-aware, no heavy deps)."""

from __future__ import annotations

import re
import string
import unicodedata

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = {c for c in string.punctuation} | {"“", "”", "‘", "’", "«", "»", "…", "–", "—", "¿", "¡"}
_WORD = re.compile(r"\w+", re.UNICODE)
# 1,234,567.89 (thousands separators) or plain 1234.5; signs include the unicode minus.
_NUMBER = re.compile(r"(?<![\w.])[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])")
_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n(.*?)\n?```$", re.DOTALL)


def normalize(text: str) -> str:
    """Lower-case, NFKC, punctuation and English articles removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if (c in _PUNCT or unicodedata.category(c).startswith("P")) else c for c in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def numbers(text: str) -> list[float]:
    """Numbers in text, thousands separators understood ("1,234.5" → 1234.5)."""
    text = unicodedata.normalize("NFKC", text)
    out: list[float] = []
    for m in _NUMBER.finditer(text):
        raw = m.group(0).replace(",", "").replace("−", "-").lstrip("+")
        try:
            out.append(float(raw))
        except ValueError:  # pragma: no cover - the regex only matches parseable numbers
            continue
    return out


def strip_fence(text: str) -> str:
    """The body of a single fenced code block (```json ... ```) or the text itself."""
    stripped = text.strip()
    m = _FENCE.match(stripped)
    return m.group(1).strip() if m else stripped


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [p.strip() for p in parts if p.strip()]
