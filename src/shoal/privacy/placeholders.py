"""Values that documentation conventions reserve for examples, so they are nobody's personal data or secret.

A mature detector has to tell ``john.doe@example.com, 555-0123`` in a template from a real contact,
and the AWS documentation's ``AKIAIOSFODNN7EXAMPLE`` from a leaked key. These are not guesses from a
benchmark; each rule is a published reservation:

- e-mail domains: ``example.com``/``.net``/``.org`` and the ``.example``, ``.test``, ``.invalid`` and
  ``.localhost`` top-level names (RFC 2606, RFC 6761);
- phone numbers: NANP 555-0100 to 555-0199 (reserved for fiction by the North American Numbering Plan
  Administrator), the unassigned area code 555, and Ofcom's drama ranges for the UK (``07700 900xxx``,
  ``020 7946 0xxx``, ``01632 960xxx``, ``0113-0191 496/498 0xxx`` …);
- payment cards: the test card numbers that card networks and processors publish for integration
  testing (4242 4242 4242 4242, 4111 1111 1111 1111 …); IBANs: the example IBANs of the SWIFT IBAN
  registry and of banks' and standards' documentation (``DE89 3704 0044 0532 0130 00``,
  ``GB82 WEST 1234 5698 7654 32`` …);
- IP addresses that name no host on the internet: private, loopback, link-local, shared and the
  documentation ranges (RFC 1918, 6598, 5737, 3849: ``ipaddress``'s ``is_global`` is false), a network
  written with its prefix length (``10.0.0.0/8``), and the public DNS resolvers everyone quotes
  (1.1.1.1, 8.8.8.8, 9.9.9.9 …) — a service's address, not a person's;
- phone numbers written as one repeated digit, or as a counting sequence (``+34 612 345 678``,
  ``030 12345678``, ``01 23 45 67 89``) in a text about formats or examples — the way formats are shown;
- credentials: the example keys in AWS's and Stripe's documentation, values that end in
  ``EXAMPLE``/``EXAMPLEKEY``, placeholder values (``changeme``, ``your-api-key-here``, ``xxxx``,
  ``PASSWORD`` in capitals as in ``postgres://USER:PASSWORD@HOST/DB``) and a key format's prefix
  followed by filler (``sk_test_xxxxxxxx``, ``ghp_XXXX…``);
- addresses: the placeholder towns ``Anytown``/``Anycity`` and Germany's ``Musterstadt``/``Musterstraße``,
  the placeholder streets of other languages' forms and docs (``Calle Falsa 123``, ``Rua Exemplo``,
  ``rue de l'Exemple``, ``ul. Przykładowa``, ``Voorbeeldstraat``, ``Teststraat``, ``123 Fake Street``)
  and famous addresses of fiction (``221B Baker Street``, ``742 Evergreen Terrace``, ``4 Privet Drive``);
- dates of birth: the Unix epoch and the other stock blanks of sample records (01/01/1970, 01/01/1900);
- national identity numbers: the examples the issuing authorities and the schemes' reference
  descriptions print (HMRC's ``QQ 12 34 56 A``, the NHS test range 999 000 0000–999 999 9999,
  Skatteverket's Tolvan Tolvansson 19121212-1212 …; sources beside each value below);
- names: the stock placeholder people of legal and form-filling convention (John and Jane Doe, Richard
  Roe, Joe Bloggs, Max and Erika Mustermann, John Q. Public, Fulano de Tal).

Real data that merely resembles these (another 555 exchange, a ``test`` word in a real password) is
not matched: every rule is an exact reservation, not a similarity.
"""

from __future__ import annotations

import ipaddress
import re

from shoal.privacy.checksums import digits_only

_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
# The words other languages' documentation uses as its example.com (a convention, not an RFC reservation).
_EXAMPLE_DOMAIN_WORDS = frozenset({"exemple", "beispiel", "ejemplo", "esempio", "voorbeeld", "exemplo", "przyklad",
                                   "exempel", "eksempel", "esimerkki"})
_RESERVED_TLDS = ("example", "test", "invalid", "localhost")


def reserved_email(value: str) -> bool:
    """An address at a domain reserved for documentation (RFC 2606 / 6761)."""
    domain = value.rsplit("@", 1)[-1].lower().rstrip(".")
    if domain.rsplit(".", 1)[-1] in _RESERVED_TLDS:
        return True
    labels = domain.split(".")
    if len(labels) >= 2 and labels[-2] in _EXAMPLE_DOMAIN_WORDS:
        return True
    return any(domain == d or domain.endswith("." + d) for d in _RESERVED_DOMAINS)


