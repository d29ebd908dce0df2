"""Street addresses: a street core found by shape and street-type words, then grown to the unit,
city, region, postal code and country that follow it.

Street cores recognised (multilingual street-type words, e.g. Road, Via, Rua, Calle, ul., -straße,
-vej, -gatan, -katu):

- ``90 Whitchurch Road`` — number, name, street type (US/UK/AU order);
- ``Via Tasso 129``, ``Vesterskovvej 79`` — street type or street-type suffix, then number;
- ``30866 Ránargata 87`` — number, name, number (several European orders);
- ``Pod Floriánem 1677`` after an address cue (``lives on``, ``address:``);
- military and PO box forms (``PSC 1234, Box 5678 APO AE 09012``, ``P.O. Box 12``);
- a street in lower case (no capitals to go by): number, name, number with a street type, or a
  name with a street type that is no ordinary English word (``2613 avenida praia 1``), or one that
  closes it (``12 main street``; inside a text with capitals elsewhere only after an address cue or
  before a city or postal line).

A core grows by a house number's ordinal dot (``Rákóczi út 66.``), a second street name that ends in
a street word (``1317 Kimberly Way Laidlaw Green``), the unit and the lines that follow.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from shoal.privacy.digit_gates import digit_runs, matches_at
from shoal.privacy.normalize import caseless
from shoal.privacy.placeholders import placeholder_address
from shoal.privacy.types import Span

_I = re.IGNORECASE

STREET_TYPES = (
    # English
    "street|st|road|rd|avenue|ave|av|lane|ln|drive|dr|court|ct|boulevard|blvd|way|place|pl|square|sq|"
    "terrace|ter|crescent|cres|close|circle|cir|highway|hwy|parkway|pkwy|trail|trl|row|walk|mews|grove|"
    "gardens|hill|park|plaza|alley|expressway|freeway|pike|path|loop|crossing|point|ridge|view|run|"
    "green|heights|estate|wharf|quay|broadway|causeway|esplanade|parade|promenade|"
    # Romance, Germanic, Nordic, Slavic, Baltic, Hungarian, Turkish, Greek (transliterated)
    "via|viale|vicolo|piazza|piazzetta|corso|largo|strada|contrada|borgo|lungomare|rua|travessa|praça|"
    "praca|rúa|esplanada|plac|avenida|alameda|estrada|largo|calle|carrer|camino|paseo|passeig|ronda|glorieta|plaza|carretera|"
    "rue|boulevard|allée|allee|chemin|impasse|quai|place|cours|route|sentier|"
    "straße|strasse|str|gasse|weg|platz|ring|damm|ufer|steig|chaussee|"
    "straat|laan|gracht|plein|kade|dreef|singel|"
    "vej|gade|gata|gatan|vägen|väg|veien|vegen|vei|stræti|vegur|gränd|torg|torget|"
    "katu|tie|kuja|polku|tori|"
    "terrasse|kapu|ul|ulica|ulice|aleja|al|náměstí|namesti|třída|trida|nábřeží|cesta|ulitsa|prospekt|pereulok|"
    "iela|gatve|tänav|tn|põik|maantee|mnt|puiestee|pst|trg|utca|út|tér|sokak|caddesi|cad|odos|leoforos"
)
_SUFFIX_MORPHEMES = re.compile(
    r"\w{3}(?:straße|strasse|str\.|gasse|weg|platz|allee|ring|damm|ufer|vej|vænget|gade|gata|gatan|vägen|väg|"
    r"veien|vegen|vei|stræti|vegur|gränd|torget|katu|tie|kuja|polku|straat|laan|gracht|plein|kade|singel|"
    r"utca|boulevard|stræde|steeg|dreef|tun|bakken|stien|haugen|lia|åsen|brekka|hagi|braut)$", _I)
_TYPE_WORD = re.compile(rf"^(?:{STREET_TYPES})\.?$", _I)
_WORD = r"(?:[^\W\d_][\w'’.-]*)"
_NAME_WORDS = rf"{_WORD}(?:[ -]{_WORD}){{0,4}}"
_NUM = r"\d{1,6}(?:[ -]?[A-Za-z](?![\w]))?(?:[/-]\d{1,4})?(?:[ \t]+\d{1,5}(?=[ \t]+[^\W\d_]))?"

_NUMBER_FIRST = re.compile(
    rf"(?<![\w.,-])({_NUM}),?[ \t]+({_NAME_WORDS})(?:[ \t]+(\d{{1,5}})(?![\w-]|\.\w))?", re.UNICODE)
_NAME_FIRST = re.compile(
    rf"(?<![\w-])({_NAME_WORDS}),?[ \t]+(\d{{1,5}}[A-Za-z]?(?:[/-]\d{{1,4}})?)(?![\w%$€£-]|\.\w)", re.UNICODE)
# An intersection: "the corner of Main Street and 5th Avenue".
# A dot followed by a space belongs to an abbreviation or a house number ("ul. Cicha 86", "kapu 39.", "Road St.").
_CORNER = re.compile(r"\b(?:the\s+)?corner\s+of\s+[^\W_](?:[^,;.!?\n]|\.(?=[ \t])){2,60}?\s+(?:and|&)\s+[^\W_][^,;!?\n]{2,40}?"
                     r"(?=[,;!?\n]|\.(?:\s|$)|$)", re.IGNORECASE)
_MILITARY = re.compile(
    r"\b(?:(?:USNS|USNV|USS|USCGC)\s+[A-Z][a-z]+|(?:unit|psc|cmr)\s+\d{3,4},?\s+box\s+\d{3,4})"
    r"\s*[\n,]?\s*(?:apo|fpo|dpo)\s+(?:aa|ae|ap)\s+\d{5}\b", _I)
_PO_BOX = re.compile(r"\b(?:p\.?\s?o\.?\s*box|post office box|postfach|apartado|caixa postal)\s+\d{1,6}\b", _I)
# What every match of the two patterns above contains, lower-cased (searched in ``caseless`` text).
_MILITARY_GATE = re.compile(r"[adf]po\s")
_PO_BOX_GATE = re.compile(r"(?:box|postfach|apartado|caixa postal)\s+\d")
_CUE = re.compile(r"(?:address(?:\s+is)?|addr|live[sd]?\s+(?:at|on|in)|living\s+(?:at|on)|located\s+(?:at|on)|"
                  r"is\s+on|moved\s+to|ship(?:ped)?\s+to|send\s+(?:it\s+)?to|deliver(?:ed)?\s+to|reside[sd]?\s+at|"
                  r"stay(?:ing)?\s+at|office\s+(?:is\s+)?(?:at|on)|visit\s+us\s+at|find\s+us\s+at|"
                  r"mail(?:ing)?\s+address|billing\s+address|home\s+address)\s*[:\-]?\s*"
                  r"(?:the\s+\w+\s+(?:side|end|part)\s+of\s+)?$", _I)
_DIGIT = re.compile(r"\d")
_QUOTE = r"(?:[>?•*·|]+[ \t]*)?"  # e-mail quoting and bullets at line starts
_UNIT = re.compile(rf"(?:,?\s*{_QUOTE}(?:apt\.?|apartment|suite|ste\.?|unit|flat|floor|fl\.?|room|rm\.?|#|bldg\.?|"
                   r"building|box|lgh\.?|leil\.?|wohnung|piso|dept\.?)(?![^\W\d_])\s*#?\s*(?=[\w-]*\d)[\w-]{1,6}"
                   r"(?![\w-]))+", _I)
# What may follow a street: city lines, region codes, postal codes and countries, separated by commas
# or line breaks (the separator is required: a space-separated capitalised word may start a sentence).
_POSTAL = r"(?:\d{3,6}(?:[ -]\d{2,4})?|[A-Z]\d[A-Z]\s?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]{2}-\d{4,5})"
_PLACE_WORD = r"[^\W\d_](?:[^\W\d_]|['’.-])*"
_PLACE = rf"(?:{_PLACE_WORD}(?:[ -]{_PLACE_WORD}){{0,3}})"
_TAIL_SEGMENT = re.compile(
    rf"(?:\s*[,\n]\s*{_QUOTE}|[ \t]+)(?:(?P<p1>{_POSTAL})(?:[ \t]+(?P<c1>{_PLACE}))?|(?P<c2>{_PLACE})(?:[ \t]+(?P<p2>{_POSTAL}))?)"
    r"(?![\w@])", re.UNICODE)
_SEPARATED = re.compile(r"^[ \t]*[,\n]")
# What follows the first digit groups of a phone number: more digits, or a phone label.
_PHONE_NEXT = re.compile(r"[ \t]*(?:[.-]?\d|[-–(]?[ \t]*(?:office|fax|mobile|cell|phone|tel|desk)\b)", _I)
_STOP_WORDS = frozenset("""a an the and or but is are was were be been i we you he she it they my our your
his her their this that to of in on at for with from by as if so not no yes please thanks thank can could
will would should may might must do does did have has had what when where which who how why""".split())  # noqa: SIM905


def _is_street_word(word: str) -> bool:
    return bool(_TYPE_WORD.match(word) or _SUFFIX_MORPHEMES.search(word))


def is_street_word(word: str) -> bool:
    """A street-type word ("Street", "ul.") or a word built on a street suffix ("Pohlstrasse")."""
    return _is_street_word(word)


def _has_type(words: str) -> bool:
    return any(_is_street_word(w) for w in re.split(r"[ -]", words))


# Words that make "number, words, number" a date, a quantity or a measurement, not a street without a
# type word ("30 April 2026", "4 Personen auf 9", "500 g Nudeln 400"): month names and the function
# words of the languages whose streets the detector knows (English ones are in ``_STOP_WORDS``).
_UNTYPED_NOT_STREET = frozenset("""january february march april may june july august september october november
december januar februar märz juni juli oktober dezember janvier février mars avril mai juin juillet août septembre
octobre novembre décembre enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre januari februari maart mei augustus
auf für mit und oder der die das dem ein eine von bei nach pro je et ou le les du pour avec par sur los las
del con por para per su gli een het met voor op aan ao com""".split())  # noqa: SIM905


def _acronyms(words: str) -> bool:
    """Only short all-capital words ("CVC", "AST", "IVA"): lab values, card fields, taxes — not a street."""
    parts = [w.rstrip(".,") for w in words.split(" ") if w]
    return bool(parts) and all(2 <= len(w) <= 4 and w.isupper() and w.isalpha() for w in parts)


# Type words that are also a title or a preposition where they stand: "Dr. Amara Osei, 41" (a doctor,
# not a drive: "Dr"/"St" as a type end the name, "Martin Luther King Dr"); "IVA al 22" (Italian "at
# the"): Polish "al."/"ul." come first.
_TITLE_TYPES = frozenset({"dr", "st"})
_LEADING_ONLY_TYPES = frozenset({"al", "ul"})


def _named_street(words: str) -> bool:
    """A name with a street-type word that names a street: not a lone type word ("Route 17"), a title
    in front of a person's name, or "al"/"ul" anywhere but first."""
    parts = [w for w in re.split(r"[ -]", words) if w]
    if len(parts) == 1:  # one word: a compound street name ("Hauptstraße"), not a type word alone
        return bool(_SUFFIX_MORPHEMES.search(parts[0])) and not _TYPE_WORD.match(parts[0])
    for i, w in enumerate(parts):
        if not _is_street_word(w):
            continue
        bare = w.lower().rstrip(".")
        if (bare in _TITLE_TYPES and i < len(parts) - 1) or (bare in _LEADING_ONLY_TYPES and i > 0):
            continue
        return True
    return False


