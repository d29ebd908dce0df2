"""Request-level hints: "this text probably names a person or holds an address", for routing only.

Entity extraction (``NameDetector``, ``AddressDetector``) must be precise: its spans are reported and
pseudonymised. Routing has another trade-off: a false alarm sends a request to a self-hosted model,
a miss sends personal data out. These hints are the recall-oriented second opinion the scanner adds
to a request's reasons (``pii-hint:PERSON``); they never become entity spans.

Evidence used, each rule needing a word that looks like a name *and* a person context:

- a word "looks like a name" when it is capitalised (or typed in lower case but a gazetteer first
  name) and is not a common English word: it is in the name gazetteer, or it is *rare* — in no word
  list at all (most real surnames are: "Umkhayev", "Szczepańska");
- two such words in a row ("Irenke Sörös"); a lower-case first name followed by an (initial and
  a) surname-like word ("olga krylova", "eric g. samoylova");
- one such word with a person cue: a possessive on a person noun ("Asya's kid"), a biographical or
  reporting verb ("Adomo began writing", "Kleist said"), "is/was" beside a rare word in mid-sentence,
  a personal pronoun (he/she/him/her) elsewhere in the text, a vocative ("Warrane, can I..."), a
  dialogue label ("mika: who are you?");
- with no cue at all: a rare capitalised word that the character n-gram name model
  (``shoal.privacy.namemodel``, trained on the gazetteer against words and places) scores at or
  above ``name_threshold`` ("Dzhambek is from ...");
- addresses without a street word: a unit designator after a house number ("... 87 ... Suite 364"),
  an address label followed by something with digits ("my address to the same: 2613 ..."), a
  place cue before a name and a number ("the office is at Király u. 15."), "the corner of ...".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shoal.privacy.addresses import is_street_word
from shoal.privacy.namemodel import NameModel
from shoal.privacy.names import NOT_NAMES, PARTICLES, TITLES, Gazetteer, Vocabulary

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-][^\W\d_])*")
_PERSON_NOUNS = frozenset("""
kid kids child children son sons daughter daughters wife husband partner mother father mom mum dad
brother sister parents family baby boyfriend girlfriend fiance fiancee friend friends boss manager
colleague assistant lawyer doctor killer killers murderer funeral death birthday wedding salary bonus
pay address phone email number account passport license licence ssn diagnosis health medical record
records case file house home car
""".split())  # noqa: SIM905 - a word list reads better as text
_PERSON_VERBS = frozenset("""
said says say told tells asked asks replied replies shouted shouts yelled whispered wrote writes began begins started starts spoke
speaks speak lives lived live died dies married marries works worked joined joins left leaves called
calls emailed texted phoned paid earns earned owes owed sang sings wants wanted thinks thought knows
knew feels felt met meets visited visits hired fired quit resigned retired graduated studied grew born
""".split())  # noqa: SIM905
_PRONOUNS = re.compile(r"\b(?:he|she|him|her|his|hers|himself|herself)\b", re.IGNORECASE)
_VOCATIVE_TAIL = re.compile(r"^\s*,\s*(?:can|could|would|will|please|you|your|do|did|are|have|i|we|thanks|thank)\b",
                            re.IGNORECASE)
_DIALOGUE = re.compile(r"(?m)^\s*([^\W\d_]{3,20})\s*:")
_UNIT_AFTER_NUMBER = re.compile(
    r"\b\d{1,6}[^\n\d]{1,60}?\d{0,5}[^\n]{0,20}?\b(?:suite|ste|apt|apartment|unit|flat)\.?\s*#?\s*\d{1,5}\b",
    re.IGNORECASE)
# "The office is at Király u. 15.", "return to Leon and Eyrarodda 66": a place cue, then a capitalised
# name and a house number soon after.
_LOCATED = re.compile(r"\b(?:is|are|stop|return|lives?|living|located|based|resides?)\s+(?:at|to|on|in)\s+"
                      r"(?:the\s+)?(?:\d{1,6}\s+)?[^\W\d_][^\n!?]{0,40}?\s\d{1,5}\b", re.IGNORECASE)
_CORNER = re.compile(r"\bcorner\s+of\s+(?:\d{1,6}\s+)?[^\W\d_]", re.IGNORECASE)
_LABELLED_ADDRESS = re.compile(r"\baddress(?:es)?\b[^.:\n]{0,60}:\s*\S[^\n]{0,80}?\d", re.IGNORECASE)
_ORIGIN = re.compile(r"(?:is|was|comes|came)\s+(?:from|with)\b|works?\s+(?:at|for)\b", re.IGNORECASE)
_PERSON_PREDICATE = re.compile(
    r"[^.!?\n]{0,40}?\b(?:person|man|woman|guy|girl|boy|lady|gentleman|teenager|child|kid|\d+[ -]years?[ -]old)\b",
    re.IGNORECASE)
# A place frame, then a bare house or postal number: "the restaurant is located at 33963", "meet me
# at 515", "send the statement to 06554" (times, amounts and sizes are excluded by what follows).
_PLACE_NUMBER = re.compile(
    r"\b(?:located|situated|based|meet(?:ing)?(?:\s+(?:me|you|us|them))?|sen[dt]|ship(?:ped)?|deliver(?:ed)?|"
    r"mail(?:ed)?|moved|lives?|lived|living|stay(?:ing)?|(?:new\s+)?address\s+is|offices?\s+(?:is|are)|"
    r"station\s+is|return(?:ed)?|taxi|come|go)\s+(?:at|to|on|in)\s+(?:the\s+)?(\d{3,6})\b"
    r"(?!\s*(?:am|pm|a\.m|p\.m|%|percent|k\b|m\b|ms\b|px\b|mb\b|gb\b|kb\b|hours?|minutes?|mins?|"
    r"seconds?|days?|years?|dollars?|euros?|million|billion|thousand|bn|mn|people|users?|items?|times?|degrees?)|[:.,]\d)", re.IGNORECASE)
_PLACE_UNIT = re.compile(r"\b(?:at|to|is|in)\s+(?:apt|apartment|suite|unit|flat)\.?\s*#?\s*\d{1,5}\b", re.IGNORECASE)
_ADDRESS_OF = re.compile(r"\baddress\b[^.?!\n]{0,40}?\s(?:is|:)\s*\d{3,6}\b", re.IGNORECASE)
_PLACE_STREET = re.compile(r"\b(?:at|to|in|on|is)\s+(?:\d{1,6}\s+)?([^\W\d_][\w'’.-]*(?:[ -][^\W\d_][\w'’.-]*){0,3})"
                           r"\s+\d{1,5}\b", re.IGNORECASE)
_ADDRESS_RULES = ((_UNIT_AFTER_NUMBER, "unit-after-number"), (_PLACE_UNIT, "place-unit"), (_ADDRESS_OF, "address-is"), (_LABELLED_ADDRESS, "labelled-address"),
                  (_LOCATED, "located-at"), (_PLACE_NUMBER, "place-number"), (_CORNER, "corner-of"))
_DIGIT = re.compile(r"\d")
# Context frames that point at a person whatever the name looks like (the name itself may be an
# English word, a rare word the name model doubts, or typed in lower case).
_TITLE_WORDS = ("mr", "mrs", "ms", "mx", "dr", "prof", "miss", "mister", "madam", "sir", "herr", "frau")
_TITLE_BEFORE = re.compile(r"\b(?:" + "|".join(_TITLE_WORDS) + r")\.?\s+$", re.IGNORECASE)
_REPORTING = frozenset("says said asks asked told replied replies wrote writes explained explains added adds".split())  # noqa: SIM905
_BIO_VERBS = frozenset("""began begins born died dies married marries grew graduated studied retired resigned
joined joins spoke speaks speak sang sings wrote writes""".split())  # noqa: SIM905
_MEETING_WITH = re.compile(r"\b(?:follow(?:ing|ed)?[ -]up|meet(?:ing)?|met|talk(?:ed|ing)?|speak(?:ing)?|spoke|"
                           r"chat(?:ted|ting)?|check(?:ed|ing)? in|catch(?:ing)? up|sync(?:ed)?|"
                           r"appointment|call|meeting)\s+with\s+$", re.IGNORECASE)
_ADDED_AS = re.compile(r"^\s+as\s+(?:a\s+|an\s+|the\s+|my\s+)?(?:beneficiary|guardian|co-?signer|"
                       r"dependent|dependant|authori[sz]ed user|joint (?:account )?holder|emergency contact|"
                       r"contact|executor|trustee|signatory|owner|driver|member|user)\b", re.IGNORECASE)
_ADD_BEFORE = re.compile(r"\b(?:add|adding|added|list|listing|name|naming|named|make|making)\s+$", re.IGNORECASE)
_WILL_BE_PERSON = re.compile(r"^\s+(?:will|would|is|was|has been|had been)\s+(?:be\s+)?(?:talking|speaking|"
                             r"presenting|performing|singing|joining|attending|visiting|hosting|retiring|"
                             r"the (?:keynote )?speaker|our (?:keynote )?speaker)\b", re.IGNORECASE)
_FROM_ORG_PERSON = re.compile(r"^\s+from\s+[^\n.!?]{1,40}?\s+(?:is|was|will be)\s+(?:the|our|a|an)\s+"
                              r"(?:keynote\s+)?(?:speaker|host|guest|presenter|panelist|ceo|cto|cfo|founder|"
                              r"manager|director|lead)\b", re.IGNORECASE)
_CREATIVE_WORK = re.compile(r"^\s+(?:novels?|concerts?|album|albums|biography|memoir|poems?|symphony|"
                            r"paintings?|sonata|opera|recordings?|lecture|speech|interview|songs?|version|"
                            r"estate|family)\b", re.IGNORECASE)
_SELF_INTRO = re.compile(r"(?:\bi'm|\bi am|\bthis is|\bit's|\bit is)\s+$", re.IGNORECASE)
_END_OF_PHRASE = re.compile(r"^\s*(?:$|[,.!?;:)\"”'])")
_CREDITED = re.compile(r"\b(?:directed|written|produced|composed|performed|sung|painted|narrated|hosted|"
                       r"created|founded|signed|authored|illustrated)\s+by\s*:?\s*$|\bstarring\s+$", re.IGNORECASE)
_UNDER_NAME = re.compile(r"\b(?:it's|it is|account is|booked|registered|reserved|listed)\s+under\s+(?:the\s+name\s+)?$",
                         re.IGNORECASE)
_CHANGE_TO = re.compile(r"\b(?:change|correct|update|fix|rename)\s+(?:it|this|that|the name)\s+to\s+$", re.IGNORECASE)
_ORIGIN_AFTER = re.compile(r"^\s+(?:is|was)\s+(?:originally\s+)?from\s+[^\W\d_]", re.IGNORECASE)
_ARTICLE_BEFORE = re.compile(r"\b(?:a|an|the)\s+$", re.IGNORECASE)
_NAME_QUESTION = re.compile(r"\bname\b[^?\n]{0,40}\?\s*(?:[\"“]\s*)?(?:[A-Za-z]{2,12}\s*:\s*)?"
                            r"([^\W\d_][^\W\d_'’-]{1,40})", re.IGNORECASE)
_NAME_NOUN = re.compile(r"\b(?:name|named|called)\s+(?:is\s+|was\s+|(?:him|her|them|me)\s+)?([^\W\d_][^\W\d_'’-]{2,40})",
                        re.IGNORECASE)
_NAME_PREFIX = re.compile(r"^(?:Mc|Mac|O['’]|D['’]|Di|De|La|Le|Van|Von)[^\W\d_]")
_COPULA = frozenset({"is", "was", "isn't", "wasn't"})


@dataclass(frozen=True)
class Hint:
    """One piece of evidence: the entity type it points to, where, and which rule found it."""

    entity_type: str
    start: int
    end: int
    rule: str


@dataclass(slots=True)
class _W:
    start: int
    end: int
    text: str
    key: str


class HintDetector:
    """Recall-oriented person-name and address hints for the request-level decision."""

    def __init__(self, gazetteer: Gazetteer, vocabulary: Vocabulary, name_model: NameModel | None = None,
                 name_threshold: float = 0.6) -> None:
        self.g = gazetteer
        self.v = vocabulary
        self.name_model = name_model
        self.name_threshold = name_threshold

    # --- word classes -------------------------------------------------------------------------------

    def _ordinary(self, key: str) -> bool:
        return (key in NOT_NAMES or key in TITLES or key in PARTICLES or key in self.g.common
                or self.v.is_english(key))

    def _gazetteer_name(self, key: str) -> bool:
        return (key in self.g.first or key in self.g.last) and not self._ordinary(key)

    def _rare(self, key: str) -> bool:
        return (len(key) > 2 and not self._ordinary(key) and key not in self.v.known
                and key not in self.g.first and key not in self.g.last)

    def _namelike(self, w: _W) -> bool:
        """Capitalised (not all capitals: acronyms), and a gazetteer name or a rare word."""
        if not w.text[0].isupper() or (len(w.text) > 1 and w.text.isupper()):
            return False
        return self._gazetteer_name(w.key) or self._rare(w.key)

    def _model_name(self, w: _W) -> bool:
        """A rare word spelled like a name, by the n-gram model. Words with a capital inside
        ("GraphQL", "TypeScript") are product names; "McAdams"-style prefixes are the exception."""
        if self.name_model is None or not self._rare(w.key):
            return False
        inner = w.text[1:].rstrip("'’s")
        if any(c.isupper() for c in inner) and not _NAME_PREFIX.match(w.text):
            return False
        return self.name_model.probability(w.key) >= self.name_threshold

    # --- detection ----------------------------------------------------------------------------------

    def detect(self, text: str) -> list[Hint]:
        words = [_W(m.start(), m.end(), m.group(), _key(m.group())) for m in _WORD.finditer(text)]
        hints = self._person(text, words)
        # All but the corner rule need a house or unit number.
        rules = _ADDRESS_RULES if _DIGIT.search(text) else _ADDRESS_RULES[-1:]
        for rx, rule in rules:
            m = rx.search(text)
            if m:
                hints.append(Hint("STREET_ADDRESS", m.start(), m.end(), rule))
        if rules is _ADDRESS_RULES:
            # A street in any case after a place word: "meet me at pohlstrasse 9", "sent to vesterskovvej 79"
            # (entity extraction wants capitals; a lower-case request is still an address).
            for m in _PLACE_STREET.finditer(text):
                if any(is_street_word(part) for part in re.split(r"[ -]", m.group(1))):
                    hints.append(Hint("STREET_ADDRESS", m.start(1), m.end(), "place-street"))
                    break
        return hints

    def _person(self, text: str, words: list[_W]) -> list[Hint]:
        hints: list[Hint] = []
        pronoun = bool(_PRONOUNS.search(text))

        def add(a: _W, b: _W, rule: str) -> None:
            hints.append(Hint("PERSON", a.start, b.end, rule))

        for i, w in enumerate(words):
            lower_first = (w.text.islower() and w.key in self.g.first and len(w.key) > 2
                           and w.key not in NOT_NAMES and w.key not in self.g.common)
            if not lower_first and not self._namelike(w):
                continue  # most words: neither branch below applies, so skip finding neighbours
            prev = words[i - 1] if i > 0 and _gap(text, words[i - 1], w) else None
            nxt = words[i + 1] if i + 1 < len(words) and _gap(text, w, words[i + 1]) else None
            if not lower_first:
                if nxt is not None and text[w.end:nxt.start] == " " and self._namelike(nxt):
                    add(w, nxt, "name-pair")
                    continue
                after_initial = words[i + 2] if i + 2 < len(words) and nxt is not None and _initial(nxt) else None
                if (nxt is not None and after_initial is not None and _gap(text, nxt, after_initial)
                        and self._namelike(after_initial)):
                    add(w, after_initial, "name-initial-name")  # "Ravil G Yefimov"
                    continue
                if (nxt is not None and nxt.key in ("and", "or") and i + 2 < len(words)
                        and _gap(text, nxt, words[i + 2]) and self._namelike(words[i + 2])
                        and (self._rare(w.key) or self._rare(words[i + 2].key))):
                    add(w, words[i + 2], "name-list")  # "Usamov and Bowers"
                    continue
                if _possessive_of_person(w, nxt):
                    add(w, w, "possessive")
                elif nxt is not None and (nxt.key in _PERSON_VERBS or _ORIGIN.match(text, nxt.start)):
                    add(w, w, "person-verb")
                elif prev is not None and prev.key in _PERSON_VERBS | _PERSON_NOUNS:
                    add(w, w, "after-person-word")  # 'says Hauta-aho', 'my kid Lukas'
                elif nxt is not None and nxt.key in _COPULA and _PERSON_PREDICATE.match(text, nxt.end):
                    add(w, w, "person-predicate")  # "Scott is a very sympathetic person"
                elif pronoun:
                    add(w, w, "pronoun")
                elif self._rare(w.key) and not _sentence_start(text, w.start) and (
                        (nxt is not None and nxt.key in _COPULA) or (prev is not None and prev.key in _COPULA)):
                    add(w, w, "copula")
                elif _sentence_start(text, w.start) and _VOCATIVE_TAIL.match(text[w.end:w.end + 20]):
                    add(w, w, "vocative")
                elif self._model_name(w):
                    add(w, w, "name-model")
            else:
                j = i + 1
                initial = j < len(words) and len(words[j].key) == 1 and _gap(text, w, words[j])
                j += initial  # a middle initial
                last = words[j] if j < len(words) and _gap(text, words[j - 1], words[j]) else None
                # A first name that is also an English word ("golden", "eric") needs a middle initial
                # or a gazetteer surname after it: "golden retriever" is a dog.
                if (last is not None and last.text.islower() and len(last.key) > 2 and not self._ordinary(last.key)
                        and (not self._ordinary(w.key) or initial or last.key in self.g.last)):
                    add(w, last, "lower-case-name")
                    continue
                if _possessive_of_person(w, nxt):
                    add(w, w, "possessive")
        hints += self._frames(text, words)
        for m in _DIALOGUE.finditer(text):
            key = m.group(1).lower()
            if self._gazetteer_name(key) and key in self.g.first:
                hints.append(Hint("PERSON", m.start(1), m.end(1), "dialogue"))
        return hints


    def _frames(self, text: str, words: list[_W]) -> list[Hint]:
        """Person frames: a name in a position only a person's name takes ("Mr. Park", "says Park",
        "follow up with Slepička", "add Roeterdink as guardian", "a LeBatelier concert", "the
        name on the account? mika"), whether or not the words themselves look like a name.

        A frame before a name looks at its first word; a frame after it looks past the whole name
        phrase (up to four name-like words and initials: "velimir r. janković is very reliable").
        """
        hints: list[Hint] = []
        caseless = text.islower()  # all lower case: capitals carry no information, so do not require them
        name_talk = "name" in text.lower()
        pronoun = bool(_PRONOUNS.search(text))
        for i, w in enumerate(words):
            key = w.key
            if key in NOT_NAMES or key in TITLES or len(key) < 2 or key in self.g.common and not self._listed(key):
                continue
            if not self._listed(key) and not self._rare(key):
                # An ordinary word: of all the frames below only a title can make it a name ("Mr. Bean").
                if _after_title(text, w.start):
                    hints.append(Hint("PERSON", w.start, w.end, "title"))
                continue
            j = i + 1
            while (j < len(words) and j - i < 4 and _gap(text, words[j - 1], words[j])
                   and self._phrase_word(words[j])):
                j += 1
            last = words[j - 1]
            nxt = words[j] if j < len(words) and _gap(text, last, words[j]) else None
            before = text[max(0, w.start - 40):w.start]
            after = text[last.end:last.end + 60]
            lower = not w.text[0].isupper()
            capital = not lower or caseless
            # In no word list, or a gazetteer name that is capitalised or no English word ("job" is both).
            unusual = self._rare(key) or (self._listed(key) and (capital or not self.v.is_english(key)))
            rule = None
            if _after_title(text, w.start):
                rule = "title"
            elif capital and self._listed(key) and i > 0 and words[i - 1].key in _REPORTING and _gap(text, words[i - 1], w):
                rule = "reported-by"  # 'says Park.'
            elif capital and self._listed(key) and nxt is not None and nxt.key in _BIO_VERBS:
                rule = "biography"  # 'White began writing'
            elif lower and self._lower_name(key) and (
                    (i > 0 and words[i - 1].key in _REPORTING and _gap(text, words[i - 1], w))
                    or _SELF_INTRO.search(before)
                    or (_sentence_start(text, w.start) and _VOCATIVE_TAIL.match(after[:20]))
                    or (pronoun and nxt is not None and nxt.key in _COPULA)):
                rule = "lower-case-person"  # 'says višeslav', "i'm adam", 'christopher, can I...'
            elif (self._listed(key) and key not in self.g.common and _SELF_INTRO.search(before)
                  and _END_OF_PHRASE.match(after)):
                rule = "self-introduction"  # "i'm mary, originally from ..."
            elif not unusual:
                continue
            elif _CREDITED.search(before) or _UNDER_NAME.search(before):
                rule = "credited"  # 'directed by misty', "maybe it's under kastner"
            elif name_talk and _CHANGE_TO.search(before) and _END_OF_PHRASE.match(after):
                rule = "name-correction"  # "the name ... is not correct, please change it to christopher"
            elif capital and (_ORIGIN_AFTER.match(after) or (
                    nxt is not None and nxt.key in _COPULA and _PERSON_PREDICATE.match(text, nxt.end))):
                rule = "person-predicate"  # 'satsita umkhayev is from cloudmade', 'bowman is a very sympathetic person'
            elif _MEETING_WITH.search(before):
                rule = "meeting-with"
            elif _ADD_BEFORE.search(before) and _ADDED_AS.match(after):
                rule = "added-as"
            elif capital and (_WILL_BE_PERSON.match(after) or _FROM_ORG_PERSON.match(after)):
                rule = "speaker"
            elif _ARTICLE_BEFORE.search(before) and _CREATIVE_WORK.match(after.removeprefix("'s").removeprefix("’s")):
                rule = "creator"  # 'the Roeterdink novel', 'a LeBatelier concert'
            elif lower and self._lower_name(key) and (
                    _possessive_of_person(last, nxt)
                    or (i > 0 and words[i - 1].key in _PERSON_NOUNS and _gap(text, words[i - 1], w))
                    or (nxt is not None and nxt.key in _PERSON_VERBS)):
                rule = "lower-case-person"  # 'my kid višeslav', 'heard kozłowski speak'
            if rule is not None:
                hints.append(Hint("PERSON", w.start, last.end, rule))
        for m in _NAME_QUESTION.finditer(text):  # 'What's your last name? chad': the answer is a name
            if _key(m.group(1)) not in NOT_NAMES:
                hints.append(Hint("PERSON", m.start(1), m.end(1), "name-answer"))
        for m in _NAME_NOUN.finditer(text):  # "my partner's name leone mazzi", "she named him adam"
            key = _key(m.group(1))
            if key not in NOT_NAMES and (self._listed(key) or not self.v.is_english(key)):
                hints.append(Hint("PERSON", m.start(1), m.end(1), "named"))
        return hints

    def _phrase_word(self, w: _W) -> bool:
        """Part of a name phrase: an initial, a rare word or a gazetteer name (not a common word)."""
        key = w.key
        if len(key) == 1:
            return key.isalpha() and key not in ("a", "i")
        return key not in NOT_NAMES and key not in self.g.common and (self._rare(key) or self._listed(key))

    def _lower_name(self, key: str) -> bool:
        """A lower-case word that is a name, not a word: rare, or a gazetteer name that is no English word."""
        return len(key) > 2 and (self._rare(key) or (self._listed(key) and not self.v.is_english(key)
                                                      and key not in self.g.common))

    def _listed(self, key: str) -> bool:
        return key in self.g.first or key in self.g.last


def _after_title(text: str, pos: int) -> bool:
    """A title ("Mr.", "dr", "Frau") right before ``pos``. The suffix test is a cheap necessary
    condition: the pattern only runs where the text before ends in one of the titles."""
    head = text[max(0, pos - 40):pos]
    return (head.rstrip().rstrip(".").lower().endswith(_TITLE_WORDS)
            and _TITLE_BEFORE.search(head) is not None)


def _key(word: str) -> str:
    key = word.lower()
    for suffix in ("'s", "’s"):
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def _possessive_of_person(w: _W, nxt: _W | None) -> bool:
    """"Asya's kid", "roberto's daughter": a possessive on a person noun."""
    return w.text.lower().endswith(("'s", "’s")) and nxt is not None and nxt.key in _PERSON_NOUNS


def _initial(w: _W) -> bool:
    return len(w.text) == 1 and w.text.isupper()


def _gap(text: str, a: _W, b: _W) -> bool:
    """Adjacent words of one phrase: only spaces, or an initial's dot, between them."""
    gap = text[a.end:b.start]
    return gap.replace(".", "", 1).strip(" ") == "" and "\n" not in gap and len(gap) <= 3


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t\"'(“")
    return not before or before[-1] in ".!?\n:;"
