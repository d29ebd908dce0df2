"""The scan's shortcuts give exactly the answers of the plain definitions they replace.

Each detector searches less than the whole text where it can prove nothing is there (a name cue
needs a cue word nearby, a name-first street needs a blank and a digit after it, a topic term
starts a word with the term's lead, a case-insensitive pattern runs on lower-cased text). Here
every shortcut is checked against the plain search on generated texts built to hit its edges:
cue words near and far, commas, tabs, hyphens and line breaks before numbers, Unicode letters
that lower-case to another length ("İ") or that ``re.IGNORECASE`` folds to ASCII ("ı", "ſ", "K").
The timings are in ``bench/privacy_latency.py``.
"""

from __future__ import annotations

import dataclasses
import random
import re
import zlib

import pytest

from shoal.privacy import addresses, names, patterns, topics
from shoal.privacy.config import TopicsConfig
from shoal.privacy.features import (
    _MASK,
    _SENT_END,
    _SHAPE_STOP,
    _TOKEN,
    SHORT,
    WINDOW,
    Encoded,
    Featurizer,
    Names,
    _units,
    load_names,
)
from shoal.privacy.model import Verdict, load_model
from shoal.privacy.normalize import caseless, lowered_pattern, normalize
from shoal.privacy.scanner import PrivacyScanner
from tests.privacy.conftest import FAST_PATH_GAPS as _GAPS
from tests.privacy.conftest import FAST_PATH_WORDS as _WORDS
from tests.privacy.conftest import fast_path_text as _text


@pytest.mark.parametrize("seed", range(30))
def test_name_first_streets_match_the_whole_text_search(seed: int) -> None:
    text = _text(random.Random(seed), 400)
    fast = [(m.span(), m.groups()) for m in addresses._name_first(text)]
    plain = [(m.span(), m.groups()) for m in addresses._NAME_FIRST.finditer(text)]
    assert fast == plain


@pytest.mark.parametrize("seed", range(30))
def test_name_cues_are_found_where_the_window_search_finds_them(seed: int) -> None:
    text = _text(random.Random(seed), 300)
    cues = names._Cues(text)
    for pos in range(len(text) + 1):
        plain = names._CUE_NAME.search(text[max(0, pos - 40):pos]) is not None
        assert cues.named_before(pos) == plain, (pos, text[max(0, pos - 40):pos])


@pytest.mark.parametrize("seed", range(20))
def test_topic_lexicon_counts_match_each_pattern_run_whole(seed: int, lexicon: topics.Lexicon) -> None:
    rng = random.Random(seed)
    terms = [t for _, rx in lexicon for t in rx.pattern[5:-1].replace("\\", "").split("|")]
    parts = []
    for _ in range(200):
        word = rng.choice(terms) if rng.random() < 0.3 else rng.choice(_WORDS)
        parts.append(word + (rng.choice(["s", "ing", "", ""]) if rng.random() < 0.5 else ""))
        parts.append(rng.choice(_GAPS))
    low = "".join(parts).lower()
    plain = [("lex", min(len(rx.findall(low)), 3) / 2, [name]) for name, rx in lexicon if rx.findall(low)]
    assert topics._lexicon_groups(low, lexicon) == plain


@pytest.mark.parametrize("seed", range(20))
def test_specificity_cues_count_as_the_case_insensitive_patterns_do(seed: int) -> None:
    text = _text(random.Random(seed), 150)
    got = {names[0]: value for ns, value, names in topics.specificity_groups(text) if ns == "cue"}
    plain = {name: min(len(rx.findall(text)), 3) / 1.5 for name, rx in topics._CUES.items() if rx.findall(text)}
    assert got == plain


