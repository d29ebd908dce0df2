"""National identity numbers (``shoal.privacy.national_ids``): valid numbers found with the label
their format needs, wrong check digits, unlabelled weak formats, published examples and ordinary
numbers not found."""

from __future__ import annotations

import random

import pytest

from shoal.privacy import id_checks as ck
from shoal.privacy.national_ids import detect_national_id
from shoal.privacy.scanner import PrivacyScanner


def found(text: str) -> list[str]:
    return [s.text for s in detect_national_id(text)]


# (labelled text, the value) — each value has a valid check; weak formats need the label.
LABELLED = [
    ("Mój PESEL to 84031762568 i mam pytanie o ubezpieczenie", "84031762568"),
    ("My NHS number is 485 777 3457, can you update my GP?", "485 777 3457"),
    ("Meine Steuer-ID: 65 929 970 489", "65 929 970 489"),
    ("steuerliche Identifikationsnummer 65929970489", "65929970489"),
    ("Sozialversicherungsnummer 1237 010180", "1237 010180"),
    ("BSN van de patiënt: 111222333", "111222333"),
    ("burgerservicenummer 111222333", "111222333"),
    ("CPR-nr. 070761-4284", "070761-4284"),
    ("mitt fødselsnummer er 01010101006", "01010101006"),
    ("SIN 130 692 544 for the payroll form", "130 692 544"),
    ("my social insurance number is 130-692-544", "130-692-544"),
    ("Aadhaar 2341 2341 2346", "2341 2341 2346"),
    ("cpf 52998224725", "52998224725"),
    ("número de contribuinte 232013969", "232013969"),
    ("rijksregisternummer 93051822361", "93051822361"),
    ("CNP 1800101221144", "1800101221144"),
    ("TC kimlik no 10000000078", "10000000078"),
    ("ת.ז 000000018", "000000018"),
    ("PPS number 1234567FA", "1234567FA"),
    ("NIR 1 84 12 2A 451 089 33", "1 84 12 2A 451 089 33"),
    ("numéro de sécurité sociale 184127645108946", "184127645108946"),
    ("personnummer 8112289874", "8112289874"),
    ("my ni number is jg103759a", "jg103759a"),
    ("codice fiscale mrtmtt25d09f205z", "mrtmtt25d09f205z"),
    ("mi DNI es 87654322 b", "87654322 b"),
]

# Strong written forms: found without any label.
STRONG = [
    ("please update JG 10 37 59 A on the payroll", "JG 10 37 59 A"),
    ("Ciao, MRTMTT25D09F205Z è il mio codice", "MRTMTT25D09F205Z"),
    ("el documento 87654322B está caducado", "87654322B"),
    ("tiene el 87.654.322-B", "87.654.322-B"),
    ("Y1234567X vence mañana", "Y1234567X"),
    ("o titular 529.982.247-25 pediu reembolso", "529.982.247-25"),
    ("Anna, 811228-9874, Stockholm", "811228-9874"),
    ("Matti 010594Y123W ja Liisa", "010594Y123W"),
    ("85.07.30-033.28 is een voorbeeld", None),  # the published example: nobody's
    ("Hans 93.05.18-223.61 Gent", "93.05.18-223.61"),
    ("Versicherter 756.9217.0769.85", "756.9217.0769.85"),
    ("assuré 1 84 12 76 451 089 46 à Lyon", "1 84 12 76 451 089 46"),
]


@pytest.mark.parametrize("text,value", LABELLED + [s for s in STRONG if s[1] is not None])
def test_valid_numbers_are_found(text: str, value: str) -> None:
    assert found(text) == [value]


def _break(value: str) -> str:
    """The value with its last digit changed (a wrong check digit), or its last letter."""
    last = value.rstrip()[-1]
    i = value.rstrip().rfind(last)
    if last.isdigit():
        return value[:i] + str((int(last) + 1) % 10) + value[i + 1:]
    repl = "B" if last.upper() != "B" else "C"
    return value[:i] + (repl if last.isupper() else repl.lower()) + value[i + 1:]


