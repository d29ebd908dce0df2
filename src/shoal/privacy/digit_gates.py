"""Digit-run and word gates shared by the detectors (``patterns``, ``national_ids``).

A detector whose every match starts at (or a fixed distance before) a run of digits needs the run
starts only: found once per text and shared, and its pattern tried only there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from shoal.privacy._native import compiled

_DIGIT_RUN = re.compile(r"\d+")
# The digit-run starts of the last text: the scanner hands the same text object to every detector.
_last_runs: tuple[str, tuple[int, ...]] = ("", ())


def digit_runs(text: str) -> tuple[int, ...]:
    """Where each run of digits in ``text`` starts (found once per text, shared by the detectors)."""
    global _last_runs
    last = _last_runs  # one read: another thread may replace it, never half-way
    if last[0] is text:
        return last[1]
    starts = _run_starts(text)
    _last_runs = (text, starts)
    return starts


def matches_at(rx: re.Pattern[str], text: str, starts: Iterable[int]) -> list[re.Match[str]]:
    """``list(rx.finditer(text))`` for a pattern whose every match starts at one of ``starts`` (ascending).

    A digit-shaped identifier starts where a digit run starts (a lookbehind refuses a word character
    before it), so instead of the pattern searching the whole text it is tried only there:
    ``match`` at a position gives what ``finditer`` finds there (lookbehinds see the text before it),
    and positions inside the previous match are skipped, as ``finditer`` skips them.
    """
    out: list[re.Match[str]] = []
    done = 0
    match = rx.match
    for pos in starts:
        if pos >= done:
            m = match(text, pos)
            if m is not None:
                out.append(m)
                done = m.end()
    return out


def occurrences(text: str, words: tuple[str, ...]) -> list[int]:
    """Where any of ``words`` occurs in ``text`` (overlapping occurrences too), ascending: the starts
    for ``matches_at`` of a pattern whose every match starts with one of them."""
    if _compiled_occurrences is not None and 0 < len(words) <= 64 and "" not in words:
        return _compiled_occurrences(text, words)
    return _occurrences_py(text, words)


def _occurrences_py(text: str, words: Iterable[str]) -> list[int]:
    """``occurrences`` by ``str.find``, one scan of the text per word."""
    found: set[int] = set()
    for word in words:
        i = text.find(word)
        while i >= 0:
            found.add(i)
            i = text.find(word, i + 1)
    return sorted(found)


def _run_starts_py(text: str) -> tuple[int, ...]:
    return tuple(m.start() for m in _DIGIT_RUN.finditer(text))


# The digit runs in one pass of C where it was built: a match object and a generator step per run
# cost a tenth of a millisecond on a 2,000-token prompt.
_run_starts: Callable[[str], tuple[int, ...]] = compiled("_wordscan", "digit_run_starts") or _run_starts_py

# One pass for all the words where it was built: ``str.find`` scanned a 2,000-token prompt once per
# word, a few microseconds each, and the credential gates alone look for some forty words.
_compiled_occurrences: Callable[[str, tuple[str, ...]], list[int]] | None = compiled("_wordscan", "occurrences")


__all__ = ["digit_runs", "matches_at", "occurrences"]
