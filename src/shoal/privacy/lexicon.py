"""The shipped lexicon's file name and format, and the inflection rule both its reader and its
builder use. ``names`` reads the lexicon; ``build_data`` writes it; both import this module,
so neither imports the other.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator

LEXICON_FILE = "lexicon.txt.gz"


def stems(word: str) -> Iterator[str]:
    """The word and its candidate stems under regular English inflection ("tales" → "tale")."""
    yield word
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""),
                         ("ing", "e"), ("ly", ""), ("er", ""), ("est", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            yield word[: -len(suffix)] + repl


def read_lexicon(data: bytes) -> dict[str, frozenset[str]]:
    """Sections of a lexicon file as frozensets (the format ``build_lexicon`` writes)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in gzip.decompress(data).decode("utf-8").split("\n"):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = out.setdefault(line[1:-1], [])
        elif current is not None:
            current.append(line)
    return {name: frozenset(words) for name, words in out.items()}
