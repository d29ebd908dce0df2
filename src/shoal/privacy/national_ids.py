"""National identity, tax and health numbers outside the US: one entity type, ``NATIONAL_ID``.

Covered (check algorithms in ``shoal.privacy.id_checks``): UK NHS number and National Insurance
number, German Steuer-ID, Austrian SV-Nummer, Swiss AHV number, French NIR, Belgian national
number, Dutch BSN, Spanish DNI and NIE, Portuguese NIF, Italian codice fiscale, Irish PPS number,
Swedish personnummer, Danish CPR, Norwegian fødselsnummer, Finnish henkilötunnus, Polish PESEL,
Romanian CNP, Turkish T.C. Kimlik No, Israeli teudat zehut, Brazilian CPF, Canadian SIN, Indian
Aadhaar.

Precision first. A bare run of 9–13 digits passes a mod-10 or mod-11 check by chance one time in
ten or eleven, so a *weak* format (digits only: PESEL, BSN, NHS, SIN, Steuer-ID, CPR, Aadhaar…)
counts only with its label — the ID's name in its own language or in English ("PESEL", "BSN",
"NHS number", "Steuer-ID", "personnummer", "Aadhaar"…) — in the text just before it, with no other
number in between, *and* a valid check. A *strong* format counts without a label: its shape is rare
in ordinary text and its check is tight — a codice fiscale (16 characters, check letter), a DNI or
NIE with its letter, a CPF written 000.000.000-00, a NINO written in pairs (AB 12 34 56 C), a Swedish
YYMMDD-XXXX with a real date, a HETU with its century sign, a Belgian YY.MM.DD-XXX.CC, a French NIR
written in its groups, a Swiss 756.XXXX.XXXX.XX. Values published as examples are nobody's
(``shoal.privacy.placeholders.documented_national_id``). A number given as someone's ID right after
its label ("Mój PESEL to …", "Mi DNI es …") counts even with a failing check (score 0.85): people
mistype and invent numbers, the intent is the same — as with a labelled SSN.

Cost: every candidate starts at (or a fixed distance before) a run of digits, so a text without
digits returns at once, and the patterns are tried only at digit-run starts (``matches_at``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from shoal.privacy import id_checks as ck
from shoal.privacy.digit_gates import digit_runs, matches_at
from shoal.privacy.placeholders import documented_national_id
from shoal.privacy.types import Span

ENTITY = "NATIONAL_ID"

# --- labels ---------------------------------------------------------------------------------------

# Each scheme's names (own language and English), searched case-insensitively in the lower-cased
# text before the number. Short acronyms that are also ordinary words keep word bounds; "SIN" and
# "NAS" (Spanish "sin" = "without", a phone number written "sin prefijo") are matched in capitals only.
_LABELS: dict[str, str] = {
    "nhs": r"\bnhs\b|\bchi (?:number|no)|health and care number",
    "nino": r"national insurance|\bnino\b|\bni (?:number|no\b)",
    "steuer": r"steuer[- ]?id|steuer-?idnr|\bidnr\b|identifikationsnummer|tax id|\btin\b|"
              r"steuernummer|tax identification",
    "svnr": r"sozialversicherungs|\bsvnr\b|\bsv-?n(?:umme)?r|versicherungsnummer|social security|social insurance",
    "ahv": r"\bahv\b|\bavs\b|ahv-n|sozialversicherungs|num[ée]ro avs|social security",
    "nir": r"\bnir\b|s[ée]cu\b|s[ée]curit[ée] sociale|\binsee\b|carte vitale|social security",
    "be": r"rijksregister|registre national|num[ée]ro national|\binsz\b|\bniss\b|national (?:register )?number|"
          r"identificatienummer",
    "bsn": r"\bbsn\b|burgerservicenummer|sofi-?nummer|citizen service number",
    "dni": r"\bdni\b|\bnif\b|documento nacional|\bnie\b",
    "nif": r"\bnif\b|contribuinte|identifica[çc][ãa]o fiscal|tax (?:id|number)",
    "cf": r"codice fiscale|\bc\.?f\.?\b|tax code|fiscal code",
    "pps": r"\bppsn?\b|personal public service",
    "se": r"personnum(?:mer|ret)|personnr|samordningsnummer|personal identity number",
    "dk": r"\bcpr\b|cpr-n|personnummer",
    "no": r"f[øo]dselsnummer|\bfnr\b|personnummer|d-nummer|national identity number",
    "fi": r"henkil[öo]tunnus|\bhetu\b|personbeteckning|personal identity code",
    "pesel": r"\bpesel\b",
    "cnp": r"\bcnp\b|cod numeric personal|personal numeric code",
    "tr": r"kimlik|\btckn\b|\btc no\b|turkish id",
    "il": r"teudat zehut|ת\.?ז|תעודת זהות|israeli id",
    "cpf": r"\bcpf\b|cadastro de pessoas",
    "sin": r"social insurance|assurance sociale",
    "aadhaar": r"aadh?aa?r|adhaar|आधार",
}
_LABEL_RX = {kind: re.compile(rx) for kind, rx in _LABELS.items()}
_LABEL_CAPS = {"sin": re.compile(r"\bSIN\b|\bNAS\b")}
_LABEL_WIDTH = 48
_LAST_DIGIT = re.compile(r".*\d", re.DOTALL)


def _label_window(text: str, start: int) -> tuple[str, str]:
    """The text before ``start`` back to the previous digit (at most ``_LABEL_WIDTH`` characters): a
    label counts for the number right after it, not for one past another number. As written and
    lower-cased."""
    window = text[max(0, start - _LABEL_WIDTH):start]
    m = _LAST_DIGIT.match(window)
    if m is not None:
        window = window[m.end():]
    return window, window.lower()


def _labelled(kind: str, window: tuple[str, str]) -> bool:
    caps = _LABEL_CAPS.get(kind)
    return bool(_LABEL_RX[kind].search(window[1]) or (caps is not None and caps.search(window[0])))


# A number *given as* someone's ID counts by intent even when its check fails ("Mi DNI es 48291736K"
# with a mistyped or invented letter), as a labelled SSN does (``patterns.detect_ssn``): only when the
# label stands right before it, with nothing between but separators, a verb or "number".
# Nordic possessives follow the noun, which takes a definite ending: "fødselsnummeret mitt er …".
_FILLER = re.compile(r"(?:[\s:=#.,'’()-]|n[°º]|\b(?:is|ist|es|est|to|é|è|er|är|on|was|era|number|nummer|numer|"
                     r"número|numero|numéro|no|nr|mitt|min|mine|mina|hans|hennes|hendes|sitt|sin)\b)*$", re.IGNORECASE)
_ADJACENT = {kind: re.compile(f"(?:{rx})(?:et|en)?$") for kind, rx in _LABELS.items()}
_ADJACENT_CAPS = {"sin": re.compile(r"\b(?:SIN|NAS)$")}
_GIVEN_SCORE = 0.85


def _given_as(kind: str, window: tuple[str, str]) -> bool:
    """Whether the window ends with ``kind``'s label, only fillers after it ("PESEL to ", "BSN: ")."""
    m = _FILLER.search(window[0])
    rest = window[0][:m.start()] if m is not None else window[0]
    caps = _ADJACENT_CAPS.get(kind)
    return bool(_ADJACENT[kind].search(rest.lower()) or (caps is not None and caps.search(rest)))


