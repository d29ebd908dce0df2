"""Person names without an NER model: a multilingual name gazetteer plus context rules.

The gazetteer is the first- and last-name lists of Faker's person providers (86 locales, ~54k
names), precomputed into ``data/lexicon.txt.gz`` by ``shoal.privacy.build_data`` and read once. A run of capitalised words is a name when the gazetteer and the
context agree: a title before it (``Mr.``), a cue (``my name is``, ``Dear``), a known first name
followed by a capitalised word, or known names that are not ordinary English words. Ordinary
words that are also names (``Will``, ``May``, ``Grant``) need a second piece of evidence.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from shoal.privacy._native import compiled
from shoal.privacy.digit_gates import occurrences
from shoal.privacy.lexicon import LEXICON_FILE, WordSet, read_lexicon, stems, word_set
from shoal.privacy.normalize import caseless
from shoal.privacy.places import is_place
from shoal.privacy.types import Span

TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "madam", "madame", "mme",
    "mlle", "herr", "frau", "señor", "señora", "sr", "sra", "signor", "signora", "lord", "lady", "rev",
    "fr", "capt", "captain", "col", "gen", "lt", "sgt", "officer", "judge", "justice", "president",
    "senator", "rep", "gov", "mayor", "coach", "nurse", "doctor", "uncle", "aunt", "auntie", "grandma",
    "grandpa",
})
PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "dos", "das",
                       "ter", "ten", "bin", "binti", "al", "el", "la", "le", "y", "zu", "af", "av"})
# Capitalised words that start sentences or label fields and are never the name themselves.
NOT_NAMES = frozenset("""
i me my mine we us our you your he she him her his they them their it its this that these those a an the
and or but if so as at by for from in into of on to with without about after before over under up down
hi hello hey dear thanks thank regards best cheers sincerely yours please kindly yes no ok okay sure
what when where which who whom whose why how is are was were be been am do does did have has had can could
will would shall should may might must let lets get got make send call email phone tel fax mobile desk
name names date dob address title subject re fw fwd from cc bcc attn note user bot agent customer client
monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
january february march april may june july august september october november december
street st road rd avenue ave lane ln drive dr court ct boulevard blvd suite apt unit box floor
inc llc ltd corp co company group bank university college school hospital department team
mister mrs ms miss mr dr prof sir madam
god christmas easter new old north south east west central united states
also just only even still then there here now not all any some every each both many much more most
very well good great new first last next one two three four five six seven eight nine ten
maybe unlike follow action adventure comedy animation mystery directed directors starring
i'm i've i'll i'd it's that's what's let's there's here's who's where's don't can't won't isn't
""".split())  # noqa: SIM905 - a word list reads better as text
# Cues after which the next word is a name even in lower case ("call me višeslav").
_CUE_NAME = re.compile(
    r"\b(?:my name is|name is|name's|names are|name\s*[:?]|call me|called me|named|signed|"
    r"contact person:?|attn:|attention:|patient:?|employee:?|account holder:?|cardholder:?|"
    r"beneficiary:?|passenger:?|applicant:?)\s*$", re.IGNORECASE)
# Every _CUE_NAME match contains one of these: the window search runs only near one (see ``_Cues``).
_CUE_GATE_WORDS = ("name", "call", "signed", "contact person", "attn:", "attention:", "patient", "employee",
                   "account holder", "cardholder", "beneficiary", "passenger", "applicant")
_CUE_GATE_LONGEST = max(map(len, _CUE_GATE_WORDS))
_CUE_NAME_GATE = re.compile("|".join(map(re.escape, _CUE_GATE_WORDS)), re.IGNORECASE)
# Cues after which a capitalised word is a name even if the gazetteer does not know it.
_STRONG_CUES = (
    "i am", "i'm", "this is", "dear", "sincerely", "sincerely,", "regards", "regards,", "hi", "hello", "hey", "thanks",
    "thank you", "says", "said", "asked", "told", "wrote", "replied", "according to", "met", "meet", "ask", "tell",
    "email", "call", "cc", "manager", "boss", "colleague", "coworker", "co-worker", "friend", "wife", "husband", "son",
    "daughter", "mother", "father", "brother", "sister", "partner", "producer", "director", "directed by",
    "written by", "by author", "singer", "hired", "fired", "promoted", "promote", "pay", "paid", "salary of",
    "bonus of", "review of", "under")
# Cues that make a known (gazetteer) but ambiguous word a name.
_WEAK_CUES = ("with", "by", "for", "to", "from", "and", "of", "invite", "saw", "see", "visit", "client", "customer",
              "patient")


def _cue_at_end(cues: tuple[str, ...]) -> re.Pattern[str]:
    r"""A pattern for the *reversed* text before a word: it matches at the start exactly when the text
    ends with one of ``cues`` (a word starting there), then blanks, at most one "," or ":" and blanks —
    ``\b(?:cue|...)\s*[,:]?\s*$`` searched forwards. ``search`` of that pattern tries every position of
    the 40 characters; ``match`` of this one tries only the end (a name's cue is read for every
    capitalised run: the search was a tenth of the name pass)."""
    words = "|".join(re.escape(cue[::-1]) for cue in sorted(cues, key=lambda c: (-len(c), c)))
    return re.compile(rf"\s*[,:]?\s*(?:{words})\b", re.IGNORECASE)


_CUE_STRONG = _cue_at_end(_STRONG_CUES)
_CUE_WEAK = _cue_at_end(_WEAK_CUES)
# A run that starts with these is a place ("San Bernardino", "Den Haag"), not a person.
_PLACE_PREFIXES = frozenset({"san", "santa", "santo", "são", "saint", "st", "ste", "los", "las", "new", "port",
                             "fort", "mount", "mt", "lake", "den", "rio", "north", "south", "east", "west",
                             "upper", "lower", "great", "little", "bad", "porto", "puerto", "villa", "ciudad"})
_STREET_WORDS = frozenset({"street", "road", "avenue", "lane", "drive", "court", "boulevard", "way", "place",
                           "square", "terrace", "crescent", "close", "circle", "highway", "parkway", "trail",
                           "row", "walk", "mews", "grove", "gardens", "greens", "green", "hill", "hills", "park",
                           "plaza", "pass", "crossing", "ridge", "view", "heights", "estate", "estates",
                           "junction", "rua", "via", "calle", "rue", "avenida", "piazza", "ul", "orchestra",
                           "band", "choir", "quartet", "trio"})
_ORG_SUFFIX = re.compile(r"^\s*(?:,\s*)?(?:inc|llc|ltd|plc|gmbh|ag|sa|corp|corporation|co|company|group|"
                         r"bank|partners|holdings|university|foundation|institute|associates|& co)\b\.?",
                         re.IGNORECASE)
# Right after a word: a member access or a call ("Math.min", "Dates.parse(", "Max("), code, not a name.
_CODE_AFTER = re.compile(r"\.[a-z_$]|\(")
_ARTICLE = re.compile(r"(?:^|\W)(?:the|a|an)\s+$", re.IGNORECASE)
# An initial ("J. "), or letters with inner apostrophes and hyphens ("O'Neil", "Jean-Luc"). Written
# as runs (``L+(?:[-']L+)*``), not as one letter at a time (``L(?:L|[-']L)*``: the same words, the
# same leftmost-longest matches), which ``re`` steps through several times faster. The first letter
# is shared (``L(?:\.(?=\s)|L*...)``, the same matches as ``L\.(?=\s)|L+...``): ``re`` tests it once
# per position instead of once per alternative, a fifth less time over a long text.
_TOKEN = re.compile(r"[^\W\d_](?:\.(?=\s)|[^\W\d_]*(?:['’-][^\W\d_]+)*)", re.UNICODE)
# The same matches, kept by ``split`` (see ``_tokens``).
_TOKEN_SPLIT = re.compile(f"({_TOKEN.pattern})", re.UNICODE)


# ``_TOKEN_SPLIT.split`` in one pass of C where it was built: ``re`` stepped the pattern through a
# 2,000-token prompt in about 0.4 ms, the compiled pass takes a fifth of that.
_split_words: Callable[[str], list[str]] = compiled("_wordscan", "name_split") or _TOKEN_SPLIT.split


@dataclass(frozen=True)
class Gazetteer:
    """Lower-cased name lists and the ordinary words that make a single name ambiguous."""

    first: WordSet
    last: WordSet
    common: WordSet

    @property
    def available(self) -> bool:
        return bool(self.first)


@dataclass(frozen=True)
class Vocabulary:
    """Word lists: ``english`` feeds the sensitivity model's shape features (``shoal.privacy.features``).

    ``english``: common English words (a capitalised one is usually not a name: "Rust", "Moon");
    ``known``: other frequent words (common first names, big cities, "online"). A capitalised word in
    neither list, nor in the gazetteer, is rare: next to person cues it is probably a name.
    """

    english: WordSet
    known: WordSet

    def is_english(self, word: str) -> bool:
        """``word`` (lower case) or a regular inflection of it is a common English word."""
        return any(s in self.english for s in stems(word))


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, WordSet]:
    data = resources.files("shoal.privacy").joinpath("data", LEXICON_FILE).read_bytes()
    return read_lexicon(data)


def load_gazetteer() -> Gazetteer:
    """The shipped name lists (built from Faker's 86 person providers by ``shoal.privacy.build_data``).

    Read once per process from a compact file, a few tens of milliseconds.
    """
    lexicon = _lexicon()
    return Gazetteer(lexicon["first"], lexicon["last"], lexicon["common"])


def load_vocabulary() -> Vocabulary:
    lexicon = _lexicon()
    return Vocabulary(lexicon["english"], lexicon["known"])


NATIONALITIES = frozenset("""
american british english scottish welsh irish french german dutch belgian swiss austrian italian spanish
portuguese brazilian mexican canadian australian chinese japanese korean indian pakistani russian ukrainian
polish czech slovak hungarian romanian bulgarian greek turkish swedish norwegian danish finnish icelandic
estonian latvian lithuanian serbian croatian slovenian bosnian albanian arab arabic hebrew israeli iranian
persian egyptian nigerian kenyan african asian european latin hispanic jewish muslim christian catholic
chechen belizian greenlander uruguayan argentinian chilean peruvian colombian venezuelan cuban filipino
vietnamese thai indonesian malaysian singaporean mongolian kazakh georgian armenian
""".split())  # noqa: SIM905 - a word list reads better as text


class _Tok(NamedTuple):
    """A word of the text. ``cap`` and ``initial`` are computed once per distinct word (the detector
    reads them for every word); a tuple is built in C, a class instance ran an ``__init__`` per word."""

    start: int
    end: int
    text: str
    key: str  # lower-cased, possessive removed
    cap: bool
    initial: bool


# What ``['’]s$`` matches case-insensitively (``re.IGNORECASE`` folds "ſ", the long s, to "s" too).
_POSSESSIVE_ENDS = ("'s", "'S", "'ſ", "’s", "’S", "’ſ")

# A matched word → (its text without a possessive, key, cap, initial, length): words repeat across
# a text and across requests. Bounded: cleared when full.
_WORD_INFO: dict[str, tuple[str, str, bool, bool, int]] = {}
_WORD_INFO_LIMIT = 100_000


def _word_info(raw: str) -> tuple[str, str, bool, bool, int]:
    text = raw
    # ``endswith`` is the ``['’]s$`` test without a regex call per word.
    if len(text) > 3 and text.endswith(_POSSESSIVE_ENDS):
        text = text[:-2]
    info = (text, text.lower().rstrip("."), text[0].isupper(),
            (len(text) == 2 and text[1] == ".") or (len(text) == 1 and text.isupper()), len(text))
    if len(_WORD_INFO) >= _WORD_INFO_LIMIT:
        _WORD_INFO.clear()
    _WORD_INFO[raw] = info
    return info


def _tokens_py(parts: list[str], firsts: WordSet) -> tuple[list[_Tok], list[int]]:
    """The words of a text split by ``_TOKEN_SPLIT`` (``parts``), and the indices of those the detector
    visits alone: capitalised, an initial, or a possible lower-case first name (a key in ``firsts``).

    ``split`` on the pattern as a group gives [gap, word, gap, word, ..., gap], and the running sum of
    their lengths each word's start (every other sum), both at C speed: a ``finditer`` loop paid for a
    match object and two method calls per word. ``shoal.privacy._nametok`` is the same, compiled."""
    starts = list(itertools.accumulate(map(len, parts)))[0:-1:2]
    known = _WORD_INFO.get
    infos = [known(raw) or _word_info(raw) for raw in parts[1::2]]
    new = tuple.__new__  # what ``_Tok._make`` calls, without its Python-level frame per word
    toks = [new(_Tok, (start, start + size, word, key, cap, initial))
            for start, (word, key, cap, initial, size) in zip(starts, infos, strict=True)]
    return toks, [k for k, t in enumerate(toks) if t.cap or t.initial or t.key in firsts]


def _compiled_tokens() -> Callable[[list[str], WordSet], tuple[list[_Tok], list[int]]] | None:
    name_tokens = compiled("_nametok", "name_tokens")
    if name_tokens is None:
        return None
    return lambda parts, firsts: name_tokens(parts, _WORD_INFO, _word_info, _Tok, firsts)


_tokens_split = _compiled_tokens() or _tokens_py


def _tokens(text: str, firsts: WordSet = frozenset()) -> tuple[list[_Tok], list[int]]:
    """The words of ``text`` and the indices the detector visits alone (see ``_tokens_py``)."""
    return _tokens_split(_split_words(text), firsts)


class NameDetector:
    """Finds PERSON spans. Deterministic; the gazetteer is loaded on the first call.

    With a ``Vocabulary`` (the default), a frequent word that no locale uses as a name ("Victorian",
    "Empire") counts as an ordinary word, and a run of several words that are all common English
    words ("Grand Canyon", "Roman Empire") is a name only when it reads first name + last name
    by the gazetteer and no article precedes it. Single English words that are names ("Mark",
    "Smith") keep their old rules unless an article precedes them ("the Moon").
    """

    def __init__(self, gazetteer: Gazetteer | None = None, vocabulary: Vocabulary | None = None, *,
                 use_vocabulary: bool = True) -> None:
        self._gazetteer = gazetteer
        self._vocabulary = vocabulary
        self._use_vocabulary = use_vocabulary
        self._firsts: tuple[Gazetteer, WordSet] | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = load_gazetteer()
        return self._gazetteer

    @property
    def vocabulary(self) -> Vocabulary | None:
        if self._vocabulary is None and self._use_vocabulary:
            self._vocabulary = load_vocabulary()
        return self._vocabulary

    def _ordinary(self, key: str, g: Gazetteer) -> bool:
        if key in g.common or key in NOT_NAMES:
            return True
        v = self.vocabulary
        return v is not None and key not in g.first and key not in g.last and (key in v.known or v.is_english(key))

    def _english(self, key: str) -> bool:
        v = self.vocabulary
        return v is not None and v.is_english(key)

    def detect(self, text: str) -> list[Span]:
        g = self.gazetteer
        firsts = self._lower_firsts(g)
        # A word that is neither capitalised, an initial, a possible lower-case first name nor within
        # reach of a name cue (``_Cues.reach``: a lower-case name after "my name is") only moves the
        # loop on by one: visit the others alone.
        toks, order = _tokens(text, firsts)
        spans: list[Span] = []
        cues = _Cues(text)
        any_cue = bool(cues.starts)
        if any_cue:
            order = sorted(set(order).union(cues.reach([t.start for t in toks])))
        i = 0  # the next word the loop may look at (a run or a name found moves it past its end)
        for k in order:
            if k < i:
                continue
            i = k
            tok = toks[i]
            upper = tok.cap or tok.initial
            # A capitalised word or an initial is never all lower case: only other words can be a
            # lower-case name after a cue. The cue lookup comes last: most words fail a set test first.
            lower_name = (not upper and any_cue and tok.key not in g.common and tok.key not in NOT_NAMES
                          and len(tok.key) > 2 and tok.text.islower() and cues.named_before(tok.start))
            if not (upper or lower_name):
                # Most words: not a possible lower-case first name, so ``_lowercase_name`` would say 0.
                pair = self._lowercase_name(toks, i, g) if tok.key in firsts else 0
                if pair:
                    start, end = toks[i].start, toks[i + pair - 1].end
                    spans.append(Span(start, end, "PERSON", text[start:end], 0.6))
                    i += pair
                else:
                    i += 1
                continue
            # Grow the run: capitalised words, initials and name particles on one line.
            j = i + 1
            while j < len(toks) and j - i < 5 and _adjacent(text, toks[j - 1], toks[j], allow_dot=True):
                nxt = toks[j]
                if (nxt.cap or nxt.initial or (lower_name and nxt.text.islower() and nxt.key not in NOT_NAMES)
                        or (nxt.key in PARTICLES and j + 1 < len(toks) and toks[j + 1].cap)):
                    j += 1
                    continue
                break
            run = toks[i:j]
            titled = False
            # Greetings, titles and sentence words in front ("Hi", "Dear", "Mr.") are cues, not the name.
            if len(run) > 1 and run[0].key in _PLACE_PREFIXES:
                i = j  # "New York", "San José": a place name, whatever follows
                continue
            while run and (run[0].key in TITLES or (
                    (run[0].key in NOT_NAMES or run[0].key in g.common) and run[0].key not in g.first)):
                titled = titled or run[0].key in TITLES
                run.pop(0)
            while run and (run[-1].key in PARTICLES or run[-1].key in NOT_NAMES):
                run.pop()
            # A capitalised noun in front of a known first name is a role, not part of the name:
            # German capitalises every noun ("Der Mitarbeiter Thomas Krüger", "Patientin Anna Weber"),
            # and English has untitled roles ("Nurse Maria Lopez"). The name starts at the first name.
            if len(run) >= 2 and run[0].key not in g.first and run[0].key not in g.last:
                lead = next((m for m in range(1, len(run))
                             if run[m].key in g.first and run[m].key not in g.common), 0)
                if lead:
                    run = run[lead:]
            if not run or (len(run) == 1 and _CODE_AFTER.match(text, run[0].end)):
                # Nothing left, or one word used in code ("Math.min(", "Console.log", "Max(a, b)"): an
                # identifier. Two words stay a name even then ("Dana Whitfield.then", a missing space).
                i = j
                continue
            if not titled and i > 0 and toks[i - 1].key in TITLES and run[0] is tok:
                titled = _adjacent(text, toks[i - 1], tok, allow_dot=True)
            named = lower_name or (any_cue and cues.named_before(tok.start))
            score = self._score(run, g, titled=titled, named=named or cues.named_before(run[0].start),
                                around=_Around(text, run[0].start, run[-1].end))
            if score > 0:
                start, end = run[0].start, run[-1].end
                spans.append(Span(start, end, "PERSON", text[start:end], score))
            i = max(j, i + 1)
        return spans

    def _lower_firsts(self, g: Gazetteer) -> WordSet:
        """The first names ``_lowercase_name`` accepts as a start (built once per gazetteer)."""
        if self._firsts is None or self._firsts[0] is not g:
            self._firsts = (g, word_set(k for k in g.first
                                        if k not in g.common and k not in NOT_NAMES and len(k) >= 3))
        return self._firsts[1]

    @staticmethod
    def _lowercase_name(toks: list[_Tok], i: int, g: Gazetteer) -> int:
        """Names typed in lower case ("follow up with olga krylova"): an unambiguous first name, an
        optional initial, then an unambiguous surname. Returns the number of tokens, 0 if none."""
        first = toks[i].key
        if first not in g.first or first in g.common or first in NOT_NAMES or len(first) < 3:
            return 0
        j = i + 1
        if j < len(toks) and len(toks[j].key) == 1 and toks[j].key not in ("a", "i"):
            j += 1  # a middle initial; "a"/"i" are words more often than initials
        if j >= len(toks):
            return 0
        last = toks[j].key
        if last in g.last and last not in g.common and last not in NOT_NAMES and len(last) > 2:
            return j - i + 1
        return 0

    def _score(self, run: list[_Tok], g: Gazetteer, *, titled: bool, named: bool, around: _Around) -> float:
        words = [t for t in run if not t.initial and t.key not in PARTICLES]
        if not words or words[0].key in _PLACE_PREFIXES or words[-1].key in _STREET_WORDS:
            return 0.0
        if words[0].key in _STREET_WORDS or around.org:
            return 0.0
        if titled or named:
            return 0.95
        first = [t.key in g.first for t in words]
        last = [t.key in g.last for t in words]
        common = [self._ordinary(t.key, g) for t in words]
        known = [f or la for f, la in zip(first, last, strict=True)]
        if len(words) == 1 and len(words[0].text) > 1 and words[0].text.isupper() and not around.strong:
            return 0.0  # a single word in capitals is an acronym or shouting, not a name
        if around.strong and not all(common):
            return 0.85
        initials = len(run) - len(words) - sum(t.key in PARTICLES for t in run)
        if len(words) >= 2:
            if all(self._english(t.key) for t in words) and (around.determiner or not (first[0] and last[-1])):
                return 0.0  # "Grand Canyon", "the Roman Empire": ordinary words, not first + last name
            lead_ok = first[0] and (not common[0] or known[1] or not common[1])
            all_known = all(known) and not all(common)
            tail_known = last[-1] and not common[-1] and not common[0]
            if lead_ok or all_known:
                return 0.9
            if initials and not any(common):
                return 0.8  # "Csanád P Gere": a middle initial between two capitalised words
            if tail_known or (around.weak and any(known) and not any(common)):
                return 0.7
            return 0.0
        # A single word: an unambiguous gazetteer name, or an ambiguous one after a person cue.
        if is_place(words[0].key):
            return 0.0  # "employees in Denver", "the capital is Paris": a place (a person cue was checked above)
        if around.determiner and self._english(words[0].key):
            return 0.0  # "the Moon": an article before an English word makes it a thing, not a person
        if known[0] and not common[0]:
            return 0.75 if not around.sentence_start or around.weak else 0.6
        if known[0] and around.weak and not around.sentence_start:
            return 0.5
        return 0.0


class _Around:
    """What the text around a candidate run says, each read from the text on first use: most runs
    are decided (a titled or cued name, a place, an ordinary word) before all of it is needed, and
    each is a pattern run over the text (five per run made up a third of the name pass on text
    dense with names)."""

    __slots__ = ("_end", "_start", "_text", "_values")

    def __init__(self, text: str, start: int, end: int) -> None:
        self._text, self._start, self._end = text, start, end
        self._values: dict[str, bool] = {}

    @property
    def strong(self) -> bool:
        """A strong person cue ends right before the run ("Mr.", "my colleague", "employee")."""
        return self._get("strong")

    @property
    def weak(self) -> bool:
        """A weak person cue ends right before the run ("with", "from", "ask")."""
        return self._get("weak")

    @property
    def determiner(self) -> bool:
        """An article right before the run ("the Moon")."""
        return self._get("determiner")

    @property
    def sentence_start(self) -> bool:
        return self._get("sentence_start")

    @property
    def org(self) -> bool:
        """A company or institution word right after the run ("Acme Inc", "Smith & Co")."""
        return self._get("org")

    def _get(self, name: str) -> bool:
        value = self._values.get(name)
        if value is None:
            text, start = self._text, self._start
            if name in ("strong", "weak"):
                cue = text[max(0, start - 40):start][::-1]  # reversed: see ``_cue_at_end``
                value = bool((_CUE_STRONG if name == "strong" else _CUE_WEAK).match(cue))
            elif name == "determiner":
                value = bool(_ARTICLE.search(text[max(0, start - 4):start]))
            elif name == "sentence_start":
                value = _sentence_start(text, start)
            else:
                value = bool(_ORG_SUFFIX.match(text[self._end:self._end + 16]))
            self._values[name] = value
        return value


def _adjacent(text: str, a: _Tok, b: _Tok, *, allow_dot: bool = False) -> bool:
    """Two tokens belong to one name when only a space (or an initial's/title's dot) separates them."""
    gap = text[a.end:b.start]
    if allow_dot:
        gap = gap.replace(".", "", 1)
    return gap == " "


def _sentence_start(text: str, pos: int) -> bool:
    # Walks back over the few characters ``text[:pos].rstrip(" \t\"'(“")`` would strip, without
    # copying everything before ``pos`` (that copy, once per capitalised word, made long texts quadratic).
    i = pos - 1
    while i >= 0 and text[i] in _OPENERS:
        i -= 1
    return i < 0 or text[i] in ".!?\n:;"


_OPENERS = frozenset(" \t\"'(“")


class _Cues:
    """Where ``_CUE_NAME`` can match: it is searched in the 40 characters before a word, and every
    match contains a ``_CUE_NAME_GATE`` word, so the search runs only where a gate match found in
    the whole text reaches into those 40 characters (one bisect per word instead of a regex search).
    A gate word hidden by overlapping another found match is covered: that match overlaps the window too.
    """

    __slots__ = ("ends", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        # Every occurrence of every gate word on the lower-cased text (``caseless``: the same places
        # the case-insensitive alternation finds), several times faster: the places where any starts
        # (``occurrences``, one pass), then which ones start there.
        low = caseless(text)
        if low is not None:
            found = sorted((i, i + len(word)) for i in occurrences(low, _CUE_GATE_WORDS)
                           for word in _CUE_GATE_WORDS if low.startswith(word, i))
        else:
            found = [m.span() for m in _CUE_NAME_GATE.finditer(text)]
        self.starts = [a for a, _ in found]
        self.ends = [b for _, b in found]

    def reach(self, starts: list[int]) -> Iterator[int]:
        """The indices of the ``starts`` (ascending) where ``named_before`` may be true: it needs a gate
        match that starts before the position and ends less than 40 characters before it."""
        for a, b in zip(self.starts, self.ends, strict=True):
            yield from range(bisect.bisect_right(starts, a), bisect.bisect_left(starts, b + 40))

    def named_before(self, pos: int) -> bool:
        """``_CUE_NAME`` matches the 40 characters before ``pos`` (a name cue ends right there)."""
        lo = max(0, pos - 40)
        # Gate matches are at most ``_CUE_GATE_LONGEST`` long: one ending after ``lo`` starts after this.
        k = bisect.bisect_right(self.starts, lo - _CUE_GATE_LONGEST)
        starts, ends = self.starts, self.ends
        while k < len(starts) and starts[k] < pos:
            if ends[k] > lo:
                return _CUE_NAME.search(self.text[lo:pos]) is not None
            k += 1
        return False
