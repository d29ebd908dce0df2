"""Hashed word, character and shape n-grams for the sensitivity model (the same code trains and predicts).

A text becomes token positions; each position contributes a few feature ids (hashed with CRC-32
into ``BUCKETS`` buckets, stable across processes and platforms):

- ``w`` the lower-cased word, ``c`` its character 4-grams (``^dana$`` → ``^dan``, ``dana``, ``ana$``),
  ``b`` the word bigram starting there;
- ``m`` bigrams and trigrams of the *shape* stream, where a capitalised word inside a sentence or a
  known first/last name becomes ``<C>``/``<N>``, a number becomes ``<dK>`` (K digits) and every other
  word stays itself. "What is <N> <N> 's bonus" and "who was <N> <N>" generalise to names the model
  never saw; the names themselves only reach the model through ``w``/``c``; a capitalised word right
  after an animal noun is ``<pet>`` ("my cat <pet>", ``shoal.privacy.name_heads.PET_NOUNS``);
- a placeholder our own masking wrote (``[EMAIL_ADDRESS_1]``) is one word without its number, shaped
  ``<N>`` for a person and ``<P>`` otherwise: "the ticket from [EMAIL_ADDRESS_1]" names nobody, while
  "[PERSON_1]'s salary" still reads as a person's pay;
- ``d`` the entity types the exact detectors found and ``s`` the layout (key/value lines, CSV rows,
  JSON, mail headers), once per text.

A short text is scored whole. A long one is scored in units — each sentence, each pair of
neighbouring sentences, and windows of ``WINDOW`` tokens overlapping by half — and the most sensitive
unit decides, so one sensitive sentence in a 2,000-token prompt is not outweighed by the rest.
Each word and n-gram counts at most once per ``WINDOW`` tokens, so a unit scores the distinct
features in it and a run of one repeated word adds nothing after its first occurrence. The per-word
part is cached (bounded), so repeated vocabulary costs a dictionary lookup.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shoal.privacy._native import compiled
from shoal.privacy.lexicon import WordSet
from shoal.privacy.name_heads import PET_NOUNS
from shoal.privacy.names import NOT_NAMES
from shoal.privacy.public_names import MAX_WORDS, PublicNames

BUCKETS = 1 << 18
_MASK = BUCKETS - 1
WINDOW = 64
SHORT = 48  # a text of up to this many tokens is scored whole (at most WINDOW: see ``encode``)
MIN_SENTENCE = 6
_BREAKS = frozenset({".", "!", "?", "\n", "。"})
# A placeholder our own masking writes (``[EMAIL_ADDRESS_1]``, ``[PERSON_2]``) is one token.
_PLACEHOLDER = r"\[[A-Z]{2,}(?:_[A-Z]+)*_\d+\]"
_PH_NUMBER = re.compile(r"_\d+\]$")
# A template's blank (``[Employee Name]``, ``<NAME>``, ``{{ first_name }}``, ``{amount}``, ``${DB_USER}``) is
# one token too: it stands for nobody in particular, unlike a numbered placeholder our masking wrote.
_TEMPLATE = (r"\[[A-Za-z][\w .'’/-]{1,40}\]|<[A-Z][A-Z0-9_ ]{1,30}>|\{\{\s*[\w.]{1,40}\s*\}\}|\{[a-z][a-z0-9_]{1,30}\}"
             r"|\$\{[A-Za-z_][A-Za-z0-9_]{1,40}\}")
_TEMPLATE_RE = re.compile(_TEMPLATE)
TEMPLATE_WORD = "<blank>"
# Japanese, Chinese and Korean write words without spaces between them (Korean attaches particles to
# names: "김민준 씨는"): each kana, ideograph or Hangul syllable is a token of its own, so word bigrams
# and 4-grams are character n-grams there ("病気", "給与") instead of whole clauses seen once.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(_PLACEHOLDER + "|" + _TEMPLATE
                    + rf"|[{_CJK}]|[^\W\d_{_CJK}]+(?:['’][^\W\d_{_CJK}]+)?|\d+|[:@=/$€£%#{{}}\[\]<>|.!?。]|\n")


def _compiled_tokenize() -> Callable[[str], list[str]] | None:
    model_tokens = compiled("_wordscan", "model_tokens")
    if model_tokens is None:
        return None
    match = _TOKEN.match  # placeholders and template blanks: the pattern decides where one starts
    return lambda text: model_tokens(text, match)


# ``_TOKEN.findall`` in one pass of C where it was built (a fifth of ``re``'s time on a long prompt).
_tokenize: Callable[[str], list[str]] = _compiled_tokenize() or _TOKEN.findall
_SENT_END = frozenset({".", "!", "?", "\n", ":", '"', "{", "[", "|", "<", ">", "。"})
_KV_LINE = re.compile(r"(?m)^[ \t>]*[A-Za-z][\w .-]{0,30}:[ \t]*\S")
_CSV_LINE = re.compile(r"(?m)^[^,\n]{1,60}(?:,[^,\n]{0,80}){2,}$")
_MAIL = re.compile(r"(?im)^(?:from|to|subject|cc|date):")
_CACHE_LIMIT = 200_000
_SHAPE_STOP = frozenset({"i", "the", "a", "an", "my", "our", "what", "who", "how", "why", "is", "can", "please", "hi",
                         "dear", "hello"})


_WordEntry = tuple[tuple[int, ...], bytes, int]
_ShapeEntry = tuple[bytes, bytes, int]
# lower-cased form, word entry, shape inside a sentence, shape after a sentence end, public-name flags
_TokEntry = tuple[str, _WordEntry, _ShapeEntry, _ShapeEntry, int]
# Public-name flags of a token (``shoal.privacy.public_names``): it starts a multi-word public name,
# it names a famous person or character alone, it is a brand or place word that is also a name.
_PUB_START, _PUB_ALONE, _PUB_LOOKALIKE = 1, 2, 4
_POSSESSIVE = ("'s", "’s")
FAMOUS, LOOKALIKE, PET = "<F>", "<B>", "<pet>"


def tokens(text: str) -> list[str]:
    """The tokens ``Featurizer.encode`` reads ``text`` as; a long text's units are ranges of these."""
    return _tokenize(text)