@pytest.mark.parametrize("text,value", [s for s in STRONG if s[1] is not None])
def test_wrong_check_digits_are_not_found(text: str, value: str) -> None:
    if value == "JG 10 37 59 A":
        pytest.skip("no check digit: NINO (prefix and suffix rules)")
    assert found(text.replace(value, _break(value))) == []


@pytest.mark.parametrize("text,value", LABELLED)
def test_wrong_check_digits_need_the_label_right_before(text: str, value: str) -> None:
    """Given as the ID right after its label, a failing check still counts (intent, lower score);
    with the label further off, it does not."""
    if value in ("070761-4284", "jg103759a"):
        pytest.skip("no check digit: CPR (only a date) and NINO (prefix and suffix rules)")
    broken = _break(value)
    far = text.replace(value, "(see the attached scan of the card) " + broken)
    assert found(far) == []
    spans = detect_national_id(text.replace(value, broken))
    if spans:  # the label in LABELLED is right before the value in most texts
        assert [s.text for s in spans] == [broken] and spans[0].score < 0.9


def test_a_number_given_as_an_id_counts_even_with_a_wrong_check() -> None:
    assert found("Mi DNI es 48291736K, me llamo Pablo") == ["48291736K"]
    assert found("Il mio codice fiscale è BNCGLI79D52F205X") == ["BNCGLI79D52F205X"]
    assert found("Mój PESEL to 84031762569") == ["84031762569"]
    assert found("PESEL podany w formularzu klienta 84031762569") == []  # label not right before
    assert found("el documento 48291736K está caducado") == []  # no label, wrong letter


@pytest.mark.parametrize("value", [
    "84031762568", "485 777 3457", "65929970489", "111222333", "01010101006", "130 692 544",
    "2341 2341 2346", "52998224725", "232013969", "1800101221144", "070761-4284", "8112289874",
    "jg103759a", "mrtmtt25d09f205z", "87654322 b", "1234567FA",
])
def test_weak_formats_need_their_label(value: str) -> None:
    assert found(f"ref {value} was processed yesterday") == []
    assert found(f"Order number {value}") == []