# --- digit-only schemes ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Scheme:
    kind: str
    length: int
    valid: Callable[[str], bool]
    # Digit-group lengths and separators of the written form that count without a label.
    strong: tuple[tuple[tuple[int, ...], str], ...] = ()


_SCHEMES: tuple[_Scheme, ...] = (
    _Scheme("nhs", 10, ck.nhs_number),
    _Scheme("steuer", 11, ck.de_steuer_id),
    _Scheme("svnr", 10, ck.at_svnr),
    _Scheme("ahv", 13, ck.ch_ahv, (((3, 4, 4, 2), "..."),)),
    _Scheme("be", 11, ck.be_national_number, (((2, 2, 2, 3, 2), "..-."),)),
    _Scheme("bsn", 9, ck.nl_bsn),
    _Scheme("bsn", 8, ck.nl_bsn),
    _Scheme("nif", 9, ck.pt_nif),
    _Scheme("se", 10, ck.se_personnummer, (((6, 4), "-"), ((6, 4), "+"))),
    # YYYYMMDD-XXXX is also how order and batch numbers are dated: the 12-digit form needs its label.
    _Scheme("se", 12, ck.se_personnummer),
    _Scheme("dk", 10, ck.dk_cpr),
    _Scheme("no", 11, ck.no_fodselsnummer),
    _Scheme("pesel", 11, ck.pl_pesel),
    _Scheme("cnp", 13, ck.ro_cnp),
    _Scheme("tr", 11, ck.tr_kimlik),
    _Scheme("il", 9, ck.il_teudat_zehut),
    _Scheme("il", 8, ck.il_teudat_zehut),
    _Scheme("cpf", 11, ck.br_cpf, (((3, 3, 3, 2), "..-"),)),
    _Scheme("sin", 9, ck.ca_sin),
    _Scheme("aadhaar", 12, ck.in_aadhaar),
    _Scheme("nir", 15, ck.fr_nir, (((1, 2, 2, 2, 3, 3, 2), "      "),)),
)
_BY_LENGTH: dict[int, tuple[_Scheme, ...]] = {}
for _s in _SCHEMES:
    _BY_LENGTH[_s.length] = (*_BY_LENGTH.get(_s.length, ()), _s)
