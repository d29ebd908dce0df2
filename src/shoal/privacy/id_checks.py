"""Check algorithms of national identity, tax and health numbers outside the US.

Each function takes the compact value (digits, or digits and letters without separators, upper
case) and returns whether it is well formed: length, structure (a birth date where the number holds
one, allowed prefixes) and the check digit or letter. Written from the issuing authorities' public
descriptions of each scheme; no lookups, no state. ``shoal.privacy.national_ids`` finds the
candidates in text and decides which need a label.
"""

from __future__ import annotations

import datetime

from shoal.privacy.checksums import luhn


def _ints(digits: str) -> list[int]:
    return [ord(c) - 48 for c in digits]


def date_ok(year: int, month: int, day: int) -> bool:
    """A real calendar date (leap years included)."""
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _yymmdd_ok(yy: int, month: int, day: int, centuries: tuple[int, ...] = (1900, 2000)) -> bool:
    """A two-digit-year date that is real in one of ``centuries`` (29 February needs a leap year)."""
    return any(date_ok(c + yy, month, day) for c in centuries)


# --- United Kingdom -------------------------------------------------------------------------------

def nhs_number(digits: str) -> bool:
    """NHS number (England, Wales, Isle of Man; Scotland's CHI uses the same check): ten digits,
    weights 10..2 over the first nine, check = 11 − (sum mod 11), 11 → 0, 10 never issued."""
    if len(digits) != 10:
        return False
    d = _ints(digits)
    check = 11 - sum(w * x for w, x in zip(range(10, 1, -1), d, strict=False)) % 11
    if check == 11:
        check = 0
    return check != 10 and check == d[9]


# HMRC NIM39110: D, F, I, Q, U, V never as either prefix letter, O never second; these pairs unused.
_NINO_BAD_LETTERS = frozenset("DFIQUV")
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def uk_nino(value: str) -> bool:
    """UK National Insurance number: two prefix letters, six digits, suffix A–D (may be left off)."""
    if len(value) not in (8, 9) or not value[:2].isalpha() or not value[2:8].isdigit():
        return False
    first, second = value[0], value[1]
    if first in _NINO_BAD_LETTERS or second in _NINO_BAD_LETTERS or second == "O":
        return False
    if value[:2] in _NINO_BAD_PREFIXES:
        return False
    return len(value) == 8 or value[8] in "ABCD"


# --- Germany, Austria, Switzerland ----------------------------------------------------------------

def de_steuer_id(digits: str) -> bool:
    """German tax identification number (IdNr): eleven digits, no leading zero; in the first ten one
    digit occurs twice or three times (never three in a row) and the rest at most once; the check
    digit is ISO/IEC 7064 MOD 11,10."""
    if len(digits) != 11 or digits[0] == "0":
        return False
    body = digits[:10]
    counts = sorted((body.count(c) for c in set(body)), reverse=True)
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] > 1):
        return False
    if counts[0] == 3 and any(body[i] == body[i + 1] == body[i + 2] for i in range(8)):
        return False
    product = 10
    for x in _ints(body):
        s = (x + product) % 10 or 10
        product = (s * 2) % 11
    check = 11 - product
    return (0 if check == 10 else check) == ord(digits[10]) - 48


def at_svnr(digits: str) -> bool:
    """Austrian social insurance number: three serial digits, a check digit, then the birth date
    DDMMYY; check = sum with weights 3,7,9,–,5,8,4,2,1,6 mod 11 (10 never issued)."""
    if len(digits) != 10 or digits[0] == "0":
        return False
    d = _ints(digits)
    if not 1 <= d[4] * 10 + d[5] <= 31 or not 1 <= d[6] * 10 + d[7] <= 12:
        return False  # unknown birth dates are coded with other months; those need no matching
    check = sum(w * x for w, x in zip((3, 7, 9, 0, 5, 8, 4, 2, 1, 6), d, strict=True)) % 11
    return check != 10 and check == d[3]


def ch_ahv(digits: str) -> bool:
    """Swiss AHV/AVS number: 13 digits starting with the country code 756, EAN-13 check digit."""
    if len(digits) != 13 or not digits.startswith("756"):
        return False
    d = _ints(digits)
    total = sum(x * (3 if i % 2 else 1) for i, x in enumerate(d[:12]))
    return (10 - total % 10) % 10 == d[12]


