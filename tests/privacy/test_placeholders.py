"""Documentation placeholders are nobody's data; real values next to them still are."""

from __future__ import annotations

import pytest

from shoal.privacy.addresses import AddressDetector
from shoal.privacy.patterns import PATTERN_DETECTORS
from shoal.privacy.placeholders import (
    documented_iban,
    documented_test_card,
    fictional_phone,
    nobodys_ip,
    placeholder_address,
    placeholder_secret,
    reserved_email,
)
from shoal.privacy.scanner import PrivacyScanner


@pytest.mark.parametrize(("value", "reserved"), [
    ("john.doe@example.com", True), ("a@mail.example.org", True), ("ops@build.test", True),
    ("x@host.invalid", True), ("dana@example.co.uk", False), ("dana@acme.com", False),
    ("me@examples.com", False)])
def test_reserved_email(value: str, reserved: bool) -> None:
    assert reserved_email(value) is reserved


@pytest.mark.parametrize(("value", "fictional"), [
    ("555-0100", True), ("555-0199", True), ("(617) 555-0143", True), ("+1 212 555 0187", True),
    ("(555) 010-0199", True), ("07700 900123", True), ("+44 20 7946 0321", True),
    ("555-0200", False), ("617-555-2143", False), ("07700 812345", False), ("+44 20 7123 4567", False)])
def test_fictional_phone(value: str, fictional: bool) -> None:
    assert fictional_phone(value) is fictional


def test_published_test_cards_only() -> None:
    assert documented_test_card("4242 4242 4242 4242") and documented_test_card("4111-1111-1111-1111")
    assert not documented_test_card("4539 1488 0343 6467")


@pytest.mark.parametrize(("value", "placeholder"), [
    ("AKIAIOSFODNN7EXAMPLE", True), ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", True), ("PASSWORD", True),
    ("changeme", True), ("your-api-key-here", True), ("<password>", True), ("xxxxxxxx", True),
    ("Tortuga$88lima", False), ("AKIAZ3RT5QW7XPL2MN4K", False), ("mypassword1", False), ("Password", False)])
def test_placeholder_secret(value: str, placeholder: bool) -> None:
    assert placeholder_secret(value) is placeholder


def test_placeholder_address() -> None:
    assert placeholder_address("123 Main St, Anytown") and placeholder_address("Musterstraße 1, 12345 Musterstadt")
    assert not placeholder_address("12 Elm Road, Springfield")


@pytest.fixture(scope="module")
def scanner() -> PrivacyScanner:
    return PrivacyScanner()


@pytest.mark.parametrize("text", [
    "Why does aws configure reject the example key AKIAIOSFODNN7EXAMPLE from the AWS docs?",
    "Regex for matching US phone numbers like (555) 010-0199 or 555-0100?",
    "Use card 4242 4242 4242 4242 with any CVC in Stripe test mode"])
def test_placeholders_scan_public(scanner: PrivacyScanner, text: str) -> None:
    assert scanner.scan(text).level == "public"


def test_placeholder_dsn_is_no_credential(scanner: PrivacyScanner) -> None:
    spans = scanner.detect_pii("DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DBNAME — how do I parse it?")
    assert "CREDENTIAL" not in {s.entity_type for s in spans}


@pytest.mark.parametrize(("text", "entity"), [
    ("Call Dana Whitfield on 617-555-2143 about her bonus", "PHONE_NUMBER"),
    ("Dana's email is dana.whitfield@acme.com", "EMAIL_ADDRESS"),
    ("my aws key is AKIAZ3RT5QW7XPL2MN4K", "CREDENTIAL"),
    ("postgres://app:s3cr3tPw9@db.internal:5432/prod", "CREDENTIAL"),
    ("Ship it to 12 Elm Road, Springfield", "STREET_ADDRESS")])
def test_real_values_beside_them_still_found(scanner: PrivacyScanner, text: str, entity: str) -> None:
    result = scanner.scan(text)
    assert result.level != "public"
    assert entity in {s.entity_type for s in result.spans}


def test_stock_placeholder_people_are_no_person(scanner: PrivacyScanner) -> None:
    from shoal.privacy.placeholders import placeholder_name

    assert placeholder_name("John Doe") and placeholder_name("Max Mustermann") and not placeholder_name("John Dorr")
    spans = scanner.detect_pii("Jane Doe and Richard Roe are the usual placeholder names; ask Dana Whitfield")
    assert [s.text for s in spans if s.entity_type == "PERSON"] == ["Dana Whitfield"]


@pytest.mark.parametrize(("value", "after", "nobodys"), [
    ("10.0.0.12", "", True), ("172.17.0.3", "", True), ("192.168.1.20", "", True), ("127.0.0.1", ":5432", True),
    ("0.0.0.0", "", True), ("192.0.2.10", "", True), ("198.51.100.14", "", True), ("203.0.113.45", "", True),
    ("2001:db8::1", "", True), ("1.1.1.1", "", True), ("8.8.4.4", "", True), ("100.64.0.0", "/10", True),
    ("84.23.101.0", "/24", True),
    ("84.23.101.7", "", False), ("2a03:2880:f12f:83::25de", "", False), ("91.198.174.192", " ", False)])
def test_ip_addresses_that_name_no_host_on_the_internet(value: str, after: str, nobodys: bool) -> None:
    assert nobodys_ip(value, after) is nobodys