# UK drama ranges (Ofcom): (national prefix digits, first digits of the local part) — the rest is free.
_UK_DRAMA = (("07700900", 3), ("01632960", 3), ("02079460", 3), ("02896496", 3), ("02920180", 3),
             ("01134960", 3), ("01144960", 3), ("01154960", 3), ("01164960", 3), ("01174960", 3),
             ("01184960", 3), ("01214960", 3), ("01314960", 3), ("01414960", 3), ("01514960", 3),
             ("01614960", 3), ("01914980", 3), ("08081570", 3), ("09098790", 3), ("03069990", 3))


_COUNTING = ("012345", "123456", "234567", "345678", "456789")


def counting_number(digits: str) -> bool:
    """Digits holding a counting run of six or more (``612 345 678``, ``1234 5678``): how documentation
    shows a number's format — and how people make up a number, so this counts only beside words about
    formats or examples (``format_cue``). About one random ten-digit number in 30,000 holds such a run."""
    return any(run in digits for run in _COUNTING)


_FORMAT_CUE = re.compile(
    r"(?:format\w*|formato|formaat|regexp?|regul[aä]r\w* (?:expression|ausdruck)|valid\w*|validar|walidac\w*|"
    r"examples?|samples?|dummy|fake|placeholder|mock|fictional|test ?(?:data|number|phone|value)s?|"
    r"testdaten|testgegevens|testdata|dane testowe|datos de prueba|beispiel\w*|ejemplo|exemple|esempio|voorbeeld\w*|"
    r"exemplo|przyk[lł]ad\w*|exempel)\b|e\.g\.", re.IGNORECASE)  # "e.g." ends in a dot: no \b after it


def format_cue(text: str) -> bool:
    """The text talks about a format or an example (``+34 612 345 678`` is then a format example)."""
    return bool(_FORMAT_CUE.search(text))


def fictional_phone(value: str) -> bool:
    """A number from a range reserved for fiction and examples (NANP 555-01xx, area code 555, Ofcom
    drama), or one digit repeated (``000.000.000-00``)."""
    digits = digits_only(value)
    if len(digits) >= 7 and len(set(digits)) == 1:
        return True
    if digits.startswith("1") and len(digits) in (8, 11):  # "+1 555 0100": the country code before a local number
        digits = digits[1:]
    if len(digits) == 7:
        return digits.startswith("55501")
    if len(digits) == 10 and not value.lstrip().startswith("+44") and not digits.startswith("0"):
        return digits.startswith("555") or digits[3:8] == "55501"
    uk = digits.removeprefix("44")
    if not uk.startswith("0"):
        uk = "0" + uk
    return len(uk) == 11 and any(uk.startswith(p) for p, _ in _UK_DRAMA)


# Published integration-test card numbers (Stripe, Adyen, Braintree, PayPal docs).
_TEST_CARDS = frozenset({
    "4242424242424242", "4000056655665556", "4111111111111111", "4012888888881881", "4222222222222",
    "5555555555554444", "5200828282828210", "5105105105105100", "2223003122003222", "378282246310005",
    "371449635398431", "378734493671000", "6011111111111117", "6011000990139424", "3056930009020004",
    "36227206271667", "3566002020360505", "30569309025904", "38520000023237", "6200000000000005",
})


def documented_test_card(value: str) -> bool:
    """A payment card number that networks and processors publish for testing."""
    return digits_only(value) in _TEST_CARDS


# Example IBANs: the SWIFT IBAN registry's per-country examples, repeated in banks' and standards'
# documentation and in every IBAN tutorial (each passes the mod-97 check, as a real one would).
_DOCUMENTED_IBANS = frozenset({
    "DE89370400440532013000", "GB82WEST12345698765432", "GB29NWBK60161331926819", "FR1420041010050500013M02606",
    "FR7630006000011234567890189", "ES9121000418450200051332", "IT60X0542811101000000123456", "NL91ABNA0417164300",
    "BE68539007547034", "CH9300762011623852957", "AT611904300234573201", "PL61109010140000071219812874",
    "SE4550000000058398257466", "DK5000400440116243", "NO9386011117947", "FI2112345600000785",
    "PT50000201231234567890154", "IE29AIBK93115212345678", "LU280019400644750000", "GR1601101250000000012300695",
    "CZ6508000000192000145399", "HU42117730161111101800000000", "GB33BUKB20201555555555", "NL02ABNA0123456789",
    "DE02120300000000202051", "BE71096123456769", "CH5604835012345678009",
})