# --- France, Belgium, Netherlands -------------------------------------------------------------------

def fr_nir(value: str) -> bool:
    """French NIR (numéro de sécurité sociale): sex digit, YY, MM, department (2A/2B for Corsica),
    commune, order number, and a key = 97 − (the 13-digit number mod 97), Corsica counted as 19/18."""
    if len(value) != 15 or value[0] not in "1234578":
        return False
    dept = value[5:7]
    body = value[:13]
    if dept in ("2A", "2B"):
        body = body[:5] + ("19" if dept == "2A" else "18") + body[7:]
    if not body.isdigit() or not value[13:].isdigit():
        return False
    month = int(body[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    return 97 - int(body) % 97 == int(value[13:])


def be_national_number(digits: str) -> bool:
    """Belgian national register number (rijksregisternummer / numéro de registre national): YYMMDD,
    a three-digit counter and a check = 97 − (first nine digits mod 97); born in 2000 or later the
    nine digits get a leading 2. Months +20/+40 mark bis numbers; 00 marks an unknown month or day."""
    if len(digits) != 11:
        return False
    month, day = int(digits[2:4]), int(digits[4:6])
    if month % 20 > 12 or month > 52 or day > 31:
        return False
    check = int(digits[9:])
    return 97 - int(digits[:9]) % 97 == check or 97 - int("2" + digits[:9]) % 97 == check


def nl_bsn(digits: str) -> bool:
    """Dutch burgerservicenummer: nine digits (eight with a leading zero left off) passing the
    11-proof, sum of digits × 9..2 minus the last digit ≡ 0 (mod 11)."""
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9:
        return False
    d = _ints(digits)
    total = sum(w * x for w, x in zip(range(9, 1, -1), d, strict=False)) - d[8]
    return total > 0 and total % 11 == 0


# --- Spain, Portugal, Italy -------------------------------------------------------------------------

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_dni(value: str) -> bool:
    """Spanish DNI (NIF of a person): eight digits and the letter at (number mod 23)."""
    return len(value) == 9 and value[:8].isdigit() and _DNI_LETTERS[int(value[:8]) % 23] == value[8]


def es_nie(value: str) -> bool:
    """Spanish NIE (foreigners): X/Y/Z (read as 0/1/2), seven digits, the DNI letter of that number."""
    if len(value) != 9 or value[0] not in "XYZ" or not value[1:8].isdigit():
        return False
    return _DNI_LETTERS[int(str("XYZ".index(value[0])) + value[1:8]) % 23] == value[8]


def pt_nif(digits: str) -> bool:
    """Portuguese NIF of a person (first digit 1–3, or 45 for non-residents): weights 9..2 over the
    first eight digits, check = 11 − (sum mod 11), 0 when that is 10 or 11. Companies' numbers
    (5, 6, 9…) are registry data, not a person's, and are left out."""
    if len(digits) != 9 or not (digits[0] in "123" or digits.startswith("45")):
        return False
    d = _ints(digits)
    r = sum(w * x for w, x in zip(range(9, 1, -1), d, strict=False)) % 11
    return (0 if r < 2 else 11 - r) == d[8]


# Codice fiscale: values of characters in odd (1st, 3rd…) and even positions (Agenzia delle Entrate,
# DM 23/12/1976); a digit counts as the letter at the same index (0 as A).
_CF_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
# Omocodia: digits replaced by these letters (0..9) where two people would share a code.
_CF_OMOCODE = "LMNPQRSTUV"
_CF_MONTHS = "ABCDEHLMPRST"


def it_codice_fiscale(value: str) -> bool:
    """Italian codice fiscale of a person: 6 letters, YY, month letter, day (+40 for women),
    municipality (letter + 3 digits), check letter; digits may be replaced by omocode letters."""
    if len(value) != 16 or not value.isalnum() or not value.isascii():
        return False
    if not value[:6].isalpha() or value[8] not in _CF_MONTHS or not value[11].isalpha() or not value[15].isalpha():
        return False
    numeric = [6, 7, 9, 10, 12, 13, 14]
    plain = list(value)
    for i in numeric:
        c = value[i]
        if c.isdigit():
            continue
        if c not in _CF_OMOCODE:
            return False
        plain[i] = str(_CF_OMOCODE.index(c))
    day = int(plain[9] + plain[10])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    total = 0
    for i, c in enumerate(value[:15]):
        idx = ord(c) - 48 if c.isdigit() else ord(c) - 65
        total += _CF_ODD[idx] if i % 2 == 0 else idx
    return chr(65 + total % 26) == value[15]


# --- Nordics ----------------------------------------------------------------------------------------

def se_personnummer(digits: str) -> bool:
    """Swedish personnummer / samordningsnummer: (YY)YYMMDD + three digits + a Luhn check over the
    ten digits from YY; coordination numbers add 60 to the day."""
    if len(digits) == 12:
        if digits[:2] not in ("18", "19", "20"):
            return False
        century = int(digits[:2]) * 100
        digits = digits[2:]
        centuries: tuple[int, ...] = (century,)
    elif len(digits) == 10:
        centuries = (1900, 2000)
    else:
        return False
    yy, month, day = int(digits[:2]), int(digits[2:4]), int(digits[4:6])
    if day > 60:
        day -= 60
    return _yymmdd_ok(yy, month, day, centuries) and luhn(digits)


def dk_cpr(digits: str) -> bool:
    """Danish CPR number: DDMMYY and four digits. Numbers issued since 2007 have no check digit, so
    only the date is checked (the detector always requires a CPR label)."""
    if len(digits) != 10:
        return False
    return _yymmdd_ok(int(digits[4:6]), int(digits[2:4]), int(digits[:2]), (1900, 2000, 1800))


def no_fodselsnummer(digits: str) -> bool:
    """Norwegian fødselsnummer / D-number: DDMMYY (D-numbers add 40 to the day, H-numbers 40 to the
    month), three individual digits and two mod-11 check digits."""
    if len(digits) != 11:
        return False
    d = _ints(digits)
    day, month = d[0] * 10 + d[1], d[2] * 10 + d[3]
    if day > 40:
        day -= 40
    if 40 < month <= 52:
        month -= 40
    if not _yymmdd_ok(d[4] * 10 + d[5], month, day, (1800, 1900, 2000)):
        return False
    for weights, pos in (((3, 7, 6, 1, 8, 9, 4, 5, 2), 9), ((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), 10)):
        k = 11 - sum(w * x for w, x in zip(weights, d, strict=False)) % 11
        if k == 11:
            k = 0
        if k == 10 or k != d[pos]:
            return False
    return True


_HETU_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_HETU_CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
                 "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}


def fi_hetu(value: str) -> bool:
    """Finnish henkilötunnus: DDMMYY, a century sign (+, -/Y/X/W/V/U, A–F), an individual number
    002–899 and a check character = (DDMMYYNNN mod 31) in 0-9A-Y without G, I, O, Q, Z."""
    if len(value) != 11 or value[6] not in _HETU_CENTURY or not (value[:6] + value[7:10]).isdigit():
        return False
    if not 2 <= int(value[7:10]) <= 899:
        return False
    if not date_ok(_HETU_CENTURY[value[6]] + int(value[4:6]), int(value[2:4]), int(value[:2])):
        return False
    return _HETU_CHARS[int(value[:6] + value[7:10]) % 31] == value[10]


# --- Central and Eastern Europe, Türkiye, Israel ---------------------------------------------------

def pl_pesel(digits: str) -> bool:
    """Polish PESEL: YYMMDD (the month carries the century: +80 for 1800s, +20 2000s, +40 2100s),
    four digits, check = (10 − weighted sum mod 10) mod 10 with weights 1,3,7,9."""
    if len(digits) != 11:
        return False
    d = _ints(digits)
    month = d[2] * 10 + d[3]
    century = {0: 1900, 1: 1900, 8: 1800, 9: 1800, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200}[d[2]]
    month = month % 20
    if not date_ok(century + d[0] * 10 + d[1], month, d[4] * 10 + d[5]):
        return False
    total = sum(w * x for w, x in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), d, strict=False))
    return (10 - total % 10) % 10 == d[10]