def test_documented_example_ibans_only() -> None:
    assert documented_iban("DE89 3704 0044 0532 0130 00") and documented_iban("gb82west12345698765432")
    assert not documented_iban("DE75 5121 0800 1245 1261 99")


@pytest.mark.parametrize(("text", "found"), [
    ("Formato de teléfono español para validar: +34 612 345 678", False),
    ("Welches Telefonnummernformat ist Standard? 030 12345678", False),
    ("Dados de teste: CPF 000.000.000-00", False),
    ("Call Maria on +34 612 345 678 about her results", True),  # a made-up number without a format cue still counts
    ("Format for Danish numbers? Mine is +45 28 91 40 77", True),  # no counting run: a real-looking number
    ("Spanish mobiles look like this, e.g. +34 612 345 678", False),  # "e.g." ends in a dot
    # A format word thousands of characters away, in another part of a long paste, is not this number's cue.
    ("What is the date format in ISO 8601? " + "The quarterly review went fine overall. " * 60
     + "Call Maria on +34 612 345 678 about her results", True),
])
def test_counting_numbers_are_format_examples_only_beside_format_words(text: str, found: bool) -> None:
    assert bool(PATTERN_DETECTORS["PHONE_NUMBER"](text)) is found


@pytest.mark.parametrize(("text", "secret"), [
    ('conn = psycopg.connect(host="db", user="app", password=password)', None),
    ("password = var.db_password", None),
    ("If a password was posted in a Slack channel, rotate it?", None),
    ("stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'  # from Stripe's docs", None),
    ("STRIPE_KEY=sk_test_xxxxxxxxxxxxxxxx", None),
    ('password = "password"', "password"),  # a literal: the (bad) password itself
    ("my password is password", "password"),
    ("db_password=hunter2", "hunter2"),
    ("POSTGRES_PASSWORD=s3cr3tPass", "s3cr3tPass"),  # an environment file's prefixed name
    ("aws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCYzzzKEY", "wJalrXUtnFEMIK7MDENGbPxRfiCYzzzKEY"),
])
def test_variables_and_documented_keys_are_not_secrets(text: str, secret: str | None) -> None:
    values = [s.text for s in PATTERN_DETECTORS["CREDENTIAL"](text)]
    assert values == ([secret] if secret else [])


@pytest.mark.parametrize(("text", "found"), [
    ("Date of birth: 01/01/1970 (sample record)", False),
    ("DOB 1900-01-01", False),
    ("Date of birth: 03/11/1984", True),
])
def test_placeholder_dates_of_birth(text: str, found: bool) -> None:
    assert bool(PATTERN_DETECTORS["DATE_OF_BIRTH"](text)) is found


@pytest.mark.parametrize(("text", "address"), [
    ("remitente Fulano de Tal, Calle Falsa 123, Springfield", None),
    ("Testgegevens: Jan Jansen, Teststraat 1, 1234 AB Teststad", None),
    ("Sherlock lives at 221B Baker Street, London", None),
    ('How do you write the date "30 April 2026" in Danish?', None),
    ("Rezept für 4 Personen auf 9 umrechnen", None),
    ("exp 12/34, CVC 123, and asserts the charge", None),
    ("Example values: ALT 88, AST 61, GGT 140.", None),
    ("con IVA al 22 %", None),
    ("Protagonist: Dr. Amara Nwachukwu, 41, a cardiologist", None),
    ("Send it to 12 Elm Street, Springfield", "12 Elm Street, Springfield"),
    ("Sie wohnt in der Hauptstraße 12, 10115 Berlin", "Hauptstraße 12, 10115 Berlin"),
    ("Martin Luther King Dr 45", "Martin Luther King Dr 45"),
])
def test_placeholder_addresses_and_what_is_not_an_address(text: str, address: str | None) -> None:
    found = [s.text for s in AddressDetector().detect(text)]
    assert found == ([address] if address else [])


@pytest.mark.parametrize(("text", "secret"), [
    ("My password for everything is Biscuit1987! (my dog's name)", "Biscuit1987"),
    ("A minha password do Moodle da faculdade é Benfica_1904 e não consigo entrar", "Benfica_1904"),
    ("Passordet til felles-Wi-Fi på kontoret er Fjordbris#2025, skal vi bytte det?", "Fjordbris#2025"),
    ("le code de la porte du local serveur à Lyon c'est 7720B et celui du parking", "7720B"),
    ("Il codice della cassaforte in negozio è 58-21-96, scrivilo nelle istruzioni", "58-21-96"),
    ("the password is too short", None),  # prose: no digit or symbol in the word after the verb
    ("Your password is at least 12 characters", None),
    ("Die PIN ist 4 Stellen lang", None),
    ("The PIN for the demo account is 0000", None),  # one repeated digit: a blank
    ("Write a pre-commit hook that blocks strings like -----BEGIN PRIVATE KEY-----.", None),  # a marker, no key
    ('Firebase config has apiKey: "AIza..." — is that a secret?', None),
])
def test_secrets_named_in_a_sentence(text: str, secret: str | None) -> None:
    values = {s.text for s in PATTERN_DETECTORS["CREDENTIAL"](text)}
    assert values == ({secret} if secret else set())