def _capitalised(words: str) -> bool:
    """Street names are capitalised, apart from particles and street-type words ("rue des Lilas", "ul.")."""
    parts = [w for w in re.split(r"[ -]", words) if w]
    # At least one word capitalised: "lane road" or "rue des" alone is prose, or a street in lower case.
    return bool(parts) and (parts[0][0].isupper() or _is_street_word(parts[0])) and all(
        w[0].isupper() or w.lower().rstrip(".") in _PARTICLES or _is_street_word(w) for w in parts) and any(
        w[0].isupper() for w in parts)


_PARTICLES = frozenset({"de", "da", "do", "dos", "das", "di", "del", "della", "dei", "degli", "delle", "des",
                        "du", "het", "ter", "den", "og", "och", "u", "v", "w", "z", "na", "pod", "nad", "la", "le", "les", "van", "der",
                        "von", "am", "an", "im", "auf", "zu", "i", "y", "e", "ul", "al", "el"})


class AddressDetector:
    """Finds STREET_ADDRESS spans (whole address: street, unit, city, region, postal code, country)."""

    def detect(self, text: str) -> list[Span]:
        cores: list[tuple[int, int, float]] = []
        # Gates on the lower-cased text (``caseless``: where a case-insensitive literal matches the
        # text, the lower-case literal matches it): a pattern runs only if a literal every one of its
        # matches contains is there. Most prompts name no corner, box or military post.
        low = caseless(text)
        if low is None or "corner" in low:
            for m in _CORNER.finditer(text):
                cores.append((m.start(), m.end(), 0.85))
        # A text typed or pasted all in lower case ("2613 avenida praia 1 suite 463, mohács") has no
        # capitals to tell a street name from prose: there, stronger street shapes stand in for them.
        lower = text.islower()
        if _DIGIT.search(text):  # every other form has a house, box or unit number
            self._numbered(text, cores, low, lower)
        spans = []
        for start, end, score in _merge(cores):
            end = self._extend(text, end, lower or text[start:end].islower())
            value = text[start:end]
            if not placeholder_address(value):
                spans.append(Span(start, end, "STREET_ADDRESS", value, score))
        return spans

    @staticmethod
    def _numbered(text: str, cores: list[tuple[int, int, float]], low: str | None, lower: bool = False) -> None:
        if low is None or _MILITARY_GATE.search(low):
            for m in _MILITARY.finditer(text):
                cores.append((m.start(), m.end(), 0.95))
        if low is None or _PO_BOX_GATE.search(low):
            for m in _PO_BOX.finditer(text):
                cores.append((m.start(), m.end(), 0.9))
        # The house number starts a digit run ((?<![\w.,-]) before it): tried only there.
        for m in matches_at(_NUMBER_FIRST, text, digit_runs(text)):
            if lower:
                core = _lower_core(text, m)
                if core is not None:
                    cores.append(core)
                continue
            words = _trim_words(m.group(2))
            if not words or not _capitalised(words):
                if m.group(2)[:1].islower():  # a street typed in lower case inside ordinary text
                    core = _lower_core(text, m, strict=True)
                    if core is not None:
                        cores.append(core)
                continue
            end = m.start(2) + len(words)
            if m.group(3) and words == m.group(2) and not any(
                    w.lower() in _STOP_WORDS or w.lower() in _UNTYPED_NOT_STREET for w in words.split(" ")) and not (
                    _acronyms(words)):
                cores.append((m.start(), m.end(), 0.9))  # number, street, number
            elif _has_type(words) and " " in words:
                cores.append((m.start(), _end_of_type(text, m.start(2), words), 0.9))
            elif _CUE.search(text[max(0, m.start() - 40):m.start()]):
                cores.append((m.start(), end, 0.7))
        for m in _name_first(text):
            words = _trim_leading(m.group(1))
            if not words or not _capitalised(words):
                # "Address: björkgatan 1": one lower-case compound street word, after an address cue.
                last = m.group(1).rsplit(" ", 1)[-1]
                start = m.end(1) - len(last)
                if last.islower() and _SUFFIX_MORPHEMES.search(last) and _CUE.search(text[max(0, start - 40):start]):
                    cores.append((start, m.end(), 0.8))
                continue
            start = m.start(1) + (len(m.group(1)) - len(words))
            cue = bool(_CUE.search(text[max(0, start - 40):start]))
            if _named_street(words) or cue:
                cores.append((start, m.end(), 0.85 if cue else 0.8))

    @staticmethod
    def _extend(text: str, end: int, lower: bool = False) -> int:
        # A house number's ordinal dot ("Rákóczi út 66.", "Piroska u. 97."; Central European usage).
        if text.startswith(".", end) and text[end - 1:end].isdigit() and text[end + 1:end + 2] in ("", " ", "\t", "\n"):
            end += 1
        elif not lower:
            end = _second_street(text, end)
        m = _UNIT.match(text, end)
        if m:
            end = m.end()
        for _ in range(5):
            m = _TAIL_SEGMENT.match(text, end)
            if not m:
                break
            place = m.group("c1") or m.group("c2") or ""
            postal = m.group("p1") or m.group("p2") or ""
            first = place.split()[0].lower() if place else ""
            separated = bool(_SEPARATED.match(m.group()))
            if text.startswith(":", m.end()):
                break  # "Mobile:" is the label of the next field, not a city
            if m.group("p1") and _PHONE_NEXT.match(text, m.end("p1")):
                break  # "\n085 175 7641-Office": the first groups of a phone number, not a postal code
            if first in _STOP_WORDS or not (separated or postal or place.isupper()):
                break
            if place and not _capitalised(place) and not place.isupper() and not (lower and separated):
                break
            if lower and place and not _capitalised(place):
                # A lower-case place ends before a stop word: "69003 lyon please", "lyon and thanks".
                grp = "c1" if m.group("c1") else "c2"
                words = place.split(" ")
                kept = list(itertools.takewhile(lambda w: w.lower().rstrip(".,;:!?") not in _STOP_WORDS, words))
                if len(kept) < len(words):
                    if kept and not (grp == "c2" and m.group("p2")):
                        end = m.start(grp) + len(" ".join(kept))
                    break
            end = m.end()
            unit = _UNIT.match(text, end)
            if unit:
                end = unit.end()
        return end


