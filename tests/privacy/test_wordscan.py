"""The compiled word scans (``shoal.privacy._wordscan``) give exactly what the patterns they replace give.

Each function is compared with ``re`` or ``str`` on prose, on random runs of its character classes'
edge cases and on every code point; a test is skipped where the extension was not built.
"""

from __future__ import annotations

import random
import re

import pytest

from shoal.privacy import names, patterns, topics
from shoal.privacy.digit_gates import _run_starts_py
from tests.privacy.conftest import fast_path_text as _text

_EDGE_PIECES = [*"aZé'’-._ \n\t[]<>{}$:@=/€£%#|!?。0123456789٣²½Ⅳ_日한ぁ\u3040\u30ff\u4dbf\uf900\ufaff\uac00"
                "\ud7af\u3002\u00a0\u2028\x1cſıİK", "[PERSON_1]", "[EMAIL_ADDRESS_12]", "<NAME>",
                "{{ first_name }}", "{amount}", "${DB_USER}", "[Employee Name]", "A. ", "O'Neil", "co-worker",
                "Jean’s", "𝔘𝔫𝔦", "😀", "x\u0301"]


@pytest.mark.parametrize("seed", range(10))
def test_compiled_word_scans_give_the_patterns_words(seed: int) -> None:
    """``shoal.privacy._wordscan`` (built where a C compiler is) splits and finds exactly what the
    three word patterns and the digit runs do in ``re``, on prose and on random runs of their classes'
    edge cases."""
    compiled = pytest.importorskip("shoal.privacy._wordscan")
    from shoal.privacy import features

    rng = random.Random(seed)
    texts = [_text(rng, size) for size in (0, 1, 40, 400)] + [
        "".join(rng.choice(_EDGE_PIECES) for _ in range(rng.randint(0, 80))) for _ in range(300)]
    for text in texts:
        assert compiled.name_split(text) == names._TOKEN_SPLIT.split(text)
        assert compiled.model_tokens(text, features._TOKEN.match) == features._TOKEN.findall(text)
        assert compiled.topic_words(text.lower()) == topics._WORD.findall(text.lower())
        assert compiled.topic_words(text) == topics._WORD.findall(text)
        assert compiled.digit_run_starts(text) == _run_starts_py(text)


def test_compiled_word_scans_agree_on_every_character() -> None:
    """Each code point alone, between spaces, before a dot and a space, and after a letter and an
    apostrophe or hyphen: the compiled character classes are ``re``'s, not ASCII approximations."""
    compiled = pytest.importorskip("shoal.privacy._wordscan")
    from shoal.privacy import features

    chars = [chr(c) for c in range(0x30000) if not 0xD800 <= c < 0xE000]
    for i in range(0, len(chars), 400):
        chunk = chars[i:i + 400]
        for text in ("".join(chunk), " ".join(chunk), ". ".join(chunk), "a'".join(chunk), "a-".join(chunk)):
            assert compiled.name_split(text) == names._TOKEN_SPLIT.split(text)
            assert compiled.model_tokens(text, features._TOKEN.match) == features._TOKEN.findall(text)
            assert compiled.topic_words(text) == topics._WORD.findall(text)
            assert compiled.digit_run_starts(text) == _run_starts_py(text)


@pytest.mark.parametrize("seed", range(10))
def test_compiled_occurrences_give_every_start_str_find_gives(seed: int) -> None:
    """``shoal.privacy._wordscan.occurrences`` lists the positions the ``str.find`` loop lists, for
    the scan's own word lists and for words that share first characters' low bytes ("ł" and "B"),
    one-character words, astral characters and words at the very end of the text."""
    compiled = pytest.importorskip("shoal.privacy._wordscan")
    from shoal.privacy.digit_gates import _occurrences_py

    lists = [patterns._KEYED_SECRET_LEADS, patterns._NAMED_SECRET_LEADS, patterns._DOB_STARTS, patterns._KEY_PREFIXES,
             ("acc", "a/c"), ("a",), ("ab", "a", "b"), ("łx", "ł", "Bx", "😀a", "x😀")]
    pieces = [*"abcdpswtkx/łB😀 ", "pass", "pin", "acc", "a/c", "hasło", "códi", "AKIA", "ghp_", "łx", "x😀"]
    rng = random.Random(seed)
    texts = [_text(rng, 200).lower()] + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
                                         for _ in range(300)]
    for text in texts:
        for words in lists:
            assert compiled.occurrences(text, words) == _occurrences_py(text, words)
    for bad in ((), ("",), tuple(map(str, range(65)))):
        with pytest.raises(ValueError):
            compiled.occurrences("text", bad)


