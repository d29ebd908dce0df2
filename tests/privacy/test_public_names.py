"""Public names (``data/public_names.txt``) as the sensitivity model's shapes: which words they mark."""

from __future__ import annotations

import pytest

from shoal.privacy.features import _TOKEN, FAMOUS, LOOKALIKE, Featurizer, load_names
from shoal.privacy.public_names import load_public_names, parse


def _marked(text: str) -> list[tuple[str, str]]:
    featurizer = Featurizer(load_names())
    toks = _TOKEN.findall(text)
    entries = [featurizer._tok_entry(t) for t in toks]
    shaped = [e[2] for e in entries]
    public = featurizer.names.public
    assert public is not None
    featurizer._mark_public(toks, entries, shaped, public)
    return [(t, s[0].decode()) for t, s in zip(toks, shaped, strict=True) if s[0] in (b"<F>", b"<B>")]


def test_the_shipped_list_is_large_and_by_domain() -> None:
    names = load_public_names()
    assert len(names.full) > 1500 and len(names.alone) > 500 and len(names.lookalike) > 300
    assert ("abraham", "lincoln") in names.full_people and "meta" in names.lookalike


@pytest.mark.parametrize(("text", "expected"), [
    ("Who was Abraham Lincoln?", [("Abraham", FAMOUS), ("Lincoln", FAMOUS)]),
    ("What was Lincoln's depression like?", [("Lincoln's", FAMOUS)]),
    ("Sam Lincoln's salary is 50k", []),  # a private person with a famous surname keeps the name shapes
    ("Victoria Chen is on sick leave", []),
    ("Is Meta profitable?", [("Meta", LOOKALIKE)]),
    ("tell me about the Dalai Lama", [("Dalai", FAMOUS), ("Lama", FAMOUS)]),
    ("who pays the gates at the stadium", []),  # an ordinary word in lower case is not a name
])
def test_public_names_get_their_own_shape_only_standing_alone_or_whole(text: str,
                                                                      expected: list[tuple[str, str]]) -> None:
    assert _marked(text) == expected


def test_a_public_name_adds_a_text_level_feature() -> None:
    featurizer = Featurizer(load_names())
    plain = featurizer.encode("Who was Dana Whitfield?")
    famous = featurizer.encode("Who was Abraham Lincoln?")
    assert len(famous.global_ids) == len(plain.global_ids) + 1


def test_parse_reads_sections_and_keeps_frequent_surnames_out_of_single_words() -> None:
    names = parse("[history]\nJohn Smith|Otto von Bismarck # a comment\n[brands]\nMeta\n[fiction]\nScrooge\n")
    assert ("otto", "von", "bismarck") in names.full_people
    assert "bismarck" in names.alone and "smith" not in names.alone  # Smith is too common a surname
    assert "scrooge" in names.alone and names.lookalike == frozenset({"meta"})


def test_template_blanks_are_one_token_and_one_word() -> None:
    featurizer = Featurizer(load_names())
    toks = _TOKEN.findall("Dear <NAME>, pay {{ amount }} to [Employee Name] by ${DUE_DATE}, not [PERSON_1]")
    lows = [featurizer._tok_entry(t)[0] for t in toks]
    assert lows.count("<blank>") == 4 and "[person]" in lows


@pytest.mark.parametrize(("text", "public"), [
    ("Céline Dion", True), ("Celine Dion", True), ("King Charles", True), ("Tony Soprano's", True),
    ("Sarah Miller", False), ("Victoria", False), ("Dana Whitfield", False)])
def test_is_public_name(text: str, public: bool) -> None:
    from shoal.privacy.public_names import is_public_name

    assert is_public_name(text) is public


def test_a_public_name_is_no_person_span_but_a_private_one_is() -> None:
    from shoal.privacy.scanner import PrivacyScanner

    scanner = PrivacyScanner()
    assert not [s for s in scanner.detect_pii("List five famous speeches by Nelson Mandela.") if s.entity_type == "PERSON"]
    assert [s.text for s in scanner.detect_pii("Send Dana Whitfield the contract.") if s.entity_type == "PERSON"] == [
        "Dana Whitfield"]