_MIN_LEN, _MAX_LEN = min(_BY_LENGTH), max(_BY_LENGTH)

# A run of digit groups joined by one separator each (at most eight groups: the longest written form,
# the NIR, has seven). Not after a word character or "+" (a phone's country code), nor after a digit
# and a separator other than a blank (the middle of a date, a decimal, a version string).
_GROUPS = re.compile(r"(?<![\w+])(?<!\d[.,/-])\d{1,15}(?:[ ./-]\d{1,15}){0,7}")
_SEP = re.compile(r"[ ./-]")
# After the value: no word character, and no further digit group joined by a separator.
_END_OK = re.compile(r"(?![\w]|[.,/-]\d)")
# A check letter right after the digits: DNI "12345678Z", "12.345.678-Z"; PPS "1234567T(W)".
_LETTER_AFTER = re.compile(r"([ -]?)([A-Za-z]{1,2})(?![\w])")


def _digit_candidates(text: str, runs: tuple[int, ...]) -> list[Span]:
    spans: list[Span] = []
    for m in matches_at(_GROUPS, text, runs):
        raw = m.group()
        if len(raw) < 7:  # fewer than seven digits: a price, a year, a count (most digit runs)
            continue
        groups = _SEP.split(raw)
        seps = "".join(_SEP.findall(raw))
        start = m.start()
        # Prefixes of the group run, longest first: "PESEL 44051401359 600 700 800" holds the PESEL
        # as its first group. Each prefix ends where a group ends.
        ends: list[int] = []
        pos = start
        for g in groups:
            pos += len(g)
            ends.append(pos)
            pos += 1
        total = 0
        lengths = [len(g) for g in groups]
        last = len(groups) - 1
        for j in range(len(groups)):
            total += lengths[j]
            if total > _MAX_LEN:
                break
            if total < 7:  # the shortest value, a PPS number, has seven digits before its letter
                continue
            end = ends[j]
            digits = "".join(groups[:j + 1])
            letter = _LETTER_AFTER.match(text, end)
            span = _lettered(text, start, digits, letter) if letter is not None else None
            # A prefix counts only when a blank follows it ("44051401359 600 700"), not a "." or "-"
            # that carries the number on.
            if span is None and (seps[j] == " " if j < last else _END_OK.match(text, end) is not None):
                span = _numeric(text, start, end, digits, (tuple(lengths[:j + 1]), seps[:j]))
            if span is not None:
                spans.append(span)
                break
    return spans