def documented_iban(value: str) -> bool:
    """An IBAN printed as the example in the IBAN registry and in documentation."""
    return value.replace(" ", "").upper() in _DOCUMENTED_IBANS


# Anycast addresses of the public DNS resolvers (Cloudflare, Google, Quad9, OpenDNS, Level 3).
_PUBLIC_RESOLVERS = frozenset({"1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112",
                               "208.67.222.222", "208.67.220.220", "4.2.2.2", "4.2.2.1", "2606:4700:4700::1111",
                               "2001:4860:4860::8888", "2001:4860:4860::8844"})


def nobodys_ip(value: str, after: str = "") -> bool:
    """An IP address that identifies no one: not globally routable (private, loopback, link-local,
    shared, documentation ranges), a network written with its prefix length (``after`` starts with
    ``/24``), or a public DNS resolver's address."""
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not ip.is_global or value in _PUBLIC_RESOLVERS or bool(_PREFIX_LENGTH.match(after))


_PREFIX_LENGTH = re.compile(r"/\d{1,3}\b")

_AWS_EXAMPLES = frozenset({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                           "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "AKIAI44QH8DHBEXAMPLE",
                           # Stripe's API reference has shown these test-mode keys to every reader for years.
                           "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "pk_test_TYooMQauvdEDq54NiTphI7jx"})
# A key format's prefix and then filler instead of the key: "sk_test_xxxxxxxx", "ghp_XXXX…", "sk-…****".
_FILLED_PREFIX = re.compile(r"[A-Za-z]{2,12}(?:[_-](?:live|test|proj|ant|pat))?[_-]?(?:[xX]{4,}|\*{4,}|\.{3,}|…|0{8,}|"
                            r"<[^<>]*>)")
# Stripe's documented test tokens and payment methods ("tok_visa", "pm_card_mastercard"): no digits.
_TEST_TOKEN = re.compile(r"(?:tok|pm|src)_(?:card_)?[a-z]+(?:_[a-z]+)*")
_PLACEHOLDER_VALUE = re.compile(
    r"your[-_ ]?(?:api[-_ ]?)?(?:key|token|secret|password|pass|pw|pwd|user(?:name)?)(?:[-_ ]here)?|"
    r"[a-z0-9_-]*[-_ ]here|x{3,}|\*{3,}|\.{3}|changeme|change[-_]me|changeit|"
    r"placeholder|dummy|redacted|(?:api[-_]?)?key[-_]?here|insert[-_ ][a-z0-9_ -]+|replace[-_ ]?me|todo|tbd|"
    r"<[^<>]+>|\[[^\[\]]+\]|\{[^{}]+\}")
_CAPS_WORD = re.compile(r"[A-Z][A-Z_]{2,}")
_CAPS_PLACEHOLDERS = frozenset({"PASSWORD", "PASS", "PASSWD", "PWD", "USER", "USERNAME", "SECRET", "TOKEN",
                                "API_KEY", "APIKEY", "KEY", "HOST", "DBNAME", "DATABASE", "YOUR_PASSWORD",
                                "YOUR_TOKEN", "YOUR_API_KEY", "YOUR_SECRET", "ACCESS_KEY", "SECRET_KEY"})


def placeholder_secret(value: str) -> bool:
    """A credential value that documentation uses as an example or a blank to fill in."""
    raw = value.strip("'\"`")
    if _FILLED_PREFIX.fullmatch(raw):  # "AIza...": the filler may be dots
        return True
    v = raw.rstrip(".,;:!?")  # sentence punctuation after the value is not part of it
    if v in _AWS_EXAMPLES or v.endswith(("EXAMPLE", "EXAMPLEKEY")) or _FILLED_PREFIX.fullmatch(v) or (
            _TEST_TOKEN.fullmatch(v)):
        return True
    if _CAPS_WORD.fullmatch(v) and v in _CAPS_PLACEHOLDERS:
        return True
    if len(v) >= 3 and len(set(v)) == 1:  # "0000", "xxxx": one character repeated
        return True
    return bool(_PLACEHOLDER_VALUE.fullmatch(v.lower()))


_PLACEHOLDER_TOWN = re.compile(
    r"\b(?:any ?town|any ?city|anystate|musterstadt|musterstra(?:ß|ss)e|musterhausen|beispielstra(?:ß|ss)e|"
    r"calle falsa|fake (?:street|st|road|avenue|lane)|example (?:street|st|road|avenue|lane)|"
    r"sample (?:street|st|road|avenue)|rua (?:de )?exemplo|rue de l['’]exemple|rue exemple|via esempio|"
    r"ul\. ?przyk[lł]adowa|przyk[lł]adowa|voorbeeldstraat|teststraat|teststra(?:ß|ss)e|testgatan|testvej|"
    r"221 ?b,? baker street|742 evergreen terrace|4,? privet drive|12 grimmauld place|124 conch street|"
    r"31 spooner street|1313 mockingbird lane|0001 cemetery lane)\b", re.IGNORECASE)


def placeholder_address(value: str) -> bool:
    """A postal address in a placeholder town or street (``123 Main St, Anytown``, ``Musterstraße 1``,
    ``Calle Falsa 123``) or a famous address of fiction (``221B Baker Street``)."""
    return bool(_PLACEHOLDER_TOWN.search(value))


# The Unix epoch and the other stock blanks of sample records, in the usual orders.
_PLACEHOLDER_DOB = re.compile(r"(?:0?1[/.-]0?1[/.-](?:1970|1900|2000)|(?:1970|1900|2000)-0?1-0?1|"
                              r"jan(?:uary)?\.? 1(?:st)?,? (?:1970|1900)|1(?:st)? jan(?:uary)?\.?,? (?:1970|1900))",
                              re.IGNORECASE)


def placeholder_dob(value: str) -> bool:
    """A date of birth that sample records use as a blank (1 January 1970, the Unix epoch, or 1900)."""
    return bool(_PLACEHOLDER_DOB.fullmatch(value.strip()))


_PLACEHOLDER_NAMES = frozenset({
    ("john", "doe"), ("jane", "doe"), ("john", "roe"), ("jane", "roe"), ("richard", "roe"), ("baby", "doe"),
    ("joe", "bloggs"), ("jane", "bloggs"), ("fred", "bloggs"), ("joe", "public"), ("john", "q", "public"),
    ("max", "mustermann"), ("erika", "mustermann"), ("otto", "normalverbraucher"), ("fulano", "de", "tal"),
    ("john", "smith", "doe")})
_NAME_WORD = re.compile(r"[^\W\d_]+")


def placeholder_name(value: str) -> bool:
    """A stock placeholder person ("John Doe", "Max Mustermann"), not anybody's name."""
    return tuple(w.lower() for w in _NAME_WORD.findall(value)) in _PLACEHOLDER_NAMES


# National identity numbers published as examples, compact and upper case (see national_ids.py).
_DOCUMENTED_IDS = frozenset({
    "9434765919",  # NHS number: the worked check-digit example of the NHS number's public description
    "9876544321",  # NHS number: the syntax example (NHS Data Dictionary, "987 654 4321")
    "AB123456C",  # UK NINO: the format example used on forms and in the scheme's public description
    "12345678Z",  # Spanish DNI: the stock example of the check-letter algorithm
    "X1234567L",  # Spanish NIE: the same example for foreigners' numbers
    "12345678909",  # Brazilian CPF 123.456.789-09: the stock example of the two check digits
    "RSSMRA80A01H501U",  # codice fiscale of the placeholder "Mario Rossi" (Rome, 1 Jan 1980)
    "RSSMRA85T10A562S",  # the same placeholder's code in the codice fiscale's public description
    "1212121212", "191212121212",  # Skatteverket's test person Tolvan Tolvansson, 19121212-1212
    "131052-308T",  # Finnish HETU: the example of the Digital and Population Data Services Agency
    "7561234567897",  # Swiss AHV 756.1234.5678.97: the example printed on the AHV card documentation
    "85073003328",  # Belgian national number 85.07.30-033.28: the check-digit example
    "255081416802538",  # French NIR 2 55 08 14 168 025 38: the key-computation example
    "86095742719",  # German Steuer-ID 86 095 742 719: the check-digit example of the IdNr
    "44051401359",  # Polish PESEL: the worked example of the check digit
    "10000000146",  # Turkish T.C. Kimlik No: the number used as the test value of the validation service
    "1234567T", "1234567TW",  # Irish PPS number: the format examples of the Department of Social Protection
    "123456782",  # Dutch BSN: the stock 11-proof example
})


def documented_national_id(value: str) -> bool:
    """A national identity number published as an example, or in a range reserved for testing (NHS
    numbers 999 000 0000–999 999 9999, never issued to a patient)."""
    compact = value.replace(" ", "").replace(".", "").upper()
    if compact in _DOCUMENTED_IDS:
        return True
    return len(compact) == 10 and compact.isdigit() and compact.startswith("999")