@pytest.mark.parametrize("seed", range(10))
def test_lexicon_term_trie_finds_every_position_where_a_topic_pattern_matches(seed: int,
                                                                              lexicon: topics.Lexicon) -> None:
    leads, _ = topics._lexicon_index(lexicon)
    trie = topics._term_pattern(lexicon)
    terms = [t for _, rx in lexicon for t in topics._terms(rx.pattern)]
    rng = random.Random(seed)
    text = (_text(rng, 300) + " " + " ".join(rng.choice(sorted(leads) + terms) + rng.choice(["", "x", "ab", " "])
                                             for _ in range(300))).lower()
    plain = [pos for pos in range(len(text) + 1) if any(rx.match(text, pos) for _, rx in lexicon)]
    assert plain and [m.start() for m in trie.finditer(text)] == plain
    words = ["k", "ke", "key", "10", "a.b"]
    trie_words = re.compile(topics._trie(words))
    assert all(trie_words.fullmatch(w) for w in words)
    assert not any(trie_words.fullmatch(w) for w in ["", "1", "kx", "keys", "a", "axb", "e"])


@pytest.mark.parametrize("seed", range(10))
def test_compiled_digit_word_run_answers_as_the_split_words_do(seed: int) -> None:
    """``shoal.privacy._wordscan.digit_word_run`` says what ``normalize._has_run_py`` says: digit
    words in any case, joiners, separators, and the non-ASCII characters that ``str.lower`` turns
    into ASCII ("İ", the Kelvin sign) or that ``str.split`` splits at (Unicode spaces)."""
    compiled = pytest.importorskip("shoal.privacy._wordscan")
    from shoal.privacy.normalize import _has_run_py

    words = ["one", "Two", "THREE", "oh", "zero", "nine", "9", "0", "12", "dash", "Hyphen", "-", "x", "eight,",
             "(5)", "seven.", "sixteen", "fivE", "hyphenated", "nİne", "İ", "\u212a", "Ｏne", "٣", "ſix", "é"]
    gaps = [" ", "", ",", "\n", "-", ";", "?", "(", ")", "!", ":", ".", "_", "/", "\u2003", "\xa0", "\x1c", "\x85"]
    rng = random.Random(seed)
    texts = ["".join(rng.choice(words) + rng.choice(gaps) for _ in range(rng.randint(0, 14))) for _ in range(2000)]
    for text in texts:
        assert compiled.digit_word_run(text) == _has_run_py(text)
    for cp in range(seed, 0x30000, 10):
        if not 0xD800 <= cp < 0xE000:
            for text in (f"one two three{chr(cp)}four", f"one two three {chr(cp)} four", f"one two thre{chr(cp)} four"):
                assert compiled.digit_word_run(text) == _has_run_py(text)


@pytest.mark.parametrize("seed", range(10))
def test_compiled_term_starts_are_where_the_term_trie_matches(seed: int, lexicon: topics.Lexicon) -> None:
    """``shoal.privacy._wordscan.term_starts`` lists the positions of the lexicon's ``\\b``-anchored
    term trie (and ``_lexicon_groups`` reads it): at word starts only, terms inside words, at the
    text's ends, after non-ASCII word characters and "_", overlapping terms."""
    compiled = pytest.importorskip("shoal.privacy._wordscan")
    trie = topics._term_pattern(lexicon)
    terms = topics._gated_terms(lexicon)
    rng = random.Random(seed)
    pieces = [*terms[::7], *"x_é日 .-'’\n", "10-k", "ü"]
    texts = [(_text(rng, 200) + " " + " ".join(rng.choice(terms) for _ in range(100))).lower()] + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(300)]
    for text in texts:
        assert compiled.term_starts(text, terms) == [m.start() for m in trie.finditer(text)]
    # Terms whose first characters share the buckets' low bits ("A", "ā", "Ł"), one-character terms,
    # terms of non-word characters, and terms running to the text's end.
    odd = ("a", "ab", "Ab", "āb", "Ł", "Łx", "1k", "日本", "-x", " y", "b")
    odd_trie = re.compile(r"\b(?=" + topics._trie(sorted(odd)) + ")")
    for text in ["".join(rng.choice([*odd, *"xā_ .é"]) for _ in range(rng.randint(0, 30))) for _ in range(300)]:
        assert compiled.term_starts(text, tuple(sorted(odd))) == [m.start() for m in odd_trie.finditer(text)]
    assert compiled.term_starts("anything", ()) == []
    with pytest.raises(ValueError):
        compiled.term_starts("text", ("",))
