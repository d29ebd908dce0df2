"""Pattern detectors: identifiers with a fixed shape, confirmed by check digits or by context.

Each detector is a function ``text -> list[Span]``; ``PATTERN_DETECTORS`` maps entity types to
them so the scanner enables/disables types by name. Context words are searched in a small window
before the match (a "routing number" label, a "password:" key) because a bare nine-digit number
is not personal data by itself.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator

from shoal.privacy.checksums import aba_routing_valid, digits_only, iban_valid, luhn_valid, ssn_valid
from shoal.privacy.digit_gates import digit_runs, matches_at, occurrences
from shoal.privacy.national_ids import detect_national_id
from shoal.privacy.normalize import caseless, lowered_pattern
from shoal.privacy.placeholders import (
    counting_number,
    documented_iban,
    documented_test_card,
    fictional_phone,
    format_cue,
    nobodys_ip,
    placeholder_dob,
    placeholder_secret,
    reserved_email,
)
from shoal.privacy.types import Span

Detector = Callable[[str], list[Span]]

_I = re.IGNORECASE


# Cheap exact gates: a detector whose pattern cannot match without a digit (or an "@", or a ":")
# returns at once for texts without one; most prompts have no digits, so most detectors cost
# one C-level search instead of their full pattern. The digit-run starts are shared with
# ``national_ids`` (``shoal.privacy.digit_gates``).
_DIGIT = re.compile(r"\d")


def _before(text: str, start: int, width: int = 40) -> str:
    return text[max(0, start - width):start].lower()


# --- e-mail ---------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24}(?![\w-])")


def detect_email(text: str) -> list[Span]:
    spans = []
    done = 0
    # ``finditer``'s matches, each searched for from 64 characters before the next "@" (a match holds
    # exactly one, after at most 64 characters of local part): no match can start earlier, and the
    # pattern does not try every letter of a long text on the way there.
    while (at := text.find("@", done)) >= 0:
        m = _EMAIL.search(text, max(done, at - 64))
        if m is None:
            break
        if not reserved_email(m.group()):
            spans.append(Span(m.start(), m.end(), "EMAIL_ADDRESS", m.group(), 1.0))
        done = m.end()
    return spans


# --- phone numbers --------------------------------------------------------------------------------

# Optional country code, optional trunk "(0)", then digit groups joined by one separator each, and
# an optional extension. The digit count (7-15, E.164) and the context decide the rest.
_PHONE = re.compile(
    r"(?<![\w+/.:-])(?:\+\d{1,3}[ .-]?)?(?:\(0\) ?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,8}){0,5}"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?(?![\w/]|-\d|\.\d)", _I)
_PHONE_CONTEXT = re.compile(r"\b(phone|tel|telephone|mobile|cell|fax|call|text|sms|whatsapp|desk|"
                            r"(?:my|his|her|your|their|our|contact)\s+number|contact|reach|dial)\b", _I)
# Labels of other numbers: a labelled routing or card number is never taken for a phone number.
_OTHER_NUMBER = re.compile(r"\b(routing|aba|account|acct|ssn|social security|card|iban|order|invoice|ticket|"
                           r"tracking|reference|ref|zip|postal|postcode|license|licence|passport|id)\b[^\d]{0,20}$",
                           _I)
# The country code, check digits and any groups of an IBAN right before a digit run: the run is the
# rest of the IBAN, not a phone number.
_IBAN_LEAD = re.compile(r"(?<![\w])[a-z]{2}\d{2}(?: ?[a-z0-9]{4})* ?$")
# A label right after the number that ends its line or field, as contact blocks write it
# ("781 1704 office", "085 175 7641-Office,"; not "1 500 000 office chairs").
_PHONE_LABEL_AFTER = re.compile(r"[ \t]*[-–(]?[ \t]*(?:office|fax|mobile|cell|phone|tel|desk)\)?[ \t]*"
                                r"(?:$|[\n,;\\/|])", _I | re.MULTILINE)
_SSN_SHAPE = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|^\d{1,2}[-.]\d{1,2}[-.](?:19|20)\d{2}$")
# "2023-2024", "1914/1918": a span of years, not a phone number, unless a phone label says otherwise.
_YEAR_RANGE = re.compile(r"^(1[5-9]\d\d|20\d\d)[-–/](1[5-9]\d\d|20\d\d)$")


def _year_range(raw: str) -> bool:
    m = _YEAR_RANGE.match(raw)
    return m is not None and 0 < int(m.group(2)) - int(m.group(1)) <= 100


def detect_phone(text: str) -> list[Span]:
    runs = digit_runs(text)
    if not runs:
        return []
    spans: list[Span] = []
    for m in matches_at(_PHONE, text, _phone_starts(text, runs)):
        raw = m.group().rstrip(" .-")
        digits = digits_only(raw.split("x")[0].split("X")[0].lower().split("ext")[0])
        if not 7 <= len(digits) <= 15 or _DATE_LIKE.search(raw) or text.startswith(":", m.start() + len(raw)):
            continue
        if _SSN_SHAPE.match(raw) or _OTHER_NUMBER.search(_before(text, m.start(), 30)):
            continue
        if _IBAN_LEAD.search(_before(text, m.start(), 40)):
            continue  # the groups of an IBAN ("GB82 WEST 1234 5698 …"), a documented one included
        has_plus = raw.startswith("+")
        separated = bool(re.search(r"[\s.()-]", raw))
        context = bool(_PHONE_CONTEXT.search(_before(text, m.start(), 30))
                       or _PHONE_LABEL_AFTER.match(text, m.start() + len(raw)))
        if not (has_plus or context or (separated and len(digits) >= 7 and _looks_grouped(raw))):
            continue
        if not context and _year_range(raw):
            continue
        if not separated and not has_plus and not context:
            continue
        if fictional_phone(raw):
            continue
        if counting_number(digits) and format_cue(text[max(0, m.start() - _CUE_REACH):m.end() + _CUE_REACH]):
            continue
        score = 0.9 if (has_plus or context) else 0.6
        spans.append(Span(m.start(), m.start() + len(raw), "PHONE_NUMBER", raw, score))
    return spans


_PHONE_MARK = re.compile(r"[+(]")
# How far around a counting number a word about formats or examples counts: the sentence or paragraph
# that shows the format, not a mention thousands of characters away in a long paste (and a search over
# all of a long text for every such number was most of this detector's time on dense prompts).
_CUE_REACH = 400


def _phone_starts(text: str, runs: tuple[int, ...]) -> list[int]:
    """Where a ``_PHONE`` match can start, ascending: at a "+" or "(" (a country code or area code),
    or at a digit after no word character (its look-behind), which starts a digit run."""
    if "+" not in text and "(" not in text:
        return list(runs)
    return sorted(set(runs).union(m.start() for m in _PHONE_MARK.finditer(text)))


def _looks_grouped(raw: str) -> bool:
    """Digit groups as phone numbers are written, not a postal code ("90010-170") or a list of amounts.

    Two groups: a short prefix and a long subscriber part ("467 3395", "0341 8387176"). More groups:
    at least two of two digits or more ("516 466 638", "71-33-52-22").
    """
    groups = re.findall(r"\d+", raw)
    if len(groups) == 2:
        return len(groups[0]) <= 4 and len(groups[1]) >= 4
    return 3 <= len(groups) <= 6 and all(len(g) >= 2 for g in groups[1:]) and sum(map(len, groups)) >= 8


# --- US social security numbers -------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])")
_SSN_CONTEXT = re.compile(r"\b(ssn|social security|social sec|ss#|ss #|taxpayer|tin)\b", _I)
_SSN_LABELLED = re.compile(r"\b(?:ssn|social security(?: number| no\.?)?|social sec\.?|ss ?#)\s*(?:number|no\.?|#)?"
                           r"\s*(?:is|was|:|=|-)?\s*$", _I)


def detect_ssn(text: str) -> list[Span]:
    runs = digit_runs(text)
    if not runs:
        return []
    spans = []
    for m in matches_at(_SSN, text, runs):  # (?<![\w-]) before the first digit: a run start
        if not ssn_valid(m.group()):
            # "My SSN is 123-45-6789": a number given as someone's SSN is sensitive by intent, even one
            # that can never be issued; only the label right before it counts, not a mention nearby.
            if _SSN_LABELLED.search(_before(text, m.start(), 40)):
                spans.append(Span(m.start(), m.end(), "US_SSN", m.group(), 0.9))
            continue
        context = bool(_SSN_CONTEXT.search(_before(text, m.start(), 40)))
        if not m.group(2) and not context:  # nine bare digits are an SSN only when labelled as one
            continue
        spans.append(Span(m.start(), m.end(), "US_SSN", m.group(), 1.0 if context else 0.85))
    return spans


# --- payment cards --------------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\w-])(?:\d{4}[ -]?){2,3}\d{1,7}(?![\w-])|(?<![\w-])\d{12,19}(?![\w-])")
_CARD_CONTEXT = re.compile(r"\b(card|visa|mastercard|amex|maestro|debit|credit|cc|pan)\b", _I)


# "my IBAN is …", "meine Kartennummer: …": a documented example number given as the writer's own is
# sensitive by intent, as an unissuable SSN after "My SSN is" is (``detect_ssn``): whoever types it as
# theirs may be testing the gate with a value they know, or pasting their real one in its place. The
# possessive must lead the label right before the number; "the IBAN DE89… from the docs" stays a format.
# (Not Danish "mit": German "mit Karte", "with a card", is no owner.)
_OWNED_LABEL = re.compile(
    r"\b(?:my|our|meine?|unsere?|mon|ma|notre|mi|mis|nuestra|nuestro|il mio|la mia|mio|mia|nostro|nostra|mijn|onze|"
    r"minha|meu|nossa|nosso|mój|moja|moje|mitt|min)\s+"
    r"(?:\w+\s+){0,2}?(?:iban|card|credit card|debit card|card number|karte|kartennummer|kreditkarte|carte|"
    r"carte bancaire|tarjeta|carta|kaart|creditcard|cartão|karta|kort|kortnummer|konto|kontonummer|account)"
    r"(?:\s*(?:number|no\.?|nummer|numéro|número|numero|#))?\s*(?:is|ist|est|es|è|is:|=|:|-|—)?\s*$", _I)


_NOT_OWNED = re.compile(r"\b(?:test|testing|sample|example|dummy|fake|demo|sandbox|beispiel|exemple|ejemplo|esempio)\b", _I)


def _owned(text: str, start: int) -> bool:
    label = _OWNED_LABEL.search(_before(text, start, 48))
    return label is not None and _NOT_OWNED.search(label.group()) is None


def detect_credit_card(text: str) -> list[Span]:
    runs = digit_runs(text)
    if not runs:
        return []
    spans = []
    for m in matches_at(_CARD, text, runs):  # both forms start with a digit after (?<![\w-]): a run start
        digits = digits_only(m.group())
        # 12-digit (Maestro) numbers are too short to trust the check digit without a "card" label.
        shortest = 12 if _CARD_CONTEXT.search(_before(text, m.start(), 50)) else 13
        if shortest <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1 and (
                not documented_test_card(digits) or _owned(text, m.start())):
            spans.append(Span(m.start(), m.end(), "CREDIT_CARD", m.group(), 1.0))
    return spans


# --- IBAN -----------------------------------------------------------------------------------------

# Any case: people type "gb29nwbk..." too; the mod-97 check keeps the precision.
_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?(?![\w])")


def detect_iban(text: str) -> list[Span]:
    runs = digit_runs(text)
    if not runs:
        return []
    spans = []
    # Two letters, then digits: a match starts two characters before a digit run.
    for m in matches_at(_IBAN, text, (pos - 2 for pos in runs if pos >= 2)):
        raw = m.group()
        # Grouped IBANs may swallow the next word's start; try shorter groupings until valid.
        while raw and not iban_valid(raw):
            cut = raw.rfind(" ")
            if cut < 15:
                raw = ""
                break
            raw = raw[:cut]
        if raw and (not documented_iban(raw) or _owned(text, m.start())):
            spans.append(Span(m.start(), m.start() + len(raw), "IBAN_CODE", raw, 1.0))
    return spans


# --- bank routing and account numbers -------------------------------------------------------------

_NINE = re.compile(r"(?<![\w-])\d{9}(?![\w-])")
_ROUTING_CONTEXT = re.compile(r"\b(routing|aba|rtn|transit|wire|bank)\b", _I)
_ACCOUNT = re.compile(
    r"\b(?:bank\s+)?(?:account|acct|a/c)\.?\s*(?:number|no\.?|num|#)?\s*(?:is|:|=|-)?\s*"
    r"(\d(?:[ -]?\d){5,16})(?![\w-])", _I)


_ACCOUNT_LOW = lowered_pattern(_ACCOUNT) or _ACCOUNT


def _account_starts(low: str) -> Iterator[int]:
    """Where an ``_ACCOUNT`` match can start in lower-cased text, ascending: at each "acc" or "a/c" (its
    label word), after "bank" and blanks right before one. ``finditer`` tried the pattern at every
    position of the text, and "account" is a common word in prose."""
    for at in occurrences(low, ("acc", "a/c")):
        blank = at
        while blank > 0 and low[blank - 1].isspace():
            blank -= 1
        if blank < at and low.startswith("bank", blank - 4):
            yield blank - 4
        yield at


def detect_bank(text: str) -> list[Span]:
    runs = digit_runs(text)
    if not runs:
        return []
    spans = []
    for m in matches_at(_NINE, text, runs):  # nine digits after (?<![\w-]): a run start
        if aba_routing_valid(m.group()) and _ROUTING_CONTEXT.search(_before(text, m.start(), 40)):
            spans.append(Span(m.start(), m.end(), "US_BANK_ROUTING", m.group(), 0.95))
    low = caseless(text)
    # Every account match holds "account", "acct" or "a/c" in some case: "acc" or "a/c" lower-cased.
    if low is None:
        accounts: Iterable[re.Match[str]] = _ACCOUNT.finditer(text)
    else:  # case-sensitively on the lower-cased text (``caseless``), tried only where a match can start
        accounts = matches_at(_ACCOUNT_LOW, low, _account_starts(low)) if "acc" in low or "a/c" in low else ()
    for m in accounts:
        start, end = m.span(1)
        if not any(s.start <= start < s.end for s in spans):
            spans.append(Span(start, end, "US_BANK_NUMBER", text[start:end], 0.8))
    return spans


# --- IP addresses ---------------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


_IPV6_GATE = re.compile(r":[0-9A-Fa-f]{0,4}:")
_VERSION = re.compile(r"\b(?:version|ver|v|release|build|rev)\.?\s*$", _I)


def detect_ip(text: str) -> list[Span]:
    runs = digit_runs(text)
    if ":" not in text and not runs:  # IPv6 may be all hex letters
        return []
    spans = []
    # IPv4 starts with a digit after (?<![\w.]): a run start. IPv6 may start with a letter.
    # IPv6 has two colons with at most four hex digits between them (its gate finds that at C speed:
    # it starts with a literal).
    ipv6 = _IPV6.finditer(text) if ":" in text and _IPV6_GATE.search(text) else ()
    for found in (matches_at(_IPV4, text, runs), ipv6):
        for m in found:
            candidate = m.group()
            if candidate.count(":") and len(candidate.replace(":", "")) < 4:
                continue  # "a::b" style times and ratios are not addresses
            if _VERSION.search(_before(text, m.start(), 12)):
                continue
            try:
                ipaddress.ip_address(candidate)
            except ValueError:
                continue
            if nobodys_ip(candidate, text[m.end():m.end() + 4]):
                continue
            spans.append(Span(m.start(), m.end(), "IP_ADDRESS", candidate, 0.95))
    return spans


# --- dates of birth -------------------------------------------------------------------------------

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = (r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2}|"
         rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}})")
_DOB = re.compile(
    r"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?|geburtsdatum|"
    rf"fecha\s+de\s+nacimiento|date\s+de\s+naissance)\b\s*(?:is|was|:|-|=)?\s*({_DATE})", _I)


def detect_dob(text: str) -> list[Span]:
    if not _DIGIT.search(text):
        return []
    low = caseless(text)  # the same matches, case-sensitively on the lower-cased text: faster
    # On lower-cased text, tried only where a label starts: ``finditer`` tried every position.
    found = matches_at(_DOB_LOW, low, occurrences(low, _DOB_STARTS)) if low is not None else _DOB.finditer(text)
    return [Span(m.start(1), m.end(1), "DATE_OF_BIRTH", text[m.start(1):m.end(1)], 0.95) for m in found
            if not placeholder_dob(m.group(1))]


_DOB_LOW = lowered_pattern(_DOB) or _DOB
# Every ``_DOB`` match starts with one of these, lower-cased ("d.o.b", "dob", "d.ob" and "do.b" are
# the four ways to write its first label).
_DOB_STARTS = ("dob", "d.ob", "do.b", "d.o.b", "date", "birth", "born", "geburtsdatum", "fecha")


# --- credentials ----------------------------------------------------------------------------------

# Formats with a recognisable prefix: precise on their own.
_KEY_FORMATS = re.compile(
    r"(?<![\w-])(?:"
    r"AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}"  # GitHub tokens
    r"|sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"  # OpenAI / Anthropic keys
    r"|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWT
    # Registry and platform tokens, in the formats their providers document for secret scanning:
    r"|npm_[A-Za-z0-9]{36}"  # npm access tokens
    r"|pypi-AgE[A-Za-z0-9_-]{40,}"  # PyPI API tokens (a macaroon: "pypi-AgEIcHlwaS5vcmc...")
    r"|hf_[A-Za-z0-9]{30,40}"  # Hugging Face access tokens
    r"|dop_v1_[a-f0-9]{64}|doo_v1_[a-f0-9]{64}"  # DigitalOcean personal and OAuth tokens
    r"|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"  # Shopify app tokens
    r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"  # SendGrid API keys
    r"|GOCSPX-[A-Za-z0-9_-]{28}"  # Google OAuth client secrets
    r"|dapi[a-f0-9]{32}(?:-\d)?"  # Databricks personal access tokens
    r"|\d{8,10}:AA[A-Za-z0-9_-]{33}"  # Telegram bot tokens
    r"|hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}"  # Slack webhooks
    r"|AccountKey=[A-Za-z0-9+/]{86}=="  # Azure storage account keys (in connection strings)
    r")(?![\w-])")
# A key block with a body (header lines such as "Proc-Type:" may come first; in JSON the line breaks are
# written "\\n"): the bare marker, as in
# "block commits containing -----BEGIN PRIVATE KEY-----", is no key.
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----(?:\s|\\n)*(?:[A-Za-z-]+:[^\n]*\n\s*)*[A-Za-z0-9+/=]{16}"
                          r".*?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|\Z)", re.DOTALL)
# "password: hunter2", "api_key=...", "my password is X", "Authorization: Bearer X"; the end of a prefixed
# name as in environment files and configs ("POSTGRES_PASSWORD=...", "aws_secret_access_key = ...": no
# letter or digit right before the name, an underscore or a dot may be).
_KEYED_SECRET = re.compile(
    r"(?<![a-z0-9])(?:pass(?:word|wd|phrase)?|pwd|pin|secret|client[_ -]?secret|api[_ -]?key|access[_ -]?key|"
    r"secret[_ -]?key|auth[_ -]?token|access[_ -]?token|token|bearer|private[_ -]?key)"
    r"(?:[ \t]+(?:is|was))?[ \t]*(?::|=|is\b|was\b)[ \t]*[\"']?([^\s\"',;]{4,200})", _I)  # same line only
# The same names followed by the value after a space alone, as people paste them into prose ("account sid
# AC… auth token 9ca9f30d…", "api key 4f2a…"): only a long value of letters and digits both (a key, not
# a word: "the token limit", "api key rotation" are prose).
_SPACED_SECRET = re.compile(
    r"(?<![a-z0-9])(?:pass(?:word|wd|phrase)|pwd|secret|client[_ -]?secret|api[_ -]?key|access[_ -]?key|"
    r"secret[_ -]?key|auth[_ -]?token|access[_ -]?token|token|bearer|private[_ -]?key)[ \t]+"
    r"((?=[a-z0-9_+/=.-]*[0-9])(?=[a-z0-9_+/=.-]*[a-z])[a-z0-9_+/=.-]{15,199}[a-z0-9=])"
    r"(?![a-z0-9_+/=-]|\.[a-z0-9])", _I)
# A secret named in a sentence, in the languages the scan knows: "the password for everything is
# Biscuit1987!", "A minha password do Moodle é Benfica_1904", "Passordet til Wi-Fi er Fjordbris#2025",
# "le code de la porte c'est 7720B". Up to six words may stand between the name and the verb; the
# value must look like a secret (a digit or a symbol in it: "the password is too short" is prose).
_NAMED_SECRET = re.compile(
    r"\b(?:master |wi-?fi |wlan |admin |root )?(?:password|passwort|kennwort|passcode|passphrase|mot de passe|mdp|"
    r"contrase[ñn]a|senha|palavra-passe|wachtwoord|l[öo]senord|passord|adgangskode|has[łl]o|salasana|pin|pin-code|"
    r"pincode|pin code|code pin|c[óo]digo pin|(?:door|gate|safe|alarm|wi-?fi|entry|access) code|t[üu]rcode|"
    r"code (?:de la porte|du portail|d['’]acc[èe]s|de l['’]alarme|wi-?fi)|codice (?:della porta|della cassaforte|"
    r"dell['’]allarme|del cancello)|c[óo]digo (?:de la puerta|do port[ãa]o|da porta|del portal))[^\W\d_]{0,4}"
    r"(?:[ \t]+[^\s.,;:!?\"'=]{1,24}){0,6}?[ \t]+(?:is|was|=|ist|lautet|war|est|c['’]est|[eé]tait|es|era|[eèé]|er|var|[äa]r|"
    r"jest|to|on|vale)(?![^\W\d_])[ \t]*:?[ \t]*[\"'«„]?([^\s\"'»“,;]{4,64})", _I)
_BEARER = re.compile(r"\bBearer\s+([A-Za-z0-9._~+/-]{16,}=*)")
_URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]{3,})@", _I)


# Exact gates: every key format holds a run of at least 11 of [A-Za-z0-9_-] (the shortest is a JWT's
# "eyJ" + 8); every labelled secret names one of these words; the others need a literal marker.
_KEY_FORMAT_GATE = re.compile(r"[A-Za-z0-9_-]{11}")
_KEYED_SECRET_GATE = re.compile(r"pass|pwd|pin|secret|key|token|bearer", _I)


def detect_credentials(text: str) -> list[Span]:
    spans = []
    if occurrences(text, _KEY_PREFIXES) and _KEY_FORMAT_GATE.search(text):
        spans += [Span(m.start(), m.end(), "CREDENTIAL", m.group(), 1.0) for m in _KEY_FORMATS.finditer(text)
                  if not placeholder_secret(m.group())]
    if "-----BEGIN " in text:
        spans += [Span(m.start(), m.end(), "CREDENTIAL", m.group(), 1.0) for m in _PRIVATE_KEY.finditer(text)]
    # The case-insensitive rules run on the lower-cased text when it matches at the same places
    # (``caseless``); the values are cut from the text as written.
    low = caseless(text)
    found: list[tuple[re.Pattern[str], str, float, Iterable[re.Match[str]]]] = []
    if low is not None:
        # Every match of a labelled-secret rule starts with one of its lead words: on the lower-cased
        # text ``str.find`` lists those places and the rule is tried there only (``matches_at``: the
        # matches ``finditer`` finds), instead of a case-insensitive search of the whole text.
        starts = occurrences(low, _KEYED_SECRET_LEADS)
        if starts:
            found.append((_KEYED_SECRET_LOW, low, 0.9, matches_at(_KEYED_SECRET_LOW, low, starts)))
            found.append((_SPACED_SECRET_LOW, low, 0.85, matches_at(_SPACED_SECRET_LOW, low, starts)))
        starts = occurrences(low, _NAMED_SECRET_LEADS)
        if starts:
            found.append((_NAMED_SECRET_LOW, low, 0.85, matches_at(_NAMED_SECRET_LOW, low, starts)))
    else:
        if _KEYED_SECRET_GATE.search(text):
            found.append((_KEYED_SECRET, text, 0.9, _KEYED_SECRET.finditer(text)))
            found.append((_SPACED_SECRET, text, 0.85, _SPACED_SECRET.finditer(text)))
        if _NAMED_SECRET_GATE.search(text):
            found.append((_NAMED_SECRET, text, 0.85, _NAMED_SECRET.finditer(text)))
    if "Bearer" in text:
        found.append((_BEARER, text, 0.95, _BEARER.finditer(text)))
    if "://" in text:
        found.append((_URL_PASSWORD, text, 0.95, _URL_PASSWORD.finditer(text)))
    for rx, where, score, matches in found:
        for m in matches:
            start, end = m.span(1)
            value = text[start:end]
            if value.lower() in _NOT_A_SECRET or _REFERENCE.match(value) or placeholder_secret(value):
                continue
            if _named_variable(value, where[m.start():start]):
                continue
            if (rx is _SPACED_SECRET or rx is _SPACED_SECRET_LOW) and len(_LETTER_DIGIT.findall(value)) < 3:
                continue  # "usage_per_request_2024": an identifier, not a key (keys mix letters and digits throughout)
            if rx is _NAMED_SECRET or rx is _NAMED_SECRET_LOW:
                value = value.rstrip(".!?)")
                end = start + len(value)
                if len(value) < 4 or not _SECRET_LIKE.search(value):
                    continue
            spans.append(Span(start, end, "CREDENTIAL", value, score))
    return spans


# Every key format starts with one of these (case-sensitive, as the pattern is): a text without any
# skips the pattern.
_KEY_PREFIXES = ("AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk-", "_live_", "_test_",
                 "xox", "AIza", "glpat-", "eyJ", "npm_", "pypi-", "hf_", "dop_v1_", "doo_v1_", "shp", "SG.", "GOCSPX-",
                 "dapi", ":AA", "hooks.slack.com", "AccountKey=")
_KEYED_SECRET_LOW = lowered_pattern(_KEYED_SECRET) or _KEYED_SECRET
_SPACED_SECRET_LOW = lowered_pattern(_SPACED_SECRET) or _SPACED_SECRET
# A change from a letter to a digit or back.
_LETTER_DIGIT = re.compile(r"[^\W\d_](?=\d)|\d(?=[^\W\d_])")
# ``lowered_pattern`` refuses this one for its ``\W``/``\d`` classes, which lower-casing keeps (``caseless``
# checks that every character keeps its class): case-sensitive on the lower-cased text, a third of the time.
_NAMED_SECRET_LOW = re.compile(_NAMED_SECRET.pattern)
_NAMED_SECRET_GATE = re.compile(r"pass|wort|mdp|contrase|senha|ord|has[łl]o|salasana|pin|code|codice|c[óo]digo", _I)
# A digit, or a symbol between letters: what sets a password apart from a word ("Fjordbris#2025", "7720B").
_SECRET_LIKE = re.compile(r"\d|[^\w\s][A-Za-z0-9]")
# What every match of ``_KEYED_SECRET`` / ``_NAMED_SECRET`` starts with, lower-cased (a prefix of
# each alternative that can begin a match; a shorter prefix only adds places to try). Checked against
# both patterns' whole-text matches by tests/privacy/test_fast_paths.py.
_KEYED_SECRET_LEADS = ("pass", "pwd", "pin", "secret", "client", "api", "access", "auth", "token", "bearer",
                       "private")
_NAMED_SECRET_LEADS = ("master ", "wifi", "wi-fi", "wlan ", "admin ", "root ", "pass", "kennwort", "mot de passe",
                       "mdp", "contrase", "senha", "palavra-passe", "wachtwoord", "lösenord", "losenord",
                       "adgangskode", "hasło", "haslo", "salasana", "pin", "code", "codi", "códi", "door", "gate",
                       "safe", "alarm", "entry", "access", "türcode", "turcode")


# Words that follow "password is"/"token:" in ordinary prose about credentials, not secrets.
_NOT_A_SECRET = frozenset({
    "required", "incorrect", "invalid", "wrong", "expired", "missing", "empty", "reset", "changed",
    "correct", "valid", "needed", "optional", "null", "none", "redacted", "<redacted>", "***", "******",
    "too", "not", "the", "a", "an", "my", "your", "same", "different", "strong", "weak", "case-sensitive",
    "blank", "vazio", "vazia", "vacío", "vacía", "vide", "leer", "vuoto", "leeg",
})


# A value that names where the secret lives instead of holding it: an env-var or template reference,
# a function call or attribute of code ("os.getenv(...)", "${DB_PASSWORD}", "{{ secret }}", "<token>").
# A value that is itself a variable named for a secret ("password=password)", "password = var.db_password",
# "pwd: db_pass"): code passing a secret along, not the secret. After "is"/"was" a lower-case past
# participle is prose ("the password was posted in Slack").
_SECRET_VARIABLE = re.compile(r"(?=[A-Za-z_])[\w.]*(?:pass|pwd|secret|token|key)[\w.]*[);,]*", _I)
_PARTICIPLE = re.compile(r"[a-z]{3,}ed")


def _named_variable(value: str, label: str) -> bool:
    """``value`` after ``label`` (the keyed pattern's text up to the value) is a variable or prose, not a secret."""
    if label.endswith(("'", '"')):
        return False  # a string literal: the value itself
    if label.rstrip(" \t").lower().endswith((" is", " was")):
        return bool(_PARTICIPLE.fullmatch(value))
    return bool(_SECRET_VARIABLE.fullmatch(value)) and not any(ch.isdigit() for ch in value)


_REFERENCE = re.compile(r"\$\{?[A-Za-z_]|\{\{|%\(|<[A-Za-z_ -]+>?$|(?:os|process|self|settings|config|env|environ|"
                        r"request|args|kwargs|vault|secrets?|var|vars|local|locals|module|data|inputs?|params|ctx|"
                        r"context)[.\[(]|[A-Za-z_][\w.]*\(|[a-z]+://", _I)


# --- US driver's licences (only with their label: the formats vary by state) ---------------------

_DRIVER_LICENSE = re.compile(
    r"\bdriver'?s?\s+licen[cs]e(?:\s+(?:number|no\.?|#|id))?\s*(?:is|:|=|-)?\s*([A-Z0-9](?:[A-Z0-9-]{4,18})[A-Z0-9])\b",
    _I)


def detect_driver_license(text: str) -> list[Span]:
    if not _DIGIT.search(text):
        return []
    low = caseless(text)
    if low is not None and "driver" not in low:  # every match holds the word, in any case
        return []
    return [Span(m.start(1), m.end(1), "US_DRIVER_LICENSE", m.group(1), 0.85)
            for m in _DRIVER_LICENSE.finditer(text) if any(ch.isdigit() for ch in m.group(1))]


PATTERN_DETECTORS: dict[str, Detector] = {
    "EMAIL_ADDRESS": detect_email,
    "CREDIT_CARD": detect_credit_card,
    "IBAN_CODE": detect_iban,
    "US_SSN": detect_ssn,
    "US_BANK": detect_bank,  # emits US_BANK_ROUTING and US_BANK_NUMBER
    "IP_ADDRESS": detect_ip,
    "DATE_OF_BIRTH": detect_dob,
    "CREDENTIAL": detect_credentials,
    "US_DRIVER_LICENSE": detect_driver_license,
    "PHONE_NUMBER": detect_phone,
    "NATIONAL_ID": detect_national_id,
}
"""Detector per entity type, in priority order: when spans overlap, the earlier type wins."""
