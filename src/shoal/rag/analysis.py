"""The BM25 analyzer shared by every store: lower-case words, English stop words out, Snowball stems.

Both stores must tokenize identically so that the conformance suite ranks the same way; the
Qdrant store also maps terms to stable 32-bit sparse indices (``term_index``).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

# A short, classic English stop list (function words only): removing them keeps query-time work
# small and BM25 barely changes, since their IDF is near zero anyway.
STOP_WORDS = frozenset(["a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had", "has", "have", "he", "her", "his", "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "she", "so", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "was", "we", "were", "what", "when", "where", "which", "who", "will", "with", "would", "you", "your", "do", "does", "did", "can", "could", "should", "shall", "may", "might", "must", "about", "above", "after", "again", "all", "am", "any", "because", "before", "being", "below", "between", "both", "each", "few", "further", "here", "how", "more", "most", "other", "out", "over", "own", "same", "some", "too", "under", "until", "up", "very", "why"])


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    stem: str = _stemmer().stemWord(word)  # type: ignore[attr-defined]
    return stem


def analyze(text: str) -> list[str]:
    """Text → BM25 terms (order kept, duplicates kept)."""
    out: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group(0).replace("’", "'")
        if word in STOP_WORDS or len(word) > 40:
            continue
        word = word.removesuffix("'s")
        out.append(_stem(word))
    return out


def term_counts(text: str) -> Counter[str]:
    return Counter(analyze(text))


def term_index(term: str) -> int:
    """A stable unsigned 32-bit id for a term (sparse-vector dimension); collisions are negligible."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little")