def _h(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & _MASK


def _plain_ids(names_: Names, text: str) -> tuple[list[int], list[int]]:
    """The feature ids by position as the module docstring defines them: every string hashed whole."""
    toks = _TOKEN.findall(text)
    lows = [t.lower() for t in toks]
    shapes: list[str] = []
    prev: str | None = None
    for tok, low in zip(toks, lows, strict=True):
        known = low in names_.first or low in names_.last
        if tok.isdigit():
            shapes.append(f"<d{min(len(tok), 7)}>")
        elif not tok[0].isalpha():
            shapes.append(tok)
        elif tok[0].isupper() and prev is not None and prev not in _SENT_END and low not in _SHAPE_STOP:
            shapes.append("<N>" if known else "<C>")
        elif known and low not in names_.english:
            shapes.append("<n>")
        else:
            shapes.append(low)
        prev = tok
    ids: list[int] = []
    starts = [0]
    for i, low in enumerate(lows):
        if low != "\n":
            padded = f"^{low}$"
            grams = sorted({padded[j:j + 4] for j in range(max(1, len(padded) - 3))})
            ids += [_h("w:" + low), *(_h("c:" + g) for g in grams)]
        if i + 1 < len(toks):
            ids += [_h(f"b:{low} {lows[i + 1]}"), _h(f"m:{shapes[i]} {shapes[i + 1]}")]
            if i + 2 < len(toks):
                ids.append(_h(f"m:{shapes[i]} {shapes[i + 1]} {shapes[i + 2]}"))
        starts.append(len(ids))
    return ids, starts


@pytest.mark.parametrize("seed", range(10))
def test_model_features_equal_hashing_each_n_gram_string(seed: int) -> None:
    """Bigram and shape-gram ids continue a cached CRC-32 state instead of hashing each string: the
    same ids (the featurizer also drops a feature repeated within a window, so compared as sets)."""
    # Public names re-shape their words (tested in test_public_names.py); this reference is the plain rule.
    names_ = dataclasses.replace(load_names(), public=None)
    featurizer = Featurizer(names_)
    for size in (5, 60, 400):
        text = _text(random.Random(seed), size)
        enc = featurizer.encode(text)
        ids, _starts = _plain_ids(names_, text)
        assert set(enc.ids) == set(ids)


def _reference_units(names_: Names, text: str) -> list[list[int]]:
    """Each unit's feature ids (sorted) by the module docstring's rule, from the plain ids: a word
    (by its text) or an n-gram (by its id) counts at most once per ``WINDOW`` tokens."""
    ids, starts = _plain_ids(names_, text)
    toks = _TOKEN.findall(text)
    n = len(toks)
    recent: dict[str | int, int] = {}
    kept: list[list[int]] = []
    for i, tok in enumerate(toks):
        block = ids[starts[i]:starts[i + 1]]
        grams = (2 if i + 1 < n else 0) + (1 if i + 2 < n else 0)
        word, tail = block[:len(block) - grams], block[len(block) - grams:]
        here: list[int] = []
        low = tok.lower()
        if word and (recent.get(low) is None or i - recent[low] >= WINDOW):
            recent[low] = i
            here += word
        for gram in tail:
            if recent.get(gram) is None or i - recent[gram] >= WINDOW:
                recent[gram] = i
                here.append(gram)
        kept.append(here)
    units = [(0, n)] if n <= SHORT else _units(toks, n)
    return [sorted(x for block in kept[a:b] for x in block) for a, b in units]


@pytest.mark.parametrize("seed", range(10))
def test_model_units_hold_the_features_the_window_rule_keeps(seed: int) -> None:
    """``encode`` (a short text as one block of its distinct features, a long one token by token)
    gives every unit exactly the features the plain once-per-``WINDOW`` rule keeps, and the model
    scores a short text's one block as it scores the same features token by token."""
    names_ = dataclasses.replace(load_names(), public=None)  # the plain shape rule (see above)
    featurizer = Featurizer(names_)
    model = load_model()
    rng = random.Random(seed)
    for size in (1, 3, 8, 20, 30, 40, 45, 60, 120, 400):
        text = _text(rng, size)
        enc = featurizer.encode(text)
        got = [sorted(enc.ids[enc.starts[a]:enc.starts[b]]) for a, b in enc.units]
        assert got == _reference_units(names_, text), size
        if len(enc.units) == 1:
            (unit,) = _reference_units(names_, text)
            by_token = Encoded(unit, [0, *([len(unit)] * len(_TOKEN.findall(text)))], enc.global_ids,
                               [(0, len(_TOKEN.findall(text)))])
            assert model.score(enc).p_sensitive == pytest.approx(model.score(by_token).p_sensitive, abs=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_topic_detection_equals_the_plain_probabilities(seed: int) -> None:
    """``TopicDetector.detect`` (per-word cached rows, one numpy product) finds what the plain
    ``topic_probabilities`` and ``specificity`` give, with the same probabilities to rounding."""
    detector = topics.TopicDetector.for_config(TopicsConfig())
    rng = random.Random(seed)
    vocabulary = [*_WORDS, "layoffs", "severance", "acquire", "merger", "diagnosis", "sick", "leave",
                  "breach", "ransomware", "revenue", "earnings", "privileged", "counsel", "we", "our", "draft"]
    for size in (0, 4, 12, 40, 150):
        text = " ".join(rng.choice(vocabulary) for _ in range(size))
        for person in (False, True):
            plain = [(name, p) for name, p in detector.topic_probabilities(text).items() if p >= detector.threshold]
            if plain and not person and detector.specificity(text) < detector.specificity_threshold:
                plain = []
            got = detector.detect(text, person_found=person)
            assert sorted(name for name, _ in got) == sorted(name for name, _ in plain)
            assert all(p == pytest.approx(dict(plain)[name], abs=1e-12) for name, p in got)


def _case_insensitive_patterns() -> list[re.Pattern[str]]:
    from shoal.privacy import patterns

    found = [rx for module in (patterns, topics, names, addresses) for rx in vars(module).values()
             if isinstance(rx, re.Pattern) and rx.flags & re.IGNORECASE]
    return [rx for rx in found if lowered_pattern(rx) is not None]


@pytest.mark.parametrize("seed", range(10))
def test_lowered_patterns_match_where_the_case_insensitive_ones_do(seed: int) -> None:
    rng = random.Random(seed)
    words = [*_WORDS, "İSTANBUL", "Işık", "ſecret", "PASSWORD İS", "Kimlik numarası", "pıss: x"] + [
        "Password:", "PASSWORD = Hunter2!", "api_KEY: sk_abc123", "DOB: 12/03/1990", "Date of Birth is 3 March 1988",
        "Token=AbC.dEf", "SECRET_KEY=ab12cd", "Phone: +1 415 555 2100", "Acct # 12345678", "\u212aey: s3cr3tvalue"]
    text = "".join(rng.choice(words) + rng.choice(_GAPS) for _ in range(300))
    low = caseless(text)
    assert low is not None
    checked = _case_insensitive_patterns()
    assert len(checked) >= 15
    for rx in checked:
        lowered = lowered_pattern(rx)
        assert lowered is not None
        assert [m.span() + tuple(m.span(g) for g in range(1, rx.groups + 1)) for m in rx.finditer(text)] == [
            m.span() + tuple(m.span(g) for g in range(1, rx.groups + 1)) for m in lowered.finditer(low)], rx.pattern


def test_caseless_keeps_offsets_and_writes_what_ignorecase_equates() -> None:
    assert caseless("Straße KELVIN Ünal") == "straße kelvin ünal"
    assert caseless("İstanbul") == "istanbul"  # "İ".lower() is two characters: offsets would move
    assert caseless("ſigned") == "signed" and caseless("thıs") == "this"  # equal to "s" / "i" under IGNORECASE


@pytest.mark.parametrize("seed", range(10))
def test_model_token_cache_gives_each_tokens_shape_after_its_real_predecessor(seed: int) -> None:
    """``encode`` reads a token's shape from a cache keyed by the token alone, picking the entry for
    "after a sentence end (or first)" or "inside a sentence": the same shape ``_shape`` gives with
    the actual previous token, for every token and every predecessor in the text."""
    names_ = load_names()
    featurizer = Featurizer(names_)
    text = _text(random.Random(seed), 400) + " [PERSON_1] met [EMAIL_ADDRESS_12]. [X ] Dana"
    toks = _TOKEN.findall(text)
    candidates = [None, *sorted(set(toks) | _SENT_END)]
    for tok in set(toks):
        low, word, inside, after_end, _ = featurizer._tok_entry(tok)
        assert word == featurizer._word(low)
        for prev in candidates:
            expected = featurizer._shape_entry(featurizer._shape(tok, low, prev))
            assert (after_end if prev is None or prev in _SENT_END else inside) == expected, (prev, tok)


@pytest.mark.parametrize("seed", range(20))
def test_name_token_pattern_with_a_shared_first_letter_matches_the_two_alternatives(seed: int) -> None:
    plain = re.compile(r"[^\W\d_]\.(?=\s)|[^\W\d_]+(?:['’-][^\W\d_]+)*")  # an initial, else a run of letters
    text = _text(random.Random(seed), 300) + " J. J.x A.\nB.\tx. é. O'Neil- Jean-'Luc ſ.  Ünal’s x.A. Z."
    assert [m.span() for m in names._TOKEN.finditer(text)] == [m.span() for m in plain.finditer(text)]


@pytest.mark.parametrize("seed", range(10))
def test_name_tokens_equal_the_plain_word_split(seed: int) -> None:
    """Name-detector words come from a per-word cache: the same start, end, text, key and flags as
    splitting each match afresh (possessive ``['’]s$`` removed case-insensitively, key lower-cased
    without a trailing dot)."""
    text = _text(random.Random(seed), 400) + " Jean'S O'Neil’s ſ A. B x. Dana's"
    plain = []
    for m in names._TOKEN.finditer(text):
        word = m.group()
        if len(word) > 3 and re.search(r"['’]s$", word, re.IGNORECASE):
            word = word[:-2]
        initial = (len(word) == 2 and word[1] == ".") or (len(word) == 1 and word.isupper())
        plain.append((m.start(), m.start() + len(word), word, word.lower().rstrip("."), word[0].isupper(), initial))
    assert [tuple(t) for t in names._tokens(text)[0]] == plain
    assert [tuple(t) for t in names._tokens(text)[0]] == plain  # from the cache the second time


@pytest.mark.parametrize("seed", range(10))
def test_compiled_name_tokens_give_the_python_words_and_visits(seed: int) -> None:
    """``shoal.privacy._nametok`` (built where a C compiler is) gives the Python version's words, as
    ``_Tok`` tuples, and the same indices to visit: capitalised words, initials and possible
    lower-case first names, possessives, empty texts and texts of one word included."""
    compiled = pytest.importorskip("shoal.privacy._nametok")
    firsts = frozenset({"olga", "dana", "jean"})
    rng = random.Random(seed)
    texts = [_text(rng, size) for size in (0, 1, 40, 400)] + [
        "follow up with olga krylova and dana", "Jean'S O'Neil’s ſ A. B x. Dana's", "", "x", "  \n "]
    for text in texts:
        parts = names._TOKEN_SPLIT.split(text)
        toks, order = compiled.name_tokens(parts, names._WORD_INFO, names._word_info, names._Tok, firsts)
        expected = names._tokens_py(parts, firsts)
        assert (toks, order) == expected
        assert all(type(tok) is names._Tok for tok in toks)


# Characters at the edges of the word patterns' classes: apostrophes and hyphens inside words, an
# initial's dot before a space (or not), "_", non-ASCII digits and numerals ("٣", "²", "½", "Ⅳ"), CJK
# at its ranges' ends, the marks, placeholders and template blanks, Unicode spaces, astral letters.
def _digit_text(rng: random.Random, n: int) -> str:
    """Digits in every shape the identifier patterns take, glued to letters, dashes, dots and spaces."""
    parts = ["5425 2334 3010 9903", "5425-2334-3010-9903", "411111111111", "123-45-6789", "123 45 6789",
             "123456789", "021000021", "10.0.0.1", "192.168.1.254", "1.2.3.4.5", "GB29 NWBK 6016 1331 9268 19",
             "de89370400440532013000", "x1", "-7", "a-12", "v2.0.1", "٣٤٥", "1234", "12", "00", "IE64IRCE92050112345678"]
    glue = ["", " ", "-", ".", "x", "ab", "\n", "/", ":", "_", "Ü"]
    return "".join(rng.choice(glue) + rng.choice(parts) for _ in range(n))


@pytest.mark.parametrize("seed", range(30))
def test_digit_anchored_patterns_find_what_their_whole_text_search_finds(seed: int) -> None:
    rng = random.Random(seed)
    text = _digit_text(rng, 120) + _text(rng, 100)
    runs = patterns.digit_runs(text)
    assert runs == tuple(m.start() for m in re.finditer(r"\d+", text))
    for rx in (patterns._SSN, patterns._CARD, patterns._NINE, patterns._IPV4):
        assert [m.span() for m in patterns.matches_at(rx, text, runs)] == [m.span() for m in rx.finditer(text)]
    iban = patterns.matches_at(patterns._IBAN, text, (p - 2 for p in runs if p >= 2))
    assert [m.span() for m in iban] == [m.span() for m in patterns._IBAN.finditer(text)]


_ADDRESS_BITS = ["corner of Main St and 5th Ave.", "CORNER OF Elm and Oak,", "USS Nimitz\nFPO AP 96601", "Unit 2050 Box 4190 APO AE 09509",
                 "PSC 1234, box 5678 dpo aa 34001", "P.O. Box 12", "po box 7", "Post Office Box 99", "Postfach 1234",
                 "Apartado 55", "Caixa Postal 3", "12 Main Street", "221b Baker St", "Via Roma 12", "Straße 5", "ſ", "İ", "\t"]


@pytest.mark.parametrize("seed", range(30))
def test_address_gates_and_anchored_numbers_miss_nothing(seed: int) -> None:
    """Street numbers are tried at digit-run starts only, and the corner, military and P.O. box
    patterns run only when their literal is in the lower-cased text: the same matches."""
    rng = random.Random(seed)
    text = " ".join(rng.choice(_ADDRESS_BITS) + rng.choice(["", " ", ", ", "\n"]) for _ in range(40)) + _text(rng, 100)
    anchored = patterns.matches_at(addresses._NUMBER_FIRST, text, patterns.digit_runs(text))
    assert [m.span() for m in anchored] == [m.span() for m in addresses._NUMBER_FIRST.finditer(text)]
    plain = text.replace("ſ", "s").replace("İ", "I").replace("ı", "i")  # a text the gates apply to
    low = caseless(plain)
    assert low is not None
    for rx, gate in ((addresses._MILITARY, addresses._MILITARY_GATE), (addresses._PO_BOX, addresses._PO_BOX_GATE),
                     (addresses._CORNER, re.compile("corner"))):
        for m in rx.finditer(plain):
            assert gate.search(low, m.start(), m.end()) is not None, m.group()


@pytest.mark.parametrize("seed", range(30))
def test_possessive_cue_tried_before_quotes_counts_what_finditer_counts(seed: int) -> None:
    rng = random.Random(seed)
    bits = ["Dana's", "Dana’s", "it's a", "it's the", "x_y's", "9a's", "Ünal's", "a's's", "O'Neil's", "'s", "’S", "Jean'S",
            "bob's-car", "bob'sx", "the CEO's plan", "Q3's", "s's"]
    text = " ".join(rng.choice(bits) + rng.choice(["", " ", ".", "\n", "'"]) for _ in range(200)) + _text(rng, 100)
    rx = topics._CUES["possessive"]
    fast = patterns.matches_at(rx, text, topics._possessive_starts(text))
    assert [m.span() for m in fast] == [m.span() for m in rx.finditer(text)]


_PHONE_BITS = ["+1 415 555 2100", "(0) 30 1234567", "+44 (0) 20 7946 0958", "(212) 555-2199", "555 2100", "x12",
               "ext. 4", "a(1)", "+", "(", "((3", "1+2", "07700 900123", "-5", "v1.2", "tel:0301234567"]


@pytest.mark.parametrize("seed", range(30))
def test_phone_pattern_tried_at_marks_and_digit_runs_finds_what_finditer_finds(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(_PHONE_BITS) + rng.choice(["", " ", "-", ".", "\n", "a", ":"]) for _ in range(150))
    text += _digit_text(rng, 40)
    runs = patterns.digit_runs(text)
    fast = patterns.matches_at(patterns._PHONE, text, patterns._phone_starts(text, runs))
    assert [m.span() for m in fast] == [m.span() for m in patterns._PHONE.finditer(text)]
    assert patterns._phone_starts("call 555 2100", patterns.digit_runs("call 555 2100")) == [5, 9]


@pytest.mark.parametrize("seed", range(20))
def test_account_and_licence_gates_hold_for_every_match(seed: int) -> None:
    rng = random.Random(seed)
    bits = ["Account number: 12345678", "ACCT # 99887766", "a/c 1234567", "A/C: 7654321", "Bank account is 1234-5678",
            "Driver's license: D1234567", "DRIVERS LICENCE no. X12-345-678", "driver license 98765432", "account"]
    text = " ".join(rng.choice(bits) + rng.choice(["", " ", ", ", "\n"]) for _ in range(40)) + _text(rng, 80)
    plain = text.replace("ſ", "s").replace("İ", "I").replace("ı", "i")
    low = caseless(plain)
    assert low is not None
    for m in patterns._ACCOUNT.finditer(plain):
        assert "acc" in low[m.start():m.end()] or "a/c" in low[m.start():m.end()]
    for m in patterns._DRIVER_LICENSE.finditer(plain):
        assert "driver" in low[m.start():m.end()]


@pytest.mark.parametrize("seed", range(20))
def test_ipv6_gate_holds_for_every_match(seed: int) -> None:
    rng = random.Random(seed)
    bits = ["2001:db8::1", "::1", "fe80::1ff:fe23:4567:890a", "a::b", "12:30:45", "Name: Dana", "::", "1:2:3:4:5:6:7:8",
            "abcd:", ":ef", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"]
    text = "".join(rng.choice(bits) + rng.choice(["", " ", ":", "\n", "g"]) for _ in range(80))
    for m in patterns._IPV6.finditer(text):
        assert patterns._IPV6_GATE.search(text, m.start(), m.end()) is not None, m.group()
    assert patterns._IPV6_GATE.search("Name: Dana\nRole: lead") is None


@pytest.mark.parametrize("seed", range(10))
def test_layout_and_cue_gates_match_the_plain_counts(seed: int) -> None:
    """The layout features skip their patterns on texts with too few colons or commas, and the
    money cue on texts without a digit: the same features as counting every pattern's matches."""
    from shoal.privacy.features import _CSV_LINE, _KV_LINE, _MAIL, _layout

    rng = random.Random(seed)
    pieces = [*_WORDS, "From: a@b.c", "To: x", "Subject: pay", "name: Dana", "a,b,c", "1,2,3,4", "x, y",
              "$5", "5k", "40 percent", "€ 3", "\n", ":", ",", "{", '"k": 1']
    for size in (0, 3, 10, 40, 200):
        text = "".join(rng.choice(pieces) + rng.choice(_GAPS) for _ in range(size))
        plain = [name for name, rx in (("kv", _KV_LINE), ("csv", _CSV_LINE)) if len(rx.findall(text)) >= 2]
        plain += ["json"] if "{" in text and '":' in text else []
        plain += ["mail"] if len(_MAIL.findall(text)) >= 2 else []
        plain += ["long"] if len(text) > 600 else []
        assert _layout(text) == plain
        cues = [(name, min(sum(1 for _ in rx.finditer(text)), 3)) for name, rx in topics._CUES.items()]
        expected = [("cue", count / 1.5, [name]) for name, count in cues if count]
        assert topics.specificity_groups(text, []) == expected


@pytest.mark.parametrize("seed", range(20))
def test_name_detection_visits_only_possible_name_words(seed: int) -> None:
    """Without a name cue the detector's loop skips the words that are neither capitalised, an
    initial nor a possible lower-case first name: the same spans as visiting every word."""
    detector = names.NameDetector()
    rng = random.Random(seed)
    firsts = ["olga", "krylova", "dana", "whitfield", "maria", "garcia", "john", "smith"]
    pool = [w for w in _WORDS if not names._Cues(w).starts and w not in ("account", "holder")]
    for size in (3, 30, 200):
        text = " ".join(rng.choice(pool + firsts) for _ in range(size))
        assert not names._Cues(text).starts
        plain = _detect_visiting_every_word(detector, text)
        assert detector.detect(text) == plain


def _detect_visiting_every_word(detector: names.NameDetector, text: str) -> list[names.Span]:
    """``NameDetector.detect`` with a text cue found (so every word is visited), reporting the same
    spans: a cue far beyond the text's end changes no decision (cues are searched 40 characters back)."""
    padded = text + " " * 64 + "name"
    return [s for s in detector.detect(padded) if s.end <= len(text)]


@pytest.mark.parametrize("seed", range(10))
def test_model_scores_units_as_the_plain_per_unit_sum(seed: int) -> None:
    """``score`` sums only between unit boundaries (``reduceat``): each unit's sums are exactly (the
    float16 weights sum exactly in float64) what summing its own ids gives, so the probability agrees
    to the last bits of the softmax (``_same_verdict``)."""
    featurizer = Featurizer(load_names())
    model = load_model()
    rng = random.Random(seed)
    for size in (3, 40, 60, 120, 400, 1500):
        enc = featurizer.encode(_text(rng, size), ["PERSON"] if size % 2 else [])
        assert _same_verdict(model.score(enc), model.verdict(enc.unit_ids())), size


@pytest.mark.parametrize("seed", range(4))
def test_topics_left_out_below_the_floor_are_ones_the_scan_would_not_read(seed: int, scanner: PrivacyScanner) -> None:
    """``_detect_all`` runs the topic models only when the final verdict reaches the topic floor; the
    plain path runs them on every window the linear model lets through and ``scan`` drops the topics
    below the floor. The same reasons, on texts on both sides of the floor."""
    rng = random.Random(seed)
    topical = ["We are laying off 40 people in Q3, draft the memo.", "Our acquisition of Acme closes next month.",
               "How do layoffs usually work?", "What is a typical bonus for an engineer?",
               "Dana's salary review is due, her bonus is 12%.", "Summarise Microsoft's published revenue."]
    floor = scanner._topic_floor()
    sides = set()
    for _ in range(25):
        text = " ".join(rng.sample(topical, 2)) + " " + _text(rng, rng.choice([3, 10, 30]))
        window = normalize(text)
        found = scanner.detect_pii(window)
        linear = scanner.model_verdict(window, found, semantic=False)
        final = scanner._refine_best([(linear, window)], linear) if linear is not None else None
        plain: list[str] = []
        if linear is None or linear.p_sensitive >= floor:
            person = any(s.entity_type == "PERSON" for s in found)
            plain = [topic for topic, _p in scanner.detect_topics(window, person_found=person)]
        read = final is None or final.p_sensitive >= floor
        sides.add((read, bool(plain)))
        expected = [f"topic:{t}" for t in plain] if read else []
        assert [r for r in scanner.scan(text).reasons if r.startswith("topic:")] == list(dict.fromkeys(expected))
    assert (True, True) in sides and (False, False) in sides


# The forward patterns the name detector's reversed cue patterns replace (``names._cue_at_end``).
_STRONG_FORWARD = re.compile(
    r"(?:\bi am|\bi'm|\bthis is|\bdear|\bsincerely,?|\bregards,?|\bhi|\bhello|\bhey|\bthanks|\bthank you|"
    r"\bsays|\bsaid|\basked|\btold|\bwrote|\breplied|\baccording to|\bmet|\bmeet|\bask|\btell|\bemail|"
    r"\bcall|\bcc|\bmanager|\bboss|\bcolleague|\bcoworker|\bco-worker|\bfriend|\bwife|\bhusband|\bson|"
    r"\bdaughter|\bmother|\bfather|\bbrother|\bsister|\bpartner|\bproducer|\bdirector|\bdirected by|"
    r"\bwritten by|\bby author|\bsinger|\bhired|\bfired|\bpromoted|\bpromote|\bpay|\bpaid|\bsalary of|"
    r"\bbonus of|\breview of|\bunder)\s*[,:]?\s*$", re.IGNORECASE)
_WEAK_FORWARD = re.compile(r"(?:\bwith|\bby|\bfor|\bto|\bfrom|\band|\bof|\binvite|\bsaw|\bsee|\bvisit|"
                           r"\bclient|\bcustomer|\bpatient)\s*[,:]?\s*$", re.IGNORECASE)


@pytest.mark.parametrize("seed", range(10))
def test_reversed_cue_patterns_match_where_the_forward_search_does(seed: int) -> None:
    rng = random.Random(seed)
    cues = [*names._STRONG_CUES, *names._WEAK_CUES, "Sincerely", "REGARDS", "thank  you", "Co-Worker", "aſk", "İ"]
    for _ in range(3000):
        window = "".join(rng.choice([rng.choice(cues), rng.choice(_WORDS), rng.choice(_GAPS), ",", ":", "\n"])
                         for _ in range(rng.randint(0, 8)))[-40:]
        assert bool(names._CUE_STRONG.match(window[::-1])) == bool(_STRONG_FORWARD.search(window)), window
        assert bool(names._CUE_WEAK.match(window[::-1])) == bool(_WEAK_FORWARD.search(window)), window


@pytest.mark.parametrize("seed", range(20))
def test_email_account_and_birth_date_searches_find_what_finditer_finds(seed: int) -> None:
    """E-mail addresses searched for from just before each "@", account numbers and dates of birth
    tried only where their label starts: the same matches as the pattern run over the whole text."""
    rng = random.Random(seed)
    bits = ["Account number: 12345678", "ACCT # 99887766", "a/c 1234567", "bank  \n account 123456789",
            "bankaccount 1234567", "accc 1234567", "DOB: 01/02/1990", "d.o.b. 1990-01-02", "do.b 1/1/2000",
            "born on March 3, 1980", "date of birth 3rd of May, 1990", "Geburtsdatum: 01.02.1980",
            "fecha de nacimiento 1/2/1980", "birthday 12/12/12", "amy73@mail.com", "a.b+c@mail.co.uk", "@", "@@a.com",
            "foo@bar", "me@" + "x" * 70 + ".com", "y" * 70 + "@ab.com", "x%y@host.org"]
    for _ in range(30):
        text = "".join(rng.choice(bits) + rng.choice(_GAPS) if rng.random() < 0.5 else _text(rng, 3)
                       for _ in range(rng.randint(1, 20)))
        emails = [(m.start(), m.end()) for m in patterns._EMAIL.finditer(text)
                  if not patterns.reserved_email(m.group())]
        assert [(s.start, s.end) for s in patterns.detect_email(text)] == emails
        low = caseless(text)
        if low is None or not patterns.digit_runs(text):
            continue
        bank = patterns.detect_bank(text)
        routing = [s for s in bank if s.entity_type == "US_BANK_ROUTING"]
        assert [(s.start, s.end) for s in bank if s.entity_type == "US_BANK_NUMBER"] == [
            m.span(1) for m in patterns._ACCOUNT.finditer(text)
            if not any(r.start <= m.start(1) < r.end for r in routing)]
        assert [(s.start, s.end) for s in patterns.detect_dob(text)] == [
            m.span(1) for m in patterns._DOB.finditer(text) if not patterns.placeholder_dob(m.group(1))]


@pytest.mark.parametrize("seed", range(20))
def test_name_detection_with_cues_visits_only_words_a_cue_can_reach(seed: int,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """With name cues in the text the loop adds only the words within reach of one (``_Cues.reach``)
    to the possible name words: the same spans as visiting every word."""
    detector = names.NameDetector()
    rng = random.Random(seed)
    pool = [*_WORDS, "olga", "krylova", "dana", "whitfield", "my name is", "call me", "Patient:", "named",
            "signed", "attn:", "višeslav", "ana", "maría", "josé"]
    texts = [" ".join(rng.choice(pool) for _ in range(size)) for size in (3, 30, 200, 600)]
    fast = [detector.detect(text) for text in texts]
    monkeypatch.setattr(names._Cues, "reach", lambda self, starts: range(len(starts)))  # every word
    assert [detector.detect(text) for text in texts] == fast


@pytest.mark.parametrize("seed", range(6))
def test_compiled_window_loop_gives_the_python_loops_ids(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``shoal.privacy._windowfeat`` (built where a C compiler is) and the Python loop it replaces
    give the same ids and block starts, repeats, line breaks and windows of every size included."""
    compiled = pytest.importorskip("shoal.privacy._windowfeat")
    from shoal.privacy import features

    featurizer = Featurizer(load_names())
    rng = random.Random(seed)
    texts = [_text(rng, size) for size in (50, 64, 65, 130, 400, 1500)]
    texts += [" ".join(["again"] * 300), "\n" * 200 + "Dana Whitfield\n" * 50, "é " * 100 + "Ünal's bonus " * 40]
    for text in texts:
        monkeypatch.setattr(features, "_window_features", compiled.window_features)
        fast = featurizer.encode(text)
        monkeypatch.setattr(features, "_window_features", features._window_features_py)
        assert featurizer.encode(text) == fast


@pytest.mark.parametrize("seed", range(6))
def test_compiled_token_entries_give_the_python_lists(seed: int) -> None:
    """``token_entries`` (compiled) and ``_token_entries_py`` give the same entries, shapes, public-name
    candidates and pets: sentence starts, animal nouns before capitalised and lower-case words, and
    an animal noun as the last token included."""
    compiled = pytest.importorskip("shoal.privacy._windowfeat")
    from shoal.privacy import features
    from shoal.privacy.name_heads import PET_NOUNS

    featurizer = Featurizer(load_names())
    rng = random.Random(seed)
    texts = [_text(rng, size) for size in (0, 1, 30, 400)] + [
        "my cat Winston. The dog rex! my dog", "Nelson Mandela met Sam Lincoln. Ünal's cat Émile", "cat",
        "田中さんの給与は42万円です。김민준 씨는 병가 중입니다. Tanaka-san の件"]
    for text in texts:
        toks = features._TOKEN.findall(text)
        fast = compiled.token_entries(toks, featurizer._tok_cache, featurizer._tok_entry, features._SENT_END, PET_NOUNS)
        assert fast == features._token_entries_py(toks, featurizer._tok_cache, featurizer._tok_entry,
                                                  features._SENT_END, PET_NOUNS)


_SECRET_LABELS = [
    "password", "Passwort", "KENNWORT", "passcode", "passphrase", "mot de passe", "mdp", "contraseña", "contrasena",
    "senha", "palavra-passe", "wachtwoord", "lösenord", "losenord", "passord", "adgangskode", "hasło", "haslo",
    "salasana", "PIN", "pin-code", "pincode", "pin code", "code pin", "código pin", "codigo pin", "door code",
    "gate code", "safe code", "alarm code", "wifi code", "wi-fi code", "entry code", "access code", "türcode",
    "turcode", "code de la porte", "code du portail", "code d'accès", "code de l’alarme", "code wifi",
    "codice della porta", "codice della cassaforte", "codice dell'allarme", "codice del cancello",
    "código de la puerta", "código do portão", "codigo da porta", "código del portal", "master password",
    "Wi-Fi password", "wlan passwort", "admin password", "root password", "pass", "pwd", "secret", "client_secret",
    "client secret", "api key", "API_KEY", "access-key", "secret_key", "auth token", "access_token", "token",
    "Bearer", "private key", "private_key"]
_SECRET_TAILS = [" is Hunter2!", " = s3cr3t-Value", ": 'Fjordbris#2025'", " was 7720B", " ist Blume_77", " est 1234abcd",
                 " for everything is Biscuit1987!", " do Moodle é Benfica_1904", " til Wi-Fi er Fjordbris#2025",
                 " c'est 7720B", " is too short", "", " lautet: Xy9-Qq", "=abc123def"]


@pytest.mark.parametrize("seed", range(30))
def test_labelled_secret_rules_tried_at_their_lead_words_find_what_finditer_finds(seed: int) -> None:
    """``detect_credentials`` tries the keyed and named secret rules only where a lead word occurs in
    the lower-cased text: the same matches as running them over the whole text."""
    rng = random.Random(seed)
    parts = []
    for _ in range(120):
        r = rng.random()
        if r < 0.35:
            parts.append(rng.choice(_SECRET_LABELS) + rng.choice(_SECRET_TAILS))
        else:
            parts.append(rng.choice([w for w in _WORDS if not any(ch in w for ch in "ıſİK")]
                                    + ["opinion", "shipping", "wiki", "record", "Passau", "xpassword"]))
        parts.append(rng.choice(_GAPS))
    text = "".join(parts)
    low = caseless(text)
    assert low is not None
    for rx, leads in ((patterns._KEYED_SECRET_LOW, patterns._KEYED_SECRET_LEADS),
                      (patterns._NAMED_SECRET_LOW, patterns._NAMED_SECRET_LEADS)):
        whole = [m.span(0) + m.span(1) for m in rx.finditer(low)]
        gated = [m.span(0) + m.span(1) for m in patterns.matches_at(rx, low, patterns.occurrences(low, leads))]
        assert gated == whole and whole, rx.pattern[:60]


@pytest.mark.parametrize("seed", range(6))
def test_compiled_scoring_gives_the_numpy_verdicts(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``shoal.privacy._unitscore.score_units`` and the numpy path it replaces give the same verdict,
    probability and class, for one unit, many units, no global features and several."""
    compiled = pytest.importorskip("shoal.privacy._unitscore")
    from shoal.privacy import model as model_module

    featurizer = Featurizer(load_names())
    model = load_model()
    rng = random.Random(seed)
    for size in (3, 40, 60, 120, 400, 1500):
        for extra in ([], ["PERSON"], ["EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER"]):
            enc = featurizer.encode(_text(rng, size), extra)
            monkeypatch.setattr(model_module, "_score_units", compiled.score_units)
            fast = model.score(enc)
            monkeypatch.setattr(model_module, "_score_units", None)
            assert _same_verdict(model.score(enc), fast), (size, extra)


def _same_verdict(a: Verdict, b: Verdict) -> bool:
    """The same class and, to the last bits, the same probability: the unit sums are exact, but the
    softmax after them runs through different ``exp`` implementations (numpy's vectorised one, the C
    library's, Python's), which may differ in the last unit of precision."""
    return a.category == b.category and a.p_sensitive == pytest.approx(b.p_sensitive, rel=1e-12, abs=1e-15)


def test_compiled_scoring_refuses_bad_input() -> None:
    """Ids outside the weight rows, decreasing block starts and a weight block of the wrong type are
    errors, not reads past the end of a buffer."""
    compiled = pytest.importorskip("shoal.privacy._unitscore")
    import numpy as np

    weights = np.zeros((8, 4), dtype=np.float32)
    bias = [1.0, 0.0, 0.0, 0.0]
    assert compiled.score_units([1, 2], [0, 2], [(0, 1)], [3], weights, bias)[1] == 1
    with pytest.raises(ValueError, match="ids"):
        compiled.score_units([8], [0, 1], [(0, 1)], [], weights, bias)
    with pytest.raises(ValueError, match="starts"):
        compiled.score_units([1, 2], [0, 2, 1], [(0, 2)], [], weights, bias)
    with pytest.raises(ValueError, match="unit"):
        compiled.score_units([1, 2], [0, 2], [(0, 2)], [], weights, bias)
    with pytest.raises(TypeError, match="float32"):
        compiled.score_units([1], [0, 1], [(0, 1)], [], weights.astype(np.float64), bias)
    with pytest.raises(ValueError, match="row"):
        compiled.row_probabilities([(1.0, [9])], np.zeros(8 * 4), bias)


def test_compiled_topic_rows_give_the_numpy_probabilities(monkeypatch: pytest.MonkeyPatch) -> None:
    """The topic models' ``row_probabilities`` compiled and in numpy agree to rounding, and the topics
    detected are the same."""
    pytest.importorskip("shoal.privacy._unitscore")
    from shoal.privacy import linear

    detector = topics.TopicDetector.for_config(TopicsConfig())
    rng = random.Random(3)
    texts = [_text(rng, size) for size in (5, 30, 120, 400)]
    texts += ["We are laying off 40 people in Q3, draft the memo", "How do companies structure bonuses?",
              "Dana's salary review is next week and her PIP ends Friday"]
    model = detector.topic_model
    groups = [(0.5, [0, 1, 2]), (0.25, [3]), (1.0, [])]
    fast = model.row_probabilities(groups)
    fast_topics = [detector.detect(text, person_found=bool(i % 2)) for i, text in enumerate(texts)]
    monkeypatch.setattr(linear, "_compiled_rows", None)
    assert model.row_probabilities(groups) == pytest.approx(fast, abs=1e-12)
    slow_topics = [detector.detect(text, person_found=bool(i % 2)) for i, text in enumerate(texts)]
    assert [[t for t, _ in found] for found in slow_topics] == [[t for t, _ in found] for found in fast_topics]
    assert [p for found in slow_topics for _, p in found] == pytest.approx(
        [p for found in fast_topics for _, p in found], abs=1e-12)
    assert any(fast_topics)
