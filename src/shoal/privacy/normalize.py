"""Text normalisation before the privacy scan, so that writing a value differently does not hide it.

``normalize(text)`` returns the text the detectors look at:

* invisible characters are removed: zero-width spaces and joiners, the word joiner, soft hyphens,
  the byte-order mark, and the bidirectional controls (embeddings, overrides, isolates, marks) —
  "123\u200b-45-6789" and a right-to-left override around a card number scan like the plain value;
* Unicode NFKC: full-width and other compatibility forms become their plain equivalents
  ("１２３－４５－６７８９" → "123-45-6789", non-breaking space → space), and decimal digits of any
  script become ASCII digits ("٤١٥" → "415");
* spelled-out digits: a run of at least four digit words or single digits ("one two three four",
  "oh four one five", "one 2 three 4", "1 2 3 4 5") becomes the digits; "dash"/"hyphen" inside a run becomes "-",
  so "one two three dash four five dash six seven eight nine" scans as "123-45-6789".

Every step is a single pass over the text (C-level searches, ``unicodedata.normalize``,
``str.translate``, ``str.split``), so normalising costs time linear in its length. ASCII text skips
the first two steps, each non-ASCII step runs only when a quick check finds something to change,
and the spelled-digit regex only runs on text whose words hold a run of four digit tokens.

The result is for detection only; it is never sent anywhere. Offsets of spans found in it refer to
the normalised text (identical to the input whenever nothing had to change).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable

from shoal.privacy._native import compiled

# Zero-width and format characters people (or tools) use to split a value so patterns miss it.
_INVISIBLE = (
    "\u00ad"  # soft hyphen
    "\u034f"  # combining grapheme joiner
    "\u061c"  # arabic letter mark
    "\u115f\u1160\u3164\uffa0"  # hangul fillers (render as nothing)
    "\u180e"  # mongolian vowel separator
    "\u200b\u200c\u200d"  # zero-width space, non-joiner, joiner
    "\u200e\u200f"  # left-to-right / right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\ufeff"  # zero-width no-break space (BOM)
)


@functools.cache
def _table() -> dict[int, int]:
    """Decimal digits of every script → ASCII digits (NFKC leaves most of them alone)."""
    table: dict[int, int] = {}
    for cp in range(128, sys.maxunicode + 1):
        value = unicodedata.decimal(chr(cp), None)
        if value is not None:
            table[cp] = ord("0") + value
    return table


_DIGIT_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_TOKEN = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)"
# Atomic, so a long run of blanks is crossed once, never re-split on backtracking.
_SEP = r"(?>\s*(?:-|dash|hyphen)\s*|[\s,]+)"
# At least four tokens.
_RUN = re.compile(rf"\b{_TOKEN}(?:{_SEP}{_TOKEN}){{3,}}\b", re.IGNORECASE)
_RUN_PART = re.compile(r"(zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)|(-|dash|hyphen)", re.IGNORECASE)
_TOKENS = frozenset([*_DIGIT_WORDS, *"0123456789"])
_JOINERS = frozenset(["dash", "hyphen"])
_PUNCT = ",-.;:!?()"


def _has_run_py(text: str) -> bool:
    """Whether ``text`` may hold a run of four digit tokens: a cheap split-based check, so the regex
    (costly at every position) only runs on the rare texts that do."""
    low = text.lower()
    for mark in _PUNCT:  # str.replace is a C loop; translate with a table is several times slower
        if mark in low:
            low = low.replace(mark, " ")
    words = low.split()
    if _TOKENS.isdisjoint(words):  # most texts: one C-level set check
        return False
    run = 0
    for token in words:
        if token in _TOKENS:
            run += 1
            if run >= 4:
                return True
        elif token not in _JOINERS:
            run = 0
    return False


# ``_has_run_py`` in one pass of C where it was built: lower-casing, nine replaces and a split of the
# whole text, then a loop over its words, were ~0.15 ms of a 2,000-token prompt's scan.
_has_run: Callable[[str], bool] = compiled("_wordscan", "digit_word_run") or _has_run_py


def _digits(match: re.Match[str]) -> str:
    run = match.group()
    out: list[str] = []
    for part in _RUN_PART.finditer(run):
        digit, dash = part.group(1), part.group(2)
        if digit is not None:
            out.append(_DIGIT_WORDS.get(digit.lower(), digit))
        elif dash is not None:
            out.append("-")
    return "".join(out)


def spell_digits(text: str) -> str:
    """``text`` with runs of spelled-out digits written as digits (see the module docstring)."""
    if not _has_run(text):
        return text
    return _RUN.sub(_digits, text)


_INVISIBLE_RX = re.compile(f"[{_INVISIBLE}]")
_OTHER_DIGIT = re.compile(r"(?=\d)[^0-9]")  # a decimal digit that is not ASCII


def normalize(text: str) -> str:
    """The text the detectors scan: invisible characters gone, NFKC, ASCII digits, spelled digits as digits."""
    if not text.isascii():
        # Each step only when a fast C-level check says it changes something.
        if _INVISIBLE_RX.search(text):
            text = _INVISIBLE_RX.sub("", text)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if _OTHER_DIGIT.search(text):
            text = text.translate(_table())
    return spell_digits(text)


def caseless(text: str, lowered: str | None = None) -> str | None:
    """A lower-cased ``text`` where a case-insensitive pattern written in lower case matches exactly
    where the same pattern, case-sensitive, matches the lower-cased text; None where there is none.

    ``text.lower()`` keeps every offset (and each character's word, digit and space class) except
    for "İ", which lower-cases to two characters; and ``re.IGNORECASE`` equates "ı" and "İ" with "i"
    and "ſ" with "s" without lower-casing to them. Those three are written as the ASCII letter they
    match (Turkish text, which has them, takes the fast path too). Case-sensitive patterns run several
    times faster, so detectors take this path when they can. ``lowered`` is ``text.lower()`` when the
    caller has it already. The answer for the last text is kept: the scanner hands the same text
    object to every detector, and half of them ask.
    """
    global _last_caseless
    last = _last_caseless  # one read: another thread may replace it, never half-way
    if last[0] is text:
        return last[1]
    low: str | None = text.lower() if lowered is None else lowered
    if low is not None and (len(low) != len(text) or "ı" in low or "ſ" in low):
        low = text.replace("İ", "i").lower().replace("ı", "i").replace("ſ", "s")
        if len(low) != len(text):
            low = None
    _last_caseless = (text, low)
    return low


_last_caseless: tuple[str, str | None] = ("", "")


def lowered_pattern(rx: re.Pattern[str]) -> re.Pattern[str] | None:
    """The case-sensitive twin of a case-insensitive pattern written in lower case (for ``caseless``
    text), or None when the pattern has an upper-case letter or is case-sensitive already."""
    if not rx.flags & re.IGNORECASE or rx.pattern != rx.pattern.lower():
        return None
    return re.compile(rx.pattern, rx.flags & ~re.IGNORECASE)


__all__ = ["caseless", "lowered_pattern", "normalize", "spell_digits"]
