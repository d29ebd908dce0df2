"""The shipped lexicon's file name and format, and the inflection rule both its reader and its
builder use. ``names`` reads the lexicon; ``build_data`` writes it; both import this module,
so neither imports the other.
"""

from __future__ import annotations

import gzip
from collections.abc import Collection, Hashable, Iterable, Iterator
from typing import TypeVar

LEXICON_FILE = "lexicon.txt.gz"


def stems(word: str) -> Iterator[str]:
    """The word and its candidate stems under regular English inflection ("tales" → "tale")."""
    yield word
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""),
                         ("ing", "e"), ("ly", ""), ("er", ""), ("est", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            yield word[: -len(suffix)] + repl


WordSet = Collection[str]
"""A read-only set of words: membership, iteration and size (what the detectors ask of a word list)."""


_H = TypeVar("_H", bound=Hashable)


def word_set(words: Iterable[_H]) -> Collection[_H]:
    """``words`` (strings, or tuples of them) as a read-only set that the garbage collector never walks.

    A set of strings is a container the collector visits on every full collection, slot by slot: the
    shipped word lists (several of ~27,000 names or words) made each full collection of a scanning
    process ~10 ms slower, and one landed in every hundredth scan (the p99). A dict holding only
    strings (and ``None``) is untracked by CPython, with the same hashed lookup for ``in`` (one holding
    tuples of strings is untracked at its first collection); its keys view compares and combines like
    a set."""
    return dict.fromkeys(words).keys()


def read_lexicon(data: bytes) -> dict[str, WordSet]:
    """Sections of a lexicon file as word sets (the format ``build_lexicon`` writes)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in gzip.decompress(data).decode("utf-8").split("\n"):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = out.setdefault(line[1:-1], [])
        elif current is not None:
            current.append(line)
    return {name: word_set(words) for name, words in out.items()}