# Words that name a reference number: a dated "order 811228-9874" is the shop's number, not a person's.
_REFERENCE = re.compile(r"\b(?:order|invoice|ticket|ref|reference|case|tracking|booking|batch|lot|build|version|"
                        r"serial|part|sku|po|bestellung|rechnung|factura|pedido|commande|facture|ordine|fattura|"
                        r"order(?:nummer|nr)|faktura|zamówienie|faktur[ay]?)\b")


def _numeric(text: str, start: int, end: int, digits: str, shape: tuple[tuple[int, ...], str]) -> Span | None:
    schemes = _BY_LENGTH.get(len(digits))
    if not schemes or _trivial(digits):
        return None
    window: tuple[str, str] | None = None
    for scheme in schemes:
        if not scheme.valid(digits) or documented_national_id(digits):
            continue
        if window is None:
            window = _label_window(text, start)
        if shape in scheme.strong and not _REFERENCE.search(window[1]):
            return Span(start, end, ENTITY, text[start:end], 0.95)
        if _labelled(scheme.kind, window):
            return Span(start, end, ENTITY, text[start:end], 0.95)
    if documented_national_id(digits):
        return None
    window = window or _label_window(text, start)
    # The label search first (one short search per scheme): most numbers have none nearby.
    if any(_labelled(scheme.kind, window) and _given_as(scheme.kind, window) for scheme in schemes):
        return Span(start, end, ENTITY, text[start:end], _GIVEN_SCORE)
    return None


def _lettered(text: str, start: int, digits: str, letter: re.Match[str]) -> Span | None:
    """A DNI (eight digits and a letter) or a PPS number (seven digits, one or two letters)."""
    joint, suffix = letter.group(1), letter.group(2)
    value = (digits + suffix).upper()
    end = letter.end()
    if len(digits) == 8 and len(suffix) == 1 and not _trivial(digits) and not documented_national_id(value):
        if not ck.es_dni(value):
            given = _given_as("dni", _label_window(text, start))
            return Span(start, end, ENTITY, text[start:end], _GIVEN_SCORE) if given else None
        # A capital attached or after "-" is the DNI's written form; "12345678 a" (a word after a
        # number) or a lower-case letter needs the label.
        if (suffix.isupper() and joint != " ") or _labelled("dni", _label_window(text, start)):
            return Span(start, end, ENTITY, text[start:end], 0.95)
    if (len(digits) == 7 and ck.ie_pps(value) and not documented_national_id(value)
            and _labelled("pps", _label_window(text, start))):
        return Span(start, end, ENTITY, text[start:end], 0.9)
    return None


_SEQUENCES = "01234567890123456789", "98765432109876543210"


def _trivial(digits: str) -> bool:
    """One digit repeated, or a counting run ("123456789"): typed as a blank, not anyone's number."""
    return len(set(digits)) == 1 or any(digits in s for s in _SEQUENCES)


# --- schemes with letters -------------------------------------------------------------------------

# Tried a fixed distance before a digit run (the letters before the first digit).
_NINO = re.compile(r"(?<![\w])([A-Za-z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2})(?: ?([A-Da-d]))?(?![\w])")
_CF = re.compile(r"(?<![\w])[A-Za-z]{6}\d{2}[A-Za-z][\dLMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][\dLMNPQRSTUVlmnpqrstuv]{3}"
                 r"[A-Za-z](?![\w])")
_NIE = re.compile(r"(?<![\w])[XYZxyz]-?\d{7}-?[A-Za-z](?![\w])")
_HETU = re.compile(r"(?<![\w+-])\d{6}[-+A-FU-Ya-fu-y]\d{3}[0-9A-Ya-y](?![\w])")
_NIR = re.compile(r"(?<![\w+])[1-478] ?\d{2} ?\d{2} ?(?:\d{2}|2[AaBb]) ?\d{3} ?\d{3} ?\d{2}(?![\w])")
_NIR_GROUPED = re.compile(r"\d \d{2} \d{2} (?:\d{2}|2[AB]) \d{3} \d{3} \d{2}")