def _trim_words(words: str) -> str:
    """Keep the street-name words: stop after a street-type word, or before a lowercase word."""
    out: list[str] = []
    for w in words.split(" "):
        if out and w.lower() in _STOP_WORDS:
            break
        if out and not (w[:1].isupper() or w.lower().rstrip(".") in _PARTICLES or _is_street_word(w)):
            break
        out.append(w)
        if _TYPE_WORD.match(w) and len(out) > 1:
            break
    return " ".join(out)


def _trim_leading(words: str) -> str:
    """For name-first streets, keep the capitalised run that ends at the number."""
    parts = words.split(" ")
    keep: list[str] = []
    for w in reversed(parts):
        # A lower-case street type inside the name counts too ("Merineitsi põik 87", "Rákóczi út 5"),
        # as long as a capitalised word comes with it (checked below: "the park 12" is no street).
        if w[:1].isupper() or w.lower().rstrip(".") in _PARTICLES or _is_street_word(w):
            keep.append(w)
        else:
            break
    while keep and keep[-1].lower().rstrip(".") in _PARTICLES - {"ul", "pod", "na", "u"}:
        keep.pop()
    if not any(w[:1].isupper() for w in keep):
        return ""
    return " ".join(reversed(keep))


def _end_of_type(text: str, start: int, words: str) -> int:
    """End of the street core: after the last street-type word, plus a direction (NW) if present."""
    end = start + len(words)
    m = _DIRECTION.match(text, end)  # at ``end`` in place: a slice would copy the rest of the text
    return m.end() if m else end


