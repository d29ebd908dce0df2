"""Pseudonymisation round trips, including streamed answers with placeholders split across chunks."""

from __future__ import annotations

import itertools
import random

import pytest

from shoal.privacy.redact import Pseudonymizer
from shoal.privacy.scanner import PrivacyScanner

TEXT = ("Email Dana Whitfield at dana.whitfield@acme.com; Dana Whitfield's phone is +1 415-555-2134 "
        "and her card is 5425 2334 3010 9903.")


def _redacted(scanner: PrivacyScanner, text: str = TEXT) -> tuple[Pseudonymizer, str]:
    p = Pseudonymizer()
    return p, p.pseudonymize(text, scanner.detect_pii(text))


def test_round_trip_and_consistency(scanner: PrivacyScanner) -> None:
    p, red = _redacted(scanner)
    assert "Dana" not in red and "acme.com" not in red and "4111" not in red
    assert red.count("[PERSON_1]") == 2  # the same person, the same placeholder
    assert p.restore(red) == TEXT


def test_consistent_across_messages_of_one_request(scanner: PrivacyScanner) -> None:
    p = Pseudonymizer()
    first = p.pseudonymize("Ask Dana Whitfield", scanner.detect_pii("Ask Dana Whitfield"))
    second = p.pseudonymize("bob@examplemail.org and Dana Whitfield",
                            scanner.detect_pii("bob@examplemail.org and Dana Whitfield"))
    assert first == "Ask [PERSON_1]"
    assert second == "[EMAIL_ADDRESS_1] and [PERSON_1]"


def test_restore_bare_placeholders_as_whole_words_only(scanner: PrivacyScanner) -> None:
    p, _ = _redacted(scanner)
    assert p.restore("PERSON_1 agreed; PERSON_10 and XPERSON_1 are not ours") == \
        "Dana Whitfield agreed; PERSON_10 and XPERSON_1 are not ours"


def test_only_selected_entity_types(scanner: PrivacyScanner) -> None:
    p = Pseudonymizer(entities=["EMAIL_ADDRESS"])
    red = p.pseudonymize(TEXT, scanner.detect_pii(TEXT))
    assert "Dana Whitfield" in red and "[EMAIL_ADDRESS_1]" in red


def test_spans_from_another_text_are_rejected(scanner: PrivacyScanner) -> None:
    with pytest.raises(ValueError, match="does not match"):
        Pseudonymizer().pseudonymize("x" * len(TEXT), scanner.detect_pii(TEXT))


def test_custom_placeholder_format(scanner: PrivacyScanner) -> None:
    p = Pseudonymizer(placeholder="<<{type}#{n}>>")
    red = p.pseudonymize(TEXT, scanner.detect_pii(TEXT))
    assert "<<PERSON#1>>" in red and p.restore(red) == TEXT
    with pytest.raises(ValueError):
        Pseudonymizer(placeholder="[{type}]")


def _stream(p: Pseudonymizer, parts: list[str]) -> str:
    restorer = p.stream_restorer()
    return "".join(restorer.feed(part) for part in parts) + restorer.flush()


def test_stream_every_two_way_split(scanner: PrivacyScanner) -> None:
    p, red = _redacted(scanner)
    answer = f"Done: {red} Also PERSON_1 (bare) and [PERSON_1]"
    expected = p.restore(answer)
    for cut in range(len(answer) + 1):
        assert _stream(p, [answer[:cut], answer[cut:]]) == expected, cut


def test_stream_character_by_character_and_random_chunks(scanner: PrivacyScanner) -> None:
    p, red = _redacted(scanner)
    expected = p.restore(red)
    assert _stream(p, list(red)) == expected
    rng = random.Random(7)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(red)), 6))
        parts = [red[a:b] for a, b in itertools.pairwise([0, *cuts, len(red)])]
        assert _stream(p, parts) == expected


def test_stream_releases_text_as_soon_as_it_cannot_be_a_placeholder(scanner: PrivacyScanner) -> None:
    p, _ = _redacted(scanner)
    restorer = p.stream_restorer()
    assert restorer.feed("Hello [PER") == "Hello "
    assert restorer.feed("SON_1] and [X") == "Dana Whitfield and [X"
    assert restorer.feed("]") == "]"
    assert restorer.feed("PERSON_1") == ""  # could still become PERSON_10
    assert restorer.feed("0 ok") == "PERSON_10 ok"
    assert restorer.feed("[EMAIL_ADD") == ""
    assert restorer.flush() == "[EMAIL_ADD"


def test_stream_without_placeholders_is_passthrough() -> None:
    restorer = Pseudonymizer().stream_restorer()
    assert restorer.feed("[PERSON_1") == "[PERSON_1"
    assert restorer.flush() == ""


def test_from_config(scanner: PrivacyScanner) -> None:
    from shoal.privacy.config import RedactConfig

    p = Pseudonymizer.from_config(RedactConfig(placeholder="{{{type}:{n}}}", entities=["PERSON"]))
    red = p.pseudonymize(TEXT, scanner.detect_pii(TEXT))
    assert "{PERSON:1}" in red and "acme.com" in red and p.restore(red) == TEXT
