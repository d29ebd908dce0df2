"""Documentation placeholders are nobody's data; real values next to them still are."""

from __future__ import annotations

import pytest

from shoal.privacy.placeholders import (
    documented_test_card,
    fictional_phone,
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