_DIRECTION = re.compile(r"\s+(?:N|S|E|W|NE|NW|SE|SW)\b\.?")
# Street-name endings of the US-style generators and gazetteers, and directions, accepted for a second
# street name right after a street core ("1317 Kimberly Way Laidlaw Green", "Ilmalankuja 82 Zachary
# Cliffs", "67 Devon Street West"): the core is the evidence, so these ordinary words are safe there
# (never on their own).
_SECOND_ENDINGS = frozenset("""alley branch bridge brook brooks burg burgs bypass camp canyon cape center centers cliff
cliffs club common commons corner corners course courts cove coves creek crest crossroad curve dale dam divide drives
estates extension extensions fall falls ferry field fields flat flats ford fords forest forge forges fork forks fort
garden gardens gateway glen glens green greens groves harbor harbour harbors haven heights hills hollow inlet island
islands isle junction junctions key keys knoll knolls lake lakes land landing light lights loaf lock locks lodge loop
mall manor manors meadow meadows mill mills mission motorway mount mountain mountains neck orchard oval overpass parks
parkways pass passage pine pines plain plains points port ports prairie radial ramp ranch rapid rapids rest ridges river
roads route shoal shoals shore shores skyway spring springs spur spurs squares station stravenue stream streets summit
throughway trace track trafficway tunnel turnpike underpass union unions valley valleys viaduct views village villages
ville vista walks wall ways well wells north south east west northeast northwest southeast southwest""".split())  # noqa: SIM905
_NEXT_WORDS = re.compile(r"(?:[ \t]+[^\W\d_][\w'’.-]*){1,3}")


