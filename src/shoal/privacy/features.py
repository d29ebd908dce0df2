"""Hashed word, character and shape n-grams for the sensitivity model (the same code trains and predicts).

A text becomes token positions; each position contributes a few feature ids (hashed with CRC-32
into ``BUCKETS`` buckets, stable across processes and platforms):

- ``w`` the lower-cased word, ``c`` its character 4-grams (``^dana$`` → ``^dan``, ``dana``, ``ana$``),
  ``b`` the word bigram starting there;
- ``m`` bigrams and trigrams of the *shape* stream, where a capitalised word inside a sentence or a
  known first/last name becomes ``<C>``/``<N>``, a number becomes ``<dK>`` (K digits) and every other
  word stays itself. "What is <N> <N> 's bonus" and "who was <N> <N>" generalise to names the model
  never saw; the names themselves only reach the model through ``w``/``c``;
- ``d`` the entity types the exact detectors found and ``s`` the layout (key/value lines, CSV rows,
  JSON, mail headers), once per text.

Long texts are scored in overlapping windows (``WINDOW`` tokens, half overlapping) so that one
sensitive sentence in a 2,000-token prompt is not diluted by the rest; short texts are one window.
The per-word part is cached (bounded), so repeated vocabulary costs a dictionary lookup.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

BUCKETS = 1 << 18
_MASK = BUCKETS - 1
WINDOW = 64
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+|[:@=/$€£%#{}\[\]<>|]|\n")
_SENT_END = frozenset({".", "!", "?", "\n", ":", '"', "{", "[", "|", "<", ">"})
_KV_LINE = re.compile(r"(?m)^[ \t>]*[A-Za-z][\w .-]{0,30}:[ \t]*\S")
_CSV_LINE = re.compile(r"(?m)^[^,\n]{1,60}(?:,[^,\n]{0,80}){2,}$")
_MAIL = re.compile(r"(?im)^(?:from|to|subject|cc|date):")
_CACHE_LIMIT = 200_000
_SHAPE_STOP = frozenset({"i", "the", "a", "an", "my", "our", "what", "who", "how", "why", "is", "can", "please", "hi",
                         "dear", "hello"})


def _h(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & _MASK


@dataclass(frozen=True)
class Names:
    """Lower-cased known names (the gazetteer) and ordinary English words, for the shape stream."""

    first: frozenset[str]
    last: frozenset[str]
    english: frozenset[str]


class Featurizer:
    """Text → per-window arrays of feature ids. Stateless apart from a bounded per-word cache."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self._word_cache: dict[str, tuple[int, ...]] = {}

    def _word_ids(self, low: str) -> tuple[int, ...]:
        ids = self._word_cache.get(low)
        if ids is None:
            padded = f"^{low}$"
            grams = {padded[i:i + 4] for i in range(max(1, len(padded) - 3))}
            ids = (_h("w:" + low), *(_h("c:" + g) for g in sorted(grams)))
            if len(self._word_cache) >= _CACHE_LIMIT:
                self._word_cache.clear()
            self._word_cache[low] = ids
        return ids

    def _shape(self, tok: str, low: str, prev: str | None) -> str:
        if tok.isdigit():
            return f"<d{min(len(tok), 7)}>"
        first = tok[0]
        if not first.isalpha():
            return tok
        names = self.names
        known = low in names.first or low in names.last
        if first.isupper() and prev is not None and prev not in _SENT_END and low not in _SHAPE_STOP:
            return "<N>" if known else "<C>"
        if known and low not in names.english:
            return "<n>"
        return low

    def windows(self, text: str, extra: Iterable[str] = (), *, whole: bool = False) -> list[list[int]]:
        """Feature ids per window (duplicates allowed; the model counts each id once per window).

        ``extra`` are text-level features (detector types) added to every window; ``whole`` makes
        the whole text one window (training on labelled texts).
        """
        toks = _TOKEN.findall(text)
        lows = [t.lower() for t in toks]
        shapes: list[str] = []
        prev: str | None = None
        for tok, low in zip(toks, lows, strict=True):
            shapes.append(self._shape(tok, low, prev))
            prev = tok
        per_pos: list[list[int]] = []
        n = len(toks)
        for i in range(n):
            low = lows[i]
            ids = list(self._word_ids(low)) if low != "\n" else []
            if i + 1 < n:
                ids.append(_h(f"b:{low} {lows[i + 1]}"))
                ids.append(_h(f"m:{shapes[i]} {shapes[i + 1]}"))
                if i + 2 < n:
                    ids.append(_h(f"m:{shapes[i]} {shapes[i + 1]} {shapes[i + 2]}"))
            per_pos.append(ids)
        global_ids = [_h("d:" + e) for e in extra] + [_h("s:" + s) for s in _layout(text)] + [_h("bias")]
        if whole or n <= WINDOW + WINDOW // 2:
            return [[i for ids in per_pos for i in ids] + global_ids]
        out = []
        step = WINDOW // 2
        for start in range(0, n - step, step):
            out.append([i for ids in per_pos[start:start + WINDOW] for i in ids] + global_ids)
        return out


def _layout(text: str) -> list[str]:
    out = []
    if len(_KV_LINE.findall(text)) >= 2:
        out.append("kv")
    if len(_CSV_LINE.findall(text)) >= 2:
        out.append("csv")
    if "{" in text and '":' in text:
        out.append("json")
    if len(_MAIL.findall(text)) >= 2:
        out.append("mail")
    if len(text) > 600:
        out.append("long")
    return out


def load_names() -> Names:
    """The shipped gazetteer and English word list (``shoal.privacy.names``)."""
    from shoal.privacy.names import load_gazetteer, load_vocabulary

    g = load_gazetteer()
    v = load_vocabulary()
    return Names(first=g.first, last=g.last, english=v.english)