def ro_cnp(digits: str) -> bool:
    """Romanian CNP: sex/century digit, YYMMDD, county (01–52), serial, check with weights
    2,7,9,1,4,6,3,5,8,2,7,9 mod 11 (10 → 1)."""
    if len(digits) != 13 or digits[0] == "0":
        return False
    d = _ints(digits)
    centuries = {1: (1900,), 2: (1900,), 3: (1800,), 4: (1800,), 5: (2000,), 6: (2000,),
                 7: (1900, 2000), 8: (1900, 2000), 9: (1900, 2000)}[d[0]]
    if not _yymmdd_ok(d[1] * 10 + d[2], d[3] * 10 + d[4], d[5] * 10 + d[6], centuries):
        return False
    if not 1 <= d[7] * 10 + d[8] <= 52:
        return False
    r = sum(w * x for w, x in zip((2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9), d, strict=False)) % 11
    return (1 if r == 10 else r) == d[12]


def tr_kimlik(digits: str) -> bool:
    """Turkish T.C. Kimlik No: eleven digits, no leading zero; the tenth is (7 × odd-place sum −
    even-place sum) mod 10 over the first nine, the eleventh the sum of the first ten mod 10."""
    if len(digits) != 11 or digits[0] == "0":
        return False
    d = _ints(digits)
    if (7 * sum(d[0:9:2]) - sum(d[1:8:2])) % 10 != d[9]:
        return False
    return sum(d[:10]) % 10 == d[10]


