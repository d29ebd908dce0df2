"""Normalisation before the scan, and the evasions it defeats (values written so patterns miss them)."""

from __future__ import annotations

import pytest

from shoal.privacy.normalize import normalize, spell_digits
from shoal.privacy.scanner import PrivacyScanner


@pytest.mark.parametrize(("raw", "normal"), [
    ("SSN 2\u200b0\u200b1-47-3\u200c159", "SSN 201-47-3159"),  # zero-width space and non-joiner
    ("card \u202e4111 1111 1111 1111\u202c", "card 4111 1111 1111 1111"),  # bidi override
    ("\u2066ip 10.0.0.1\u2069\ufeff", "ip 10.0.0.1"),  # isolates, BOM
    ("soft\u00adhyphen", "softhyphen"),
    ("\uff12\uff10\uff11\uff0d\uff14\uff17", "201-47"),  # full-width digits and hyphen-minus
    ("tel \u0664\u0661\u0665 \u0665\u0665\u0665", "tel 415 555"),  # Arabic-Indic digits
    ("\u0967\u0968\u0969", "123"),  # Devanagari digits
    ("caf\u0065\u0301 na\u00efve\u00a0text", "caf\u00e9 na\u00efve text"),  # NFKC composes; NBSP → space
])
def test_invisible_characters_compatibility_forms_and_digits(raw: str, normal: str) -> None:
    assert normalize(raw) == normal


@pytest.mark.parametrize(("raw", "normal"), [
    ("my SSN is two oh one four seven three one five nine", "my SSN is 201473159"),
    ("one two three dash four five dash six seven eight nine", "123-45-6789"),
    ("Four One Five, five five five, zero one three four", "4155550134"),
    ("call one 2 three 4 now", "call 1234 now"),
    ("1 2 3 4 5 6 7 8 9", "123456789"),
])
def test_spelled_out_digit_runs_become_digits(raw: str, normal: str) -> None:
    assert spell_digits(raw) == normal


@pytest.mark.parametrize("text", [
    "one of the two best options",  # fewer than four number words in a row
    "Three Men in a Boat",
    "someone, anyone, everyone",  # number words inside other words
    "version 3.11 and 2024-05-01",
    "Plain ASCII text without anything to change.",
])
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert normalize(text) == text


@pytest.mark.parametrize("text", [
    "employee SSN: 2\u200b0\u200b1-4\u200b7-3\u200b1\u200b5\u200b9",
    "employee SSN: \u202e201-47-3159\u202c",
    "employee SSN: \uff12\uff10\uff11-\uff14\uff17-\uff13\uff11\uff15\uff19",
    "my SSN is two oh one four seven three one five nine",
    "my social security number is two zero one, four seven, three one five nine",
    "My SSN is 123-45-6789",  # can never be issued: the intent still makes it sensitive
    "SSN: 000-12-3456",
    "reach her at dana\u200b.whitfield@acme\u200b.com",
])
def test_evasions_are_caught(scanner: PrivacyScanner, text: str) -> None:
    result = scanner.scan(text)
    assert result.is_sensitive, result


def test_an_invalid_number_without_a_label_is_not_an_ssn(scanner: PrivacyScanner) -> None:
    # A format example in a question is not somebody's number; only "SSN is/: <number>" counts.
    assert not scanner.scan("What does an SSN look like, for example 123-45-6789?").is_sensitive
    assert not scanner.scan("Is 123-45-6789 a valid number?").is_sensitive


@pytest.mark.parametrize(("text", "entity"), [
    ("meine IBAN ist DE89 3704 0044 0532 0130 00, warum kommt die Überweisung nicht an?", "IBAN_CODE"),
    ("my card number is 4111 1111 1111 1111, why was it declined?", "CREDIT_CARD"),
    ("mon IBAN : GB82 WEST 1234 5698 7654 32", "IBAN_CODE"),
])
def test_a_documented_number_given_as_ones_own_is_sensitive(scanner: PrivacyScanner, text: str, entity: str) -> None:
    # The published example numbers are nobody's, except when somebody types one as theirs: the intent
    # is what the gate answers to, as with "My SSN is 123-45-6789".
    result = scanner.scan(text)
    assert f"pii:{entity}" in result.reasons, result


@pytest.mark.parametrize("text", [
    "Is DE89 3704 0044 0532 0130 00 a valid IBAN?",
    "my test card 4242 4242 4242 4242 fails in the Stripe checkout",
    "Use the documentation IBAN GB82 WEST 1234 5698 7654 32 in the fixture",
])
def test_a_documented_number_as_an_example_is_not_an_identifier(scanner: PrivacyScanner, text: str) -> None:
    assert not any(r.startswith("pii:") for r in scanner.scan(text).reasons)


def test_spans_point_into_the_normalised_text(scanner: PrivacyScanner) -> None:
    raw = "Send it to \u200bdana.whitfield@acme.com today"
    result = scanner.scan(raw)
    text = normalize(raw)
    assert [text[s.start:s.end] for s in result.spans] == ["dana.whitfield@acme.com"]