@pytest.mark.parametrize("text", [
    "The PESEL of the customer in the docs is 44051401359",  # Wikipedia's worked example
    "NHS number 943 476 5919", "test patient NHS number 999 000 0018", "NINO QQ 12 34 56 C",
    "NINO AB123456C", "DNI 12345678Z", "NIE X1234567L", "CPF 123.456.789-09", "RSSMRA80A01H501U",
    "personnummer 19121212-1212", "HETU 131052-308T", "AHV 756.1234.5678.97", "85.07.30-033.28",
    "NIR 2 55 08 14 168 025 38", "Steuer-ID 86 095 742 719", "BSN 123456782", "PPS 1234567T",
    "TC kimlik 10000000146", "PESEL 11111111111", "BSN 123456789", "NIF 123456789",
])
def test_published_examples_and_blanks_are_nobodys(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize("text", [
    "Order #84031762568 shipped on 2024-03-17, tracking 1Z999AA10123456784",
    "Call me on +48 601 234 567 or 0049 30 1234567",
    "Teléfono sin prefijo: 612 345 678",
    "The total is 1.234.567,89 EUR, invoice 2023-000456-12",
    "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2",
    "Upgrade from version 10.4.1234.5678 to 11.0.2",
    "In 1984 the population was 11 222 333 and in 2004 it was 12 345 679",
    "sin(30) + cos(60) = 1; 130692544 is a nine-digit number",
    "Timestamps 1700000000 1700000060 1700000120",
    "Meeting on 12.05.2024, room 4.12, budget 12,500,000",
    "UUID 123e4567-e89b-12d3-a456-426614174000 and hash 9f86d081884c7d65",
    "Part numbers AB123456 and XY-1234567-Z are in stock",
    "I think 87654322 B will order",
    "the cannabinoid antagonist SR141716A (3 mg/kg)", "product code JG103759A in the log",
    "Order 811228-9874 was shipped", "Batch 20240312-0042 passed QA", "invoice no. 529.982.247-25",
])
def test_ordinary_numbers_are_not_national_ids(text: str) -> None:
    assert found(text) == []


def test_a_label_does_not_reach_past_another_number() -> None:
    assert found("PESEL 84031762568, order 84031762568") == ["84031762568"]
    assert found("BSN: zie bijlage 2, klantnummer 111222333") == []


def test_the_scanner_reports_a_national_id(scanner: PrivacyScanner) -> None:
    result = scanner.scan("Mój PESEL to 84031762568, proszę o pomoc z wnioskiem.")
    assert result.is_sensitive
    assert "pii:NATIONAL_ID" in result.reasons


def test_checks_on_random_numbers_pass_at_their_expected_rate() -> None:
    """A mod-11 or mod-10 check passes about one random number in ten: why weak formats need labels."""
    rng = random.Random(7)
    numbers = ["".join(rng.choice("0123456789") for _ in range(9)) for _ in range(20_000)]
    rate = sum(ck.nl_bsn(n) for n in numbers) / len(numbers)
    assert 0.06 < rate < 0.11
    assert sum(ck.ca_sin(n) for n in numbers) / len(numbers) < 0.11


def test_known_check_examples() -> None:
    # Worked examples of each scheme's public description (checked by hand against the algorithm).
    assert ck.nhs_number("9434765919") and not ck.nhs_number("9434765918")
    assert ck.it_codice_fiscale("RSSMRA80A01H501U")
    assert ck.fi_hetu("131052-308T")
    assert ck.be_national_number("85073003328")
    assert ck.ch_ahv("7561234567897")
    assert ck.fr_nir("255081416802538")
    assert ck.de_steuer_id("86095742719") and not ck.de_steuer_id("86095742718")
    assert ck.pl_pesel("44051401359")
    assert ck.tr_kimlik("10000000146")
    assert ck.ie_pps("1234567T") and ck.ie_pps("1234567TW")
    assert ck.verhoeff("2363") and not ck.verhoeff("2364")
    assert ck.se_personnummer("1212121212") and ck.se_personnummer("191212121212")
    assert ck.br_cpf("12345678909") and not ck.br_cpf("11111111111")
    assert ck.es_dni("12345678Z") and ck.es_nie("X1234567L")
    assert ck.uk_nino("AB123456C") and not ck.uk_nino("QQ123456C") and not ck.uk_nino("GB123456A")


_PIECES = ["Y1234567X", "PESEL", "BSN:", "JG 10 37 59 A", "jg103759a", "MRTMTT25D09F205Z", "87654322B", "87.654.322-B",
           "Y1234567X", "x-1234567-l", "811228-9874", "010594Y123W", "1 84 12 2A 451 089 33", "529.982.247-25",
           "2341 2341 2346", "+48", "12", "345", "6789", "ab", "Z", "-", ".", " ", "  ", "\n", "é", "_", "A1"]


@pytest.mark.parametrize("seed", range(30))
def test_patterns_tried_at_digit_runs_find_what_finditer_finds(seed: int) -> None:
    from shoal.privacy import national_ids as ni
    from shoal.privacy.digit_gates import digit_runs, matches_at

    rng = random.Random(seed)
    text = "".join(rng.choice(_PIECES) + rng.choice(["", " ", ", ", "-"]) for _ in range(60))
    runs = digit_runs(text)
    nino, cf, nie = ni._letter_starts(text, runs)
    for rx, starts in ((ni._GROUPS, list(runs)), (ni._HETU, list(runs)), (ni._NIR, list(runs)), (ni._NINO, nino),
                       (ni._CF, cf), (ni._NIE, nie)):
        assert [m.span() for m in matches_at(rx, text, starts)] == [m.span() for m in rx.finditer(text)]


@pytest.mark.parametrize("text", [
    "Fødselsnummeret mitt er 03119248571, og BankID godtar det ikke.",  # definite noun, possessive after it
    "Personnumret mitt är 19811203-2388",
    "CPR-nummeret hans er 0311924857",
])
def test_nordic_definite_labels_with_a_possessive(text: str) -> None:
    assert [s.entity_type for s in detect_national_id(text)] == ["NATIONAL_ID"]