def _h(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & _MASK


@dataclass(frozen=True)
class Names:
    """Lower-cased known names (the gazetteer), ordinary English words and public names (well-known
    people, characters, brand and place words), for the shape stream."""

    first: WordSet
    last: WordSet
    english: WordSet
    public: PublicNames | None = None


class Featurizer:
    """Text → per-window arrays of feature ids. Stateless apart from a bounded per-word cache."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self._word_cache: dict[str, tuple[tuple[int, ...], bytes, int]] = {}
        self._shape_cache: dict[str, tuple[bytes, bytes, int]] = {}
        self._tok_cache: dict[str, _TokEntry] = {}

    def _word(self, low: str) -> tuple[tuple[int, ...], bytes, int]:
        """A word's own feature ids, its UTF-8 bytes, and the CRC-32 state after ``"b:<word> "``.

        CRC-32 continues over concatenated data (``crc32(b, crc32(a)) == crc32(a + b)``), so a bigram's
        id is one ``crc32`` of the next word's bytes from this state: the same id as hashing the whole
        ``"b:<word> <next>"`` string, without building and encoding it for every token.
        """
        entry = self._word_cache.get(low)
        if entry is None:
            if low[0] == "[" and len(low) > 1:  # a masking placeholder: the word alone, no character grams
                ids: tuple[int, ...] = (_h("w:" + low),)
            else:
                padded = f"^{low}$"
                grams = {padded[i:i + 4] for i in range(max(1, len(padded) - 3))}
                ids = (_h("w:" + low), *(_h("c:" + g) for g in sorted(grams)))
            raw = low.encode("utf-8")
            entry = (ids, raw, zlib.crc32(b"b:" + raw + b" "))
            if len(self._word_cache) >= _CACHE_LIMIT:
                self._word_cache.clear()
            self._word_cache[low] = entry
        return entry

    def _shape_entry(self, shape: str) -> tuple[bytes, bytes, int]:
        """A shape's bytes, its bytes and a space, and the CRC-32 state after ``"m:<shape> "``."""
        entry = self._shape_cache.get(shape)
        if entry is None:
            raw = shape.encode("utf-8")
            entry = (raw, raw + b" ", zlib.crc32(b"m:" + raw + b" "))
            if len(self._shape_cache) >= _CACHE_LIMIT:
                self._shape_cache.clear()
            self._shape_cache[shape] = entry
        return entry

    def _tok_entry(self, tok: str) -> _TokEntry:
        """A token's lower-cased form (a placeholder without its number), its ``_word`` entry, and its
        ``_shape_entry`` after a word inside a sentence and at a sentence start."""
        if len(tok) > 1 and tok[0] in "[<{$" and not (tok[0] == "[" and _PH_NUMBER.search(tok)):
            low = TEMPLATE_WORD if _TEMPLATE_RE.fullmatch(tok) else tok.lower()
        else:
            low = _PH_NUMBER.sub("]", tok.lower()) if tok[0] == "[" and len(tok) > 1 else tok.lower()
        entry = (low, self._word(low), self._shape_entry(self._shape(tok, low, "")),
                 self._shape_entry(self._shape(tok, low, None)), self._public_flags(tok, low))
        if len(self._tok_cache) >= _CACHE_LIMIT:
            self._tok_cache.clear()
        self._tok_cache[tok] = entry
        return entry

    def _public_flags(self, tok: str, low: str) -> int:
        public = self.names.public
        if public is None or not tok[0].isalpha():
            return 0
        base = low[:-2] if low.endswith(_POSSESSIVE) else low
        # A word counts capitalised, or in lower case when it is not an ordinary word ("scrooge", not
        # "jobs", "gates" or the "a" that starts "A. A. Milne").
        if not (tok[0].isupper() or (base not in self.names.english and len(base) > 2)):
            return 0
        flags = _PUB_START if base in public.starts else 0
        if base in public.alone:
            flags |= _PUB_ALONE
        elif base in public.lookalike:
            flags |= _PUB_LOOKALIKE
        return flags

    def _name_like(self, tok: str) -> bool:
        """A capitalised known first or last name, not a function word (the neighbour of a name)."""
        if not tok[0].isupper():
            return False
        low = tok.lower()
        low = low[:-2] if low.endswith(_POSSESSIVE) else low
        names = self.names
        return (low in names.first or low in names.last) and low not in NOT_NAMES and low not in _SHAPE_STOP

    def _mark_public(self, toks: list[str], entries: list[_TokEntry], shaped: list[_ShapeEntry],
                     public: PublicNames, candidates: list[int] | None = None) -> str:
        """Give public names their own shape in place: every word of a multi-word public name, and a
        single public word standing alone (no capitalised known name on either side: "Sam Lincoln" is
        somebody else). Returns which kinds were found: ``F`` (a famous person or character) and/or
        ``B`` (a brand or place word), each a text-level feature ("a name was found, and it is public")."""
        n = len(toks)
        famous = lookalike = None
        kinds: set[str] = set()
        done = 0  # the first token not yet inside a marked name
        for i in (range(n) if candidates is None else candidates):
            flags = entries[i][4]
            if not flags or i < done:
                continue
            k, person = 0, False
            if flags & _PUB_START:
                words = [e[0][:-2] if e[0].endswith(_POSSESSIVE) else e[0] for e in entries[i:i + MAX_WORDS]]
                k, person = public.match(words, 0)
            if not k and flags & (_PUB_ALONE | _PUB_LOOKALIKE) and not (
                    (i > 0 and self._name_like(toks[i - 1])) or (i + 1 < n and self._name_like(toks[i + 1]))):
                k, person = 1, bool(flags & _PUB_ALONE)
            if k:
                if famous is None or lookalike is None:
                    famous, lookalike = self._shape_entry(FAMOUS), self._shape_entry(LOOKALIKE)
                for j in range(i, i + k):
                    shaped[j] = famous if person else lookalike
                kinds.add("F" if person else "B")
                done = i + k
        return "".join(sorted(kinds))

    def _shape(self, tok: str, low: str, prev: str | None) -> str:
        if tok.isdigit():
            return f"<d{min(len(tok), 7)}>"
        first = tok[0]
        if low == TEMPLATE_WORD:  # a template's blank
            return "<T>"
        if first == "[" and len(tok) > 1:  # a masking placeholder: a person's is a name, the rest one shape
            return "<N>" if low.startswith("[person") else "<P>"
        if not first.isalpha():
            return tok
        names = self.names
        known = low in names.first or low in names.last
        if first.isupper() and prev is not None and prev not in _SENT_END and low not in _SHAPE_STOP:
            return "<N>" if known else "<C>"
        if known and low not in names.english:
            return "<n>"
        return low

    def encode(self, text: str, extra: Iterable[str] = (), *, whole: bool = False) -> Encoded:
        """The features of ``text`` by token position, the text-level features and the units to score.

        ``extra`` are text-level features (detector types) added to every unit; ``whole`` makes the
        whole text one unit (training on labelled texts).
        """
        toks = _tokenize(text)
        # Everything per token is a function of the token's text, plus (for its shape) whether the
        # token before it ends a sentence: one cache lookup per token (most were seen before) gives
        # its lower-cased form, its word entry and both possible shape entries.
        entries, lows, words, shaped, candidates, pets = _token_entries(
            toks, self._tok_cache, self._tok_entry, _SENT_END, PET_NOUNS)
        public = self.names.public
        marked = self._mark_public(toks, entries, shaped, public, candidates) if candidates and public else ""
        n = len(toks)
        if pets:
            pet = self._shape_entry(PET)
            for i in pets:
                shaped[i] = pet
        global_ids = [_h("d:" + e) for e in extra] + [_h("s:" + s) for s in _layout(text)] + [
            _h("g:" + m) for m in marked]
        if n <= SHORT:
            # One unit, shorter than WINDOW: every feature counts once in the whole text, so the unit
            # is its distinct words' ids and its distinct n-gram ids, in one block (order is free in a sum).
            bigrams, shape2, shape3 = _ngram_ids(words, shaped)
            ids: list[int] = []
            for low, word in dict(zip(lows, words, strict=True)).items():
                if low != "\n":
                    ids.extend(word[0])
            ids.extend(dict.fromkeys(itertools.chain(bigrams, shape2, shape3)))
            return Encoded(ids, [0, len(ids)], global_ids, [(0, 1)])
        ids, starts = _window_features(lows, words, shaped, WINDOW, _MASK)
        units = [(0, n)] if whole else _units(toks, n)
        return Encoded(ids, starts, global_ids, units)

    def windows(self, text: str, extra: Iterable[str] = (), *, whole: bool = False) -> list[list[int]]:
        """Feature ids of each unit (see ``encode``); a repeated word or n-gram counts once per ``WINDOW``
        tokens, a character 4-gram shared by different words once per word."""
        return self.encode(text, extra, whole=whole).unit_ids()


@dataclass(frozen=True)
class Encoded:
    """Feature ids in blocks (``starts[i]`` is where block ``i``'s ids begin), text-level ids, and the
    block ranges scored as units. A block is a token, or the whole text when it is scored as one unit
    (a short text: then ``starts`` is ``[0, len(ids)]`` and ``units`` is ``[(0, 1)]``)."""

    ids: list[int]
    starts: list[int]
    global_ids: list[int]
    units: list[tuple[int, int]]

    def unit_ids(self) -> list[list[int]]:
        return [self.ids[self.starts[a]:self.starts[b]] + self.global_ids for a, b in self.units]


def _token_entries_py(toks: list[str], cache: dict[str, _TokEntry], make_entry: Callable[[str], _TokEntry],
                      sent_end: frozenset[str], pet_nouns: frozenset[str]) -> tuple[
                          list[_TokEntry], list[str], list[_WordEntry], list[_ShapeEntry], list[int], list[int]]:
    """Per token: its entry (``cache``, else ``make_entry``), lower-cased form, word entry and shape
    entry; the tokens with public-name flags (``candidates``); and the pets' names.

    Everything per token is a function of the token's text, plus (for its shape) whether the token
    before it ends a sentence: ``_shape`` reads the previous token only as "none, or one in
    ``sent_end``" (entry[3]) or not (entry[2]). A capitalised word right after an animal noun is a
    pet's name ("my cat Winston"): it gets its own shape. ``shoal.privacy._windowfeat.token_entries``
    is the same, compiled."""
    entries = [cache.get(tok) or make_entry(tok) for tok in toks]
    lows = [e[0] for e in entries]
    words = [e[1] for e in entries]
    shaped = [e[3] if prev is None or prev in sent_end else e[2]
              for e, prev in zip(entries, itertools.chain((None,), toks), strict=False)]
    candidates = [i for i, e in enumerate(entries) if e[4]]
    n = len(toks)
    pets = [i + 1 for i, low in enumerate(lows) if low in pet_nouns and i + 1 < n and toks[i + 1][:1].isupper()]
    return entries, lows, words, shaped, candidates, pets


_token_entries: Callable[..., tuple[list[_TokEntry], list[str], list[_WordEntry], list[_ShapeEntry], list[int],
                                    list[int]]] = compiled("_windowfeat", "token_entries") or _token_entries_py


def _ngram_ids(words: list[_WordEntry], shaped: list[_ShapeEntry]) -> tuple[list[int], list[int], list[int]]:
    """The n-gram ids starting at each token: word bigrams, shape bigrams and shape trigrams.

    CRC-32 continues from a cached state ("b:<low> <next low>", "m:<shape> <next shape>", "m:<shape>
    <next> <one after>"), each list in one comprehension (C-level iteration)."""
    crc = zlib.crc32
    mask = _MASK
    bigrams = [crc(b[1], a[2]) & mask for a, b in itertools.pairwise(words)]
    shape2 = [crc(b[0], a[2]) & mask for a, b in itertools.pairwise(shaped)]
    shape3 = [crc(c[0], crc(b[1], a[2])) & mask for a, b, c in zip(shaped, shaped[1:], shaped[2:], strict=False)]
    return bigrams, shape2, shape3


def _window_features_py(lows: list[str], words: list[_WordEntry], shaped: list[_ShapeEntry], window: int,
                        mask: int) -> tuple[list[int], list[int]]:
    """Feature ids by token (``starts[i]`` is where token ``i``'s begin) of a text scored in units.

    A feature counts at most once per ``window`` tokens (the longest unit): a unit's score is a sum
    over distinct features, so repeating a word ("word word word ...") cannot push it anywhere.
    Words are keyed by their text, n-grams by their id. ``shoal.privacy._windowfeat`` is the same
    loop compiled (used when it was built); ``mask`` is ``_MASK``, passed for it."""
    bigrams, shape2, shape3 = _ngram_ids(words, shaped)
    n = len(lows)
    ids: list[int] = []
    starts = [0]
    recent: dict[str | int, int] = {}
    seen = recent.get
    append = ids.append
    for i in range(n):
        low = lows[i]
        if low != "\n":
            j = seen(low)
            if j is None or i - j >= window:
                recent[low] = i
                ids.extend(words[i][0])
        if i + 1 < n:
            for gram in (bigrams[i], shape2[i], shape3[i]) if i + 2 < n else (bigrams[i], shape2[i]):
                j = seen(gram)
                if j is None or i - j >= window:
                    recent[gram] = i
                    append(gram)
        starts.append(len(ids))
    return ids, starts


_window_features: Callable[[list[str], list[_WordEntry], list[_ShapeEntry], int, int], tuple[list[int], list[int]]] = (
    compiled("_windowfeat", "window_features") or _window_features_py)


def _units(toks: list[str], n: int) -> list[tuple[int, int]]:
    """Token ranges scored separately in a long text: sentences (short ones merged with the next),
    each pair of neighbouring sentences (a pronoun and its name), and fixed windows of ``WINDOW``
    tokens overlapping by half (text without sentence breaks)."""
    sentences: list[tuple[int, int]] = []
    start = 0
    # Only the break tokens (found in one comprehension) can end a sentence: the loop visits those alone.
    for i in [i for i, tok in enumerate(toks) if tok in _BREAKS]:
        if i + 1 - start >= MIN_SENTENCE:
            sentences.append((start, i + 1))
            start = i + 1
    if start < n:
        # A trailing fragment (a closing newline, "Thanks!") is no sentence of its own: scored alone it
        # would be the text-level features (``d:PERSON``, layout) and almost nothing else.
        if sentences and n - start < MIN_SENTENCE:
            sentences[-1] = (sentences[-1][0], n)
        else:
            sentences.append((start, n))
    step = WINDOW // 2
    # Each of the three lists is in order already (their starts go up), so sorting them joined is a
    # merge of three runs and the duplicates end up side by side: a third of the time of sorting a
    # set of the ranges, with the same result.
    ranges = sorted([(a, min(b, a + WINDOW)) for a, b in sentences]
                    + [(a, min(c, a + WINDOW)) for (a, _), (_, c) in itertools.pairwise(sentences)]
                    + [(a, min(a + WINDOW, n)) for a in range(0, max(n - step, 1), step)])
    return [unit for unit, _ in itertools.groupby(ranges)]


def _layout(text: str) -> list[str]:
    out = []
    # Exact gates: two key/value or header lines hold two colons, two CSV rows four commas (matches
    # never share a line), so a text with fewer skips the pattern.
    colons = text.count(":")
    if colons >= 2 and len(_KV_LINE.findall(text)) >= 2:
        out.append("kv")
    if text.count(",") >= 4 and len(_CSV_LINE.findall(text)) >= 2:
        out.append("csv")
    if "{" in text and '":' in text:
        out.append("json")
    if colons >= 2 and len(_MAIL.findall(text)) >= 2:
        out.append("mail")
    if len(text) > 600:
        out.append("long")
    return out


def load_names() -> Names:
    """The shipped gazetteer, English word list (``shoal.privacy.names``) and public names
    (``shoal.privacy.public_names``)."""
    from shoal.privacy.names import load_gazetteer, load_vocabulary
    from shoal.privacy.public_names import load_public_names

    g = load_gazetteer()
    v = load_vocabulary()
    return Names(first=g.first, last=g.last, english=v.english, public=load_public_names())
