from __future__ import annotations

import pytest

from shoal.privacy.checksums import aba_routing_valid, iban_valid, luhn_valid, ssn_valid


@pytest.mark.parametrize("number", ["5425 2334 3010 9903", "5500-0000-0000-0004", "340000000000009", "6011000990139424"])
def test_luhn_accepts_valid_cards(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4111 1111 1111 1112", "5500000000000005", "1234", "12345678901234567890"])
def test_luhn_rejects_wrong_check_digit_and_lengths(number: str) -> None:
    assert not luhn_valid(number)


@pytest.mark.parametrize("iban", ["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "fr1420041010050500013m02606"])
def test_iban_mod97_valid(iban: str) -> None:
    assert iban_valid(iban)


@pytest.mark.parametrize("iban", [
    "GB82WEST12345698765433",  # one digit changed: mod 97 fails
    "DE89370400440532013",  # wrong length for DE
    "XX00",  # too short
    "GB82WEST1234569876543!",
])
def test_iban_invalid(iban: str) -> None:
    assert not iban_valid(iban)


def test_aba_routing_checksum() -> None:
    assert aba_routing_valid("021000021")
    assert aba_routing_valid("011000015")
    assert not aba_routing_valid("021000022")
    assert not aba_routing_valid("000000000")
    assert not aba_routing_valid("12345678")


@pytest.mark.parametrize("ssn,ok", [
    ("123-45-6780", True), ("000-12-3456", False), ("666-12-3456", False), ("912-12-3456", False),
    ("123-00-4567", False), ("123-45-0000", False), ("078-05-1120", False), ("123456789", False),
])
def test_ssn_structure(ssn: str, ok: bool) -> None:
    assert ssn_valid(ssn) is ok