def _second_street(text: str, end: int) -> int:
    """``end`` moved past a second capitalised street name that ends in a street word, if one follows."""
    m = _NEXT_WORDS.match(text, end)
    if m is None:
        return end
    words, ends = [], []
    for w in re.finditer(r"\S+", m.group()):
        if not (w.group()[0].isupper() or w.group().lower() in _PARTICLES):
            break
        words.append(w.group())
        ends.append(end + w.end())
    for k in range(len(words), 0, -1):
        last = words[k - 1].rstrip(".,").lower()
        if last in _SECOND_ENDINGS or _is_street_word(words[k - 1]):
            return ends[k - 1]
    return end


# In an all-lower-case text: street types that are not also common English words, anywhere in the
# street name ("rue du centre", "avenida praia"), and English ones as its last word ("main street").
_LOWER_ANY = frozenset("""rue rua rúa avenida calle carrer piazza viale ulica ul trg utca út straße strasse gasse tänav
iela sokak caddesi odos""".split())  # noqa: SIM905
_LOWER_LAST = frozenset("""street st road rd avenue ave lane ln boulevard blvd highway hwy parkway pkwy terrace crescent
""".split())  # noqa: SIM905


def _lower_core(text: str, m: re.Match[str], *, strict: bool = False) -> tuple[int, int, float] | None:
    """The street core of a ``_NUMBER_FIRST`` match in lower case, or None: up to four words before a
    stop word, with a street type among them (see ``_LOWER_ANY``/``_LOWER_LAST``) or an address cue
    before the number. ``strict`` (a lower-case street in a text that has capitals elsewhere, where
    prose is more likely: "we need 2 new street lights"): an English type needs an address cue
    before the number or a city or postal line after the street ("12 main street, springfield")."""
    parts: list[str] = []
    for w in m.group(2).split(" "):
        if w in _STOP_WORDS or len(parts) == 4:
            break
        parts.append(w)
        if w.rstrip(".") in _LOWER_LAST or w in _SECOND_ENDINGS:
            break  # "12 main street office": the street ends at its type
    if not parts:
        return None
    keys = [p.rstrip(".") for p in parts]
    full = len(parts) == len(m.group(2).split(" "))
    # An English type closes a name of other words ("main street", not "2 lane road").
    english = keys[-1] in _LOWER_LAST and not any(_is_street_word(p) for p in parts[:-1])
    # Generators' and gazetteers' endings ("theodore station", "brigid coves") are ordinary words:
    # like English types in a text with capitals, they need a cue or a city line.
    weak = len(parts) > 1 and keys[-1] in _SECOND_ENDINGS
    typed = any(k in _LOWER_ANY for k in keys) or english or bool(_SUFFIX_MORPHEMES.search(parts[-1]))
    end = m.start(2) + len(" ".join(parts))
    cue = bool(_CUE.search(text[max(0, m.start() - 40):m.start()]))
    if ((strict and typed) or (weak and not typed)) and not cue and not any(k in _LOWER_ANY for k in keys):
        tail = _TAIL_SEGMENT.match(text, end)
        typed = tail is not None and bool(_SEPARATED.match(tail.group()))
    elif weak and cue:
        typed = True
    if typed and full and m.group(3):
        return (m.start(), m.end(), 0.85)  # number, street, number
    if typed and (len(parts) > 1 or cue):
        return (m.start(), end, 0.8)
    return None