def il_teudat_zehut(digits: str) -> bool:
    """Israeli identity number: nine digits (leading zeros may be left off), weights 1,2 alternating,
    two-digit products summed as their digits, total divisible by 10."""
    if not 5 <= len(digits) <= 9:
        return False
    d = _ints(digits.zfill(9))
    total = 0
    for i, x in enumerate(d):
        p = x * (1 + i % 2)
        total += p - 9 if p > 9 else p
    return total % 10 == 0 and any(d)


# --- Ireland ----------------------------------------------------------------------------------------

def ie_pps(value: str) -> bool:
    """Irish PPS number: seven digits, a check letter, and optionally a second letter (A, B, H, W,
    T, X); check = (digits × 8..2 + second letter × 9) mod 23, as W (0), A (1) … V (22)."""
    if len(value) not in (8, 9) or not value[:7].isdigit() or not value[7:].isalpha():
        return False
    total = sum(w * x for w, x in zip(range(8, 1, -1), _ints(value[:7]), strict=True))
    if len(value) == 9:
        if value[8] not in "ABHWTX":
            return False
        total += 9 * (0 if value[8] == "W" else ord(value[8]) - 64)
    return "WABCDEFGHIJKLMNOPQRSTUV"[total % 23] == value[7]


# --- the Americas -----------------------------------------------------------------------------------

def br_cpf(digits: str) -> bool:
    """Brazilian CPF: nine digits and two mod-11 check digits (weights 10..2, then 11..2)."""
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    d = _ints(digits)
    for n in (9, 10):
        check = sum(w * x for w, x in zip(range(n + 1, 1, -1), d, strict=False)) * 10 % 11 % 10
        if check != d[n]:
            return False
    return True


def ca_sin(digits: str) -> bool:
    """Canadian social insurance number: nine digits, Luhn; 0 and 8 are never the first digit."""
    return len(digits) == 9 and digits[0] not in "08" and luhn(digits)


# --- India ------------------------------------------------------------------------------------------

# Verhoeff's dihedral-group tables (multiplication in D5, and the position permutation).
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0))
_VERHOEFF_P1 = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)


def _verhoeff_p() -> tuple[tuple[int, ...], ...]:
    rows = [tuple(range(10))]
    for _ in range(7):
        rows.append(tuple(_VERHOEFF_P1[x] for x in rows[-1]))
    return tuple(rows)


_VERHOEFF_P = _verhoeff_p()


def verhoeff(digits: str) -> bool:
    """Verhoeff's check over any number of digits (catches every single error and adjacent swap)."""
    c = 0
    for i, x in enumerate(reversed(_ints(digits))):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][x]]
    return c == 0


def in_aadhaar(digits: str) -> bool:
    """Indian Aadhaar number: twelve digits, never starting with 0 or 1, Verhoeff check digit."""
    return len(digits) == 12 and digits[0] not in "01" and verhoeff(digits)
