"""Check digits of the identifiers the PII detectors find.

A pattern alone flags any long number; the check digit is what tells a card number from an
order id. Each function takes the raw matched text (separators allowed) and returns a bool.
"""

from __future__ import annotations

import re

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def digits_only(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def luhn_valid(number: str) -> bool:
    """Payment card check (ISO/IEC 7812): 12-19 digits passing ``luhn``."""
    digits = digits_only(number)
    return 12 <= len(digits) <= 19 and luhn(digits)


def luhn(digits: str) -> bool:
    """The Luhn mod-10 check over a string of digits of any length: double every second digit from
    the right (cards, Swedish personnummer, Canadian SIN)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# Lengths of IBANs per country (ISO 13616 registry); a wrong length is invalid even if mod-97 passes.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def iban_valid(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters → 10..35, the number mod 97 is 1."""
    compact = _NON_ALNUM.sub("", iban).upper()
    if len(compact) < 15 or len(compact) > 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and expected != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    remainder = 0
    for ch in rearranged:
        if ch.isdigit():
            remainder = (remainder * 10 + (ord(ch) - 48)) % 97
        elif "A" <= ch <= "Z":
            remainder = (remainder * 100 + (ord(ch) - 55)) % 97
        else:
            return False
    return remainder == 1


def aba_routing_valid(number: str) -> bool:
    """US ABA routing transit number: weights 3-7-1 over nine digits sum to a multiple of 10."""
    digits = digits_only(number)
    if len(digits) != 9 or digits == "000000000":
        return False
    weights = (3, 7, 1) * 3
    return sum(w * (ord(c) - 48) for w, c in zip(weights, digits, strict=True)) % 10 == 0


def ssn_valid(number: str) -> bool:
    """US SSN structure rules (SSA): area not 000, 666 or 9xx; group not 00; serial not 0000."""
    digits = digits_only(number)
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    # Numbers the SSA has published as examples, and runs of one digit, are not real people's.
    return digits not in ("078051120", "219099999", "123456789") and len(set(digits)) > 1