_BLANK_DIGIT = re.compile(r"[ \t]\d")


def _name_first(text: str) -> Iterator[re.Match[str]]:
    """``_NAME_FIRST.finditer(text)``, tried only where a match can start.

    Run over the whole text the pattern tries up to five words at every word and backtracks from
    each: most of a long prompt's address cost. A match is at most five words (at most four single
    spaces between them, no other whitespace), an optional comma and a run of blanks before a digit.
    So for every blank + digit the earliest possible start is found by walking back over the blanks,
    the comma and then to a fifth space or other whitespace, and the pattern is tried (``match`` at
    a position: its look-behind still sees the text before) at each position from there to the
    digit that may start a word. Positions go up and a match moves past its end, as ``finditer``
    does; no match can start anywhere else, so the matches are exactly the whole-text ones.
    """
    tried = 0  # every position below this was tried, or lies inside a match already yielded
    for hit in _BLANK_DIGIT.finditer(text):
        blank = hit.start()
        i = blank
        while i >= 0 and text[i] in " \t":
            i -= 1
        if i >= 0 and text[i] == ",":
            i -= 1
        spaces = 0
        while i >= 0:
            ch = text[i]
            if ch == " ":
                spaces += 1
                if spaces > 4:
                    break
            elif ch.isspace():
                break
            i -= 1
        for pos in range(max(i + 1, tried), blank):
            before = text[pos - 1] if pos else " "
            if before.isalnum() or before in "_-":
                continue  # the pattern's look-behind (?<![\w-]) fails here
            m = _NAME_FIRST.match(text, pos)
            if m is not None:
                yield m
                tried = m.end()
                break
        else:
            tried = max(tried, blank)


def _merge(cores: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    merged: list[tuple[int, int, float]] = []
    for start, end, score in sorted(cores):
        if merged and start <= merged[-1][1]:
            ps, pe, psc = merged[-1]
            merged[-1] = (ps, max(pe, end), max(psc, score))
        else:
            merged.append((start, end, score))
    return merged