def _letter_starts(text: str, runs: tuple[int, ...]) -> tuple[list[int], list[int], list[int]]:
    """Where a NINO, a codice fiscale and a NIE can start: a fixed distance before a digit run that
    has a letter (or a letter and a blank, a letter and "-") right before it. A cheap character test
    per run instead of a pattern tried at each."""
    nino: list[int] = []
    cf: list[int] = []
    nie: list[int] = []
    for p in runs:
        if p < 1:
            continue
        before = text[p - 1]
        if before.isalpha():
            if p >= 2:
                nino.append(p - 2)
            if p >= 6:
                cf.append(p - 6)
            if before in "XYZxyz":
                nie.append(p - 1)
        elif p < 2:
            continue
        elif before == " " and text[p - 2].isalpha() and p >= 3:
            nino.append(p - 3)
        elif before == "-" and text[p - 2] in "XYZxyz":
            nie.append(p - 2)
    return sorted(set(nino)), sorted(set(cf)), sorted(set(nie))


def _lettered_schemes(text: str, runs: tuple[int, ...]) -> list[Span]:
    spans: list[Span] = []
    nino_starts, cf_starts, nie_starts = _letter_starts(text, runs)
    for m in matches_at(_NINO, text, nino_starts):
        value = "".join(g for g in m.groups() if g).upper()
        written_caps = m.group(1).isupper() and (m.group(5) or "A").isupper()
        if not ck.uk_nino(value) or documented_national_id(value):
            continue
        # Capitals in pairs with the suffix ("JG 10 37 59 A", as cards and payslips print it) count alone;
        # the compact form is also how drug and part codes look ("SR141716A"), so it needs the label,
        # as does lower case or a missing suffix.
        spaced = m.group().count(" ") >= 3
        if (written_caps and spaced and m.group(5)) or _labelled("nino", _label_window(text, m.start())):
            spans.append(Span(m.start(), m.end(), ENTITY, m.group(), 0.9))
    for m in matches_at(_CF, text, cf_starts):
        value = m.group().upper()
        if documented_national_id(value):
            continue
        if ck.it_codice_fiscale(value):
            if m.group().isupper() or _labelled("cf", _label_window(text, m.start())):
                spans.append(Span(m.start(), m.end(), ENTITY, m.group(), 0.95))
        elif _given_as("cf", _label_window(text, m.start())):
            spans.append(Span(m.start(), m.end(), ENTITY, m.group(), _GIVEN_SCORE))
    for m in matches_at(_NIE, text, nie_starts):
        raw = m.group()
        value = raw.replace("-", "").upper()
        if documented_national_id(value):
            continue
        if ck.es_nie(value):
            if raw.isupper() or _labelled("dni", _label_window(text, m.start())):
                spans.append(Span(m.start(), m.end(), ENTITY, raw, 0.95))
        elif _given_as("dni", _label_window(text, m.start())):
            spans.append(Span(m.start(), m.end(), ENTITY, raw, _GIVEN_SCORE))
    for m in matches_at(_HETU, text, runs):
        raw = m.group()
        if not ck.fi_hetu(raw.upper()) or documented_national_id(raw.upper()):
            continue
        # Written in capitals (a digit check character has no case) counts; "010594y123w" in lower case
        # needs the label.
        if raw == raw.upper() or _labelled("fi", _label_window(text, m.start())):
            spans.append(Span(m.start(), m.end(), ENTITY, raw, 0.95))
    # Digit-only NIRs are found with the other digit schemes; this pattern is for Corsica's 2A/2B.
    corsica = "2A" in text or "2B" in text or "2a" in text or "2b" in text
    for m in matches_at(_NIR, text, runs if corsica else ()):
        raw = m.group()
        value = raw.replace(" ", "").upper()
        if "A" not in value and "B" not in value:
            continue
        if ck.fr_nir(value) and (_NIR_GROUPED.fullmatch(raw) or _labelled("nir", _label_window(text, m.start()))):
            spans.append(Span(m.start(), m.end(), ENTITY, raw, 0.95))
    return spans


def detect_national_id(text: str) -> list[Span]:
    """National identity, tax and health numbers (see the module docstring) as ``NATIONAL_ID`` spans."""
    runs = digit_runs(text)
    if not runs:
        return []
    return _digit_candidates(text, runs) + _lettered_schemes(text, runs)


__all__ = ["ENTITY", "detect_national_id"]
