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
- frames a person fills whatever the words look like (``_frames``): a title ("Mr. Park"), reporting
  and biography verbs, "meet with X", "add X as guardian", "a tribute to X", "the assistant to X",
  "a song by X", "X, the packager, said", a trait ("why is X so impulsive?"), an occupation ("the
  guitarist X"), a series of names ("lukas, barbara yudana, anthony and hannah"), "my son X from
  the will", and whole lower-case name phrases with an initial ("velimir r. janković");
- addresses without a street word: a unit designator after a house number ("... 87 ... Suite 364"),
  an address label followed by something with digits ("my address to the same: 2613 ..."), a
  place cue before a name and a number ("the office is at Király u. 15."), "the corner of ...";
- addresses in lower case or in unknown formats: a street-suffix word and a number ("hammarvägen
  15"), a number, words and a street type ("119 countess close street"), a postal line under a
  street line ("cerhenická 40\n162 02 slavkov"), a mailing label ending in a country, and the
  answer to "what's the address?" / "where should we send it?".

The frames were found by perturbing the dev half of the benchmark (names swapped between texts and
mutated, texts lower-cased) and checked against ordinary prompts; none was written from a held-out
sentence.
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
_SPEAKER = re.compile(r"(?m)^[ \t]*([^\W\d_][^\W\d_'’-]{1,20}(?:[ \t]+[^\W\d_][^\W\d_.'’-]{0,20}){0,2})[ \t]*:[ \t]+\S")
_UNIT_AFTER_NUMBER = re.compile(
    r"\b\d{1,6}[^\n\d]{1,60}?\d{0,5}[^\n]{0,20}?\b(?:suite|ste|apt|apartment|unit|flat)\.?\s*#?\s*\d{1,5}\b|"
    r"\b\d{1,6}[^\n\d]{1,60}?\d{0,5}[ \t]*\n[ \t>?*•-]*(?:suite|ste|apt|apartment|flat)\.?\s*#?\s*\d{1,5}\b",
    re.IGNORECASE)
# A street written in lower case: a word built on a street suffix, or a foreign street type and a
# name, then a house number ("hammarvägen 15", "rúa do paseo 46", "ul. więckowskiego stefana 28").
_CASELESS_STREET = re.compile(
    r"\b(?:[^\W\d_]{3,}(?:straße|strasse|gasse|weg|platz|allee|vej|vænget|gade|gata|gatan|vägen|väg|veien|vegen|"
    r"stræti|vegur|gränd|torget|katu|kuja|polku|straat|laan|gracht|plein|kade|singel|utca|boulevard|stræde|steeg)"
    r"|(?:rua|rúa|calle|carrer|avenida|viale|vicolo|piazza|ul\.|ulica|aleja|plac|utca|"
    r"náměstí|namesti|travessa|rodovia|estrada|praça|paseo|chemin|quai|allée|strada)"
    r"(?:\s+(?!(?:the|a|an|of|on|in|at|to|for|and|or|port|version|step|line|page|chapter)\b)[^\W\d_][\w'’.-]*){1,4}),?"
    r"\s+\d{1,5}[A-Za-z]?\b(?![:.,]\d|\s*(?:%|am|pm|times|x\b))", re.IGNORECASE)
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
_ADDRESS_OF = re.compile(r"\baddress\b[^.?!\n]{0,40}?\s(?:is|:|to)\s*\d{3,6}\b(?![:.,]\d)", re.IGNORECASE)
_PLACE_STREET = re.compile(r"\b(?:at|to|in|on|is)\s+(?:\d{1,6}\s+)?([^\W\d_][\w'’.-]*(?:[ -][^\W\d_][\w'’.-]*){0,3})"
                           r",?\s+\d{1,5}\b", re.IGNORECASE)
# A postal line of a multi-line address: "11350 Halmstad", "162 02 Slavkov u Brna", "2514wc",
# "L6A 5YX", "H-6000 Zalaegerszeg", "73-568 Lubin", "23828, Perledo (LC)", "Dolores, SK 53650".
_POSTAL_LINE = re.compile(
    r"^[ \t>]*(?:(?:[A-Za-z]{1,2}-)?\d{4,6}(?:,)?[ \t]+[^\W\d_]{3,}|\d{3}[ \t]\d{2}[ \t]+[^\W\d_]{3,}|\d{2}-\d{3}[ \t]+[^\W\d_]{3,}|"
    r"\d{5}-\d{3}[ \t]+[^\W\d_]{3,}|\d{4}[ \t]?[A-Za-z]{2}|[A-Za-z]{1,2}\d[A-Za-z\d]?[ \t]?\d[A-Za-z]{2}|"
    r"[^\W\d_][^\n,]{1,30},[ \t]*[A-Za-z]{2}[ \t]+\d{5})[ \t]*(?:$|[ \t,(?.!])", re.MULTILINE)
# A street line: a word and a house number, either order ("Cerhenická 40", "Flat 70e", "90 Whitchurch Rd").
_STREET_LINE = re.compile(r"^[ \t>]*(?:[^\n]*[^\W\d_]{2,}[^\n]*?[ \t,]\d{1,5}[A-Za-z]?\b|[^\n]*?\b\d{1,5}[A-Za-z]?,?[ \t]+[^\W\d_]{2,})",
                          re.MULTILINE)
_NOT_POSTAL_TAIL = re.compile(r"[ \t>]*(?:(?:19|20)\d\d\b|\d+\s+(?:users?|people|items?|rows?|records?|times?|words?|"
                              r"lines?|files?|bytes?|tokens?|steps?|ms|seconds?|minutes?|hours?|days?|years?|the|and|of)\b)",
                              re.IGNORECASE)
# A number, a few words and a street type, in any case: "119 countess close street", "enter on 764 St.".
_NUMBER_STREET = re.compile(r"\b\d{1,5}[A-Za-z]?\s+(?:(?!(?:of|the|a|an|and|or|to|in|on|at|per|minutes?|mins?|hours?|"
                            r"miles?|km|kilometers?|kilometres?|meters?|metres?|blocks?|steps?|times?|lanes?|way)\b)"
                            r"[^\W\d_][\w'’-]*\s+){0,3}(?:street|st\.|road|rd\.|avenue|ave\.|boulevard|blvd\.?|terrace|"
                            r"crescent|highway|ul\.|utca|straße|strasse)(?![\w-])|\b\d{1,5}[A-Za-z]?\s+(?!(?:of|the|a|an|and|"
                            r"or|to|in|on|at|per|by|minutes?|mins?|hours?|seconds?|miles?|km|kilometers?|kilometres?|meters?|"
                            r"metres?|blocks?|steps?|times?|lanes?|way|ways|car|cars|days?|weeks?|years?|months?|people|"
                            r"hole|holes|course|star|stars|bedroom|bedrooms|first|second|third|fourth|last|next|lap|laps|"
                            r"test|tests|lines?|rows?|columns?|pixels?|px)\b)[^\W\d_][\w'’-]*\s+(?:[^\W\d_][\w'’-]*\s+)?"
                            r"(?:trail|row|drive|court|place|circle|mews|grove|lane|way|parkway|plaza|square|"
                            r"gardens|ridge|crossing|causeway|esplanade|promenade|gateway|junction|turnpike|"
                            r"hollow|knoll|glen|fork|forks|mall|manor|meadows|orchard|summit)\b", re.IGNORECASE)
# An address unit written as one ("Suite 318", "Apt. 905"): a capital or the abbreviation's dot.
_UNIT_ALONE = re.compile(r"(?<!test )(?<!Test )\b(?:Suite|Apt\.|apt\.|Apartment|Appartamento|Flat|Ste\.)\s*#?\s*\d{1,5}[A-Za-z]?\b")
_ADDRESS_ANSWER = re.compile(r"\baddress\b[^?\n]{0,40}\?\s*(?:(?:it\s+is|it's|its|it’s|here|sure)[\s,:]+)?"
                             r"(?:\d{3,6}\b|(?:apt|suite|flat|unit)\.?\s*\d)", re.IGNORECASE)
_ADDRESS_LATER = re.compile(r"\baddress\b.{0,120}?\b(?:it's|it is|it’s|its)\s+(?:in|at|on)\s+(?:\d{3,6}\b(?![:.,]\d|\s*(?:am|pm|%))"
                            r"|\d{1,5}\s+[^\W\d_]|(?:[^\W\d_][\w'’.-]*\s+){1,3}\d{1,5}\b(?![:.,]\d|\s*(?:am|pm|%)))",
                            re.IGNORECASE | re.DOTALL)
# "Where would you like this to be sent to? User: 9816": the answer to a where-to-send question.
_SEND_ANSWER = re.compile(r"\b(?:sent|send|ship|shipped|deliver|delivered|mail|mailed)\b[^?\n]{0,30}\?\s*"
                          r"(?:[^\W\d_]{2,12}\s*:\s*)?(?:\d{3,6}\b(?![:.,]\d)|\d{1,5}\s+[^\W\d_]|"
                          r"(?:apt|suite|flat|unit)\.?\s*\d)", re.IGNORECASE)
# An address label and a street name with no number: "my new address is Herceg Gateway", "the following? martinez mall".
_LABEL_STREET = re.compile(r"\baddress\b[^\n]{0,60}?(?:\bis|:|\?)\s+((?:[^\W\d_][\w'’.-]*\s+){1,3}?)("
                           r"gateway|mall|trail|fork|forks|glen|knoll|hollow|junction|turnpike|stravenue|throughway|"
                           r"trafficway|viaduct|skyway|spur|summit|manor|meadows?|orchard|plaza|parkway|pkwy|"
                           r"boulevard|blvd|avenue|ave|street|road|lane|drive|court|crescent|terrace|circle)\b",
                           re.IGNORECASE)
# "the restaurant is at 35403": a place and a bare number.
_VENUE_AT = re.compile(r"\b(?:restaurant|hotel|shop|store|cafe|café|bar|pub|clinic|hospital|house|flat|venue|"
                       r"party|office|studio|gym|salon|bakery)\s+is\s+(?:at|on|in)\s+(?:the\s+)?\d{3,6}\b"
                       r"(?![:.,]\d|\s*(?:am|pm|a\.m|p\.m|%|o'clock|hours?|minutes?))", re.IGNORECASE)

_ADDRESS_RULES = ((_UNIT_AFTER_NUMBER, "unit-after-number"), (_PLACE_UNIT, "place-unit"), (_ADDRESS_OF, "address-is"), (_LABELLED_ADDRESS, "labelled-address"),
                  (_LOCATED, "located-at"), (_PLACE_NUMBER, "place-number"), (_NUMBER_STREET, "number-street"), (_UNIT_ALONE, "unit"),
                  (_ADDRESS_ANSWER, "address-answer"), (_ADDRESS_LATER, "address-answer"),
                  (_SEND_ANSWER, "address-answer"), (_VENUE_AT, "place-number"),
                  (_CASELESS_STREET, "street-number"))
_WORDS_ONLY_RULES = ((_LABEL_STREET, "labelled-street"), (_CORNER, "corner-of"))
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
# Roles only a person takes: with these, whatever word is added is a name ("add chad as a beneficiary").
_ADDED_AS_PERSON = re.compile(r"^\s+as\s+(?:a\s+|an\s+|the\s+|my\s+)?(?:beneficiary|guardian|co-?signer|dependent|"
                              r"dependant|joint (?:account )?holder|emergency contact|executor|trustee)\b", re.IGNORECASE)
_MY_NAME_IS = re.compile(r"\bmy\s+(?:first\s+|last\s+|full\s+)?name\s+is\s+$", re.IGNORECASE)
# "remove my kid frank from the will": a relative, then a name that is also a word.
_KIN_BEFORE = re.compile(r"\b(?:my|our|his|her|their)\s+(?:kid|son|daughter|child|wife|husband|partner|brother|"
                         r"sister|mother|father|mom|mum|dad|boyfriend|girlfriend|fianc[eé]e?|grandson|granddaughter|"
                         r"nephew|niece|cousin|uncle|aunt)\s+$", re.IGNORECASE)
_KIN_AFTER = re.compile(r"^(?:'s|’s)?\s*(?:$|[,.!?;:]|from\b|to\b|as\b|is\b|was\b|and\b|has\b|had\b|will\b)",
                        re.IGNORECASE)
_ADD_WORDS = frozenset(("add", "adding", "added", "list", "listing", "name", "naming", "named", "make", "making"))
_ADD_BEFORE = re.compile(r"\b(?:" + "|".join(sorted(_ADD_WORDS)) + r")\s+$", re.IGNORECASE)
_WILL_BE_PERSON = re.compile(r"^\s+(?:will|would|is|was|has been|had been)\s+(?:be\s+)?(?:talking|speaking|"
                             r"presenting|performing|singing|joining|attending|visiting|hosting|retiring|"
                             r"the (?:keynote )?speaker|our (?:keynote )?speaker)\b", re.IGNORECASE)
_FROM_ORG_PERSON = re.compile(r"^\s+(?:from|of|at)\s+[^\n.!?]{1,40}?\s+(?:is|was|will be)\s+(?:the|our|a|an)\s+"
                              r"(?:keynote\s+)?(?:speaker|host|guest|presenter|panelist|ceo|cto|cfo|founder|"
                              r"manager|director|lead)\b", re.IGNORECASE)
_CREATIVE_WORK = re.compile(r"^\s+(?:novels?|concerts?|fan|fans|album|albums|biography|memoir|poems?|symphony|"
                            r"paintings?|sonata|opera|recordings?|lecture|speech|interview|songs?|version|"
                            r"estate|family)\b", re.IGNORECASE)
_SELF_INTRO = re.compile(r"(?:\bi'm|\bi am|\bthis is|\bit's|\bit is)\s+$", re.IGNORECASE)
_END_OF_PHRASE = re.compile(r"^\s*(?:$|[,.!?;:)\"”'])")
_CREDITED = re.compile(r"\b(?:directed|written|produced|composed|performed|sung|painted|narrated|hosted|"
                       r"created|founded|signed|authored|illustrated)\s+by\s*:?\s*$|\bstarring\s+$", re.IGNORECASE)
_UNDER_NAME = re.compile(r"\b(?:it's|it is|account is|booked|registered|reserved|listed)\s+under\s+(?:the\s+name\s+)?$",
                         re.IGNORECASE)
_CHANGE_TO = re.compile(r"\b(?:change|correct|update|fix|rename)\s+(?:it|this|that|the name)\s+to\s+$", re.IGNORECASE)
_INTRO_TAIL = re.compile(r"^\s*,\s+(?:originally\s+)?from\b|^\s*,?\s+and\s+i'?m\s+\d", re.IGNORECASE)
# A list that only people make: "our 3 founders: jones, jennifer and ashloy".
_PEOPLE_LIST = re.compile(r"\b(?:founders|co-?founders|members|authors|speakers|guests|attendees|participants|"
                          r"employees|children|kids|sons|daughters|grandchildren|siblings|partners|winners|candidates|"
                          r"nominees|finalists|panelists|hosts|organizers|organisers|owners|directors|teachers|students|"
                          r"friends|colleagues|parents|witnesses|suspects|victims|players|singers|musicians)\s*"
                          r"(?:are|were|include|included|including|:)\s+(?:(?:[^\W\d_][^\W\d_'’.-]*\s+){0,3}?"
                          r"[^\W\d_][^\W\d_'’.-]*\s*,\s+){0,6}(?:and\s+)?$", re.IGNORECASE)
_ORIGIN_AFTER = re.compile(r"^\s+(?:is|was)\s+(?:originally\s+)?from\s+[^\W\d_]", re.IGNORECASE)
_ARTICLE_BEFORE = re.compile(r"\b(?:a|an|the)\s+(?:(?:huge|big|great|massive|die-hard|lifelong|new|latest|"
                             r"first|last|early|late|classic|famous|original)\s+)?$", re.IGNORECASE)
# An occupation before a name: "songwriter aneela employs ...", "the singer Madonna".
_ROLE_WORDS = frozenset("""songwriter singer guitarist drummer bassist pianist actor actress author novelist poet
painter rapper composer conductor ceo cto cfo coo founder co-founder coach senator professor nurse detective captain
colleague coworker co-worker neighbor neighbour patient client tenant landlord employee intern applicant candidate
defendant plaintiff witness suspect""".split())  # noqa: SIM905
_LIST_WORDS = frozenset({"and", "are", "were", "include", "included", "including"})
# Speech at someone: "zoe young shouted at krustina".
_AT_PERSON = re.compile(r"\b(?:shouted|shouts|yelled|yells|screamed|screams|smiled|smiles|waved|waves|winked|"
                        r"glared|stared|laughed|swore|snapped)\s+at\s+$", re.IGNORECASE)
_NAME_QUESTION = re.compile(r"\bname\b[^?\n]{0,40}\?\s*(?:[\"“]\s*)?(?:[A-Za-z]{2,12}\s*:\s*)?"
                            r"([^\W\d_][^\W\d_'’-]{1,40})", re.IGNORECASE)
_NAME_NOUN = re.compile(r"\b(?:name|named|called)\s+(?:is\s+|was\s+|(?:him|her|them|me)\s+)?([^\W\d_][^\W\d_'’-]{2,40})",
                        re.IGNORECASE)
# A trait only a person has: "why is leiva so impulsive?", "lennox is very reliable".
# Traits said only of people; the weak ones ("reliable", "smart") are also said of software, so they
# count only in a text with a personal pronoun ("... you can always depend on him").
_STRONG_TRAITS = ("impulsive|rude|lazy|jealous|shy|arrogant|stubborn|selfish|polite|impolite|moody|grumpy|cheerful|"
                  "brave|hard-?working|charming|caring|sympathetic|pregnant|married|divorced|depressed|drunk|liar|"
                  "jerk|idiot|trustworthy|untrustworthy|loyal|punctual|talkative|bossy|clumsy|handsome|honest|"
                  "dishonest|kind-hearted|sweetheart|genius")
_WEAK_TRAITS = ("reliable|unreliable|dependable|responsible|irresponsible|smart|clever|funny|nice|friendly|"
                "unfriendly|talented|annoying|mean|angry|generous|kind|anxious|upset|aggressive")
_TRAIT_WORDS = rf"(?:{_STRONG_TRAITS}|{_WEAK_TRAITS})\b"
_TRAIT_DEGREE = r"(?:so\s+|very\s+|really\s+|quite\s+|too\s+|extremely\s+|always\s+|never\s+|such\s+an?\s+|an?\s+(?:very\s+)?)?"
_TRAIT = re.compile(r"^\s+(?:is|was|isn't|wasn't|seems|seemed|can be|has always been|has been)\s+" + _TRAIT_DEGREE
                    + "(" + _TRAIT_WORDS + ")", re.IGNORECASE)
_TRAIT_TAIL = re.compile(r"^\s+" + _TRAIT_DEGREE + "(" + _TRAIT_WORDS + ")", re.IGNORECASE)
_STRONG_TRAIT = re.compile(rf"^(?:{_STRONG_TRAITS})$", re.IGNORECASE)
_VERB_POSSESSIVE = re.compile(r"^\s+[^\W\d_]+(?:ed|s)\s+(?:his|her)\b")
_WHY_IS = re.compile(r"\b(?:why|how|is|was)\s+(?:is\s+|was\s+)?$", re.IGNORECASE)
# "a tribute to vsevolod", "the assistant to juloan azevedo", "married to Kowalski", "in memory of Ana".
_RELATION_TO = re.compile(r"\b(?:tribute|dedicated|dedication|assistant|secretary|married|engaged|wedded|"
                          r"heir|successor|predecessor|deputy|apprentice|letter|note|message|farewell|homage|"
                          r"condolences|sympathies|congratulations)\s+to\s+$|"
                          r"\b(?:in memory of|in honou?r of|on behalf of|the (?:son|daughter|wife|husband|widow|"
                          r"mother|father|sister|brother|grandson|granddaughter|estate|family|lawyer) of)\s+$",
                          re.IGNORECASE)
# "Key, the Packager, said:" / "chrisatopher, the packager, said": an apposition, then a reporting verb.
_APPOSITION_SAID = re.compile(r"^\s*,\s+(?:the|our|a|an|my|their|his|her)\s+[^,\n]{2,40},\s+(?:said|says|added|"
                              r"explained|told|wrote|writes|replied|noted|commented|stated)\b", re.IGNORECASE)
# "song by ex-zombie antoneio", "(not by Usamov)": a work and its author.
_WORK_BY = re.compile(r"\b(?:songs?|albums?|books?|novels?|poems?|paintings?|films?|movies?|tracks?|plays?|"
                      r"articles?|essays?|stories|story|photos?|photographs?|letters?|speech|lyrics|music|records?|"
                      r"single|cover|version|remix|works?|quotes?|made|written|sung|played)\b[^.!?\n]{0,30}?"
                      r"\bby\s+(?:(?:ex|former|late|singer|songwriter|guitarist|drummer|author|poet|writer|artist|"
                      r"rapper|producer|director)[- ]\S+\s+)?$|\(not by\s+$|\bnot by\s+$", re.IGNORECASE)
_NAME_PREFIX = re.compile(r"^(?:Mc|Mac|O['’]|D['’]|Di|De|La|Le|Van|Von)[^\W\d_]")
_SERIES_WORDS = r"[^\W\d_][^\W\d_'’.-]*(?:[ \t]+[^\W\d_][^\W\d_'’.-]*){0,3}"
_SERIES_ITEM = re.compile(_SERIES_WORDS)
_SERIES_AND = re.compile(r"(?<=[^\W\d_]),?[ \t]+(?:and|or)[ \t]+")
_SERIES_LEAD = re.compile(r"[:;][ \t]*(" + _SERIES_WORDS + r")[ \t]*$")
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "md", "phd", "dds", "esq"})
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
        numbered = _DIGIT.search(text) is not None
        rules = _ADDRESS_RULES + _WORDS_ONLY_RULES if numbered else _WORDS_ONLY_RULES
        for rx, rule in rules:
            m = rx.search(text)
            if m:
                hints.append(Hint("STREET_ADDRESS", m.start(), m.end(), rule))
        if numbered and "\n" in text:
            hint = _address_block(text)
            if hint is not None:
                hints.append(hint)
        if text.count("\n") >= 2 and _is_address_label(text):
            hints.append(Hint("STREET_ADDRESS", 0, len(text), "address-label"))
        if numbered:
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
        labels = _SPEAKER.findall(text) if text.count(":") >= 2 else []
        if len(labels) >= 2:
            # A script ("zuzuana: remember me ...\ntash olsun: you saved my life!"): its speaker labels
            # are names unless they are words ("User:", "Where:").
            for label in labels:
                parts = [_key(p) for p in label.replace(".", " ").split()]
                if any(len(p) > 2 and self._lower_name(p) for p in parts) and not any(
                        p in NOT_NAMES or self.v.is_english(p) and p not in self.g.first for p in parts if len(p) > 1):
                    hints.append(Hint("PERSON", 0, 0, "script-speaker"))
                    break
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
            if key in NOT_NAMES or key in TITLES or len(key) < 2:
                continue
            if (key in self.g.common and not self._listed(key)) or (not self._listed(key) and not self._rare(key)):
                # An ordinary word: of all the frames below only a title can make it a name ("Mr. Bean").
                if _after_title(text, w.start):
                    hints.append(Hint("PERSON", w.start, w.end, "title"))
                elif _strong_person_frame(text, w, words[i - 1] if i > 0 else None):
                    hints.append(Hint("PERSON", w.start, w.end, "person-frame"))
                elif (key in self.v.known and not self.v.is_english(key)
                      and _trait(text[max(0, w.start - 40):w.start], text[w.end:w.end + 60], pronoun)):
                    hints.append(Hint("PERSON", w.start, w.end, "trait"))  # a frequent first name: 'lennox is very reliable'
                continue
            j = i + 1
            while (j < len(words) and j - i < 4 and _gap(text, words[j - 1], words[j])
                   and not words[j - 1].text.endswith(("'s", "’s")) and self._phrase_word(words[j])
                   and (words[j].key != "i" or text.startswith(".", words[j].end))):  # "i." is an initial, "i" a pronoun
                j += 1
            last = words[j - 1]
            nxt = words[j] if j < len(words) and _gap(text, last, words[j]) else None
            before = text[max(0, w.start - 40):w.start]
            after = text[last.end:last.end + 60]
            # A frame may also stand before the word ahead of this one, when that word is part of the
            # name but too ordinary to start it ("add leone mazzi as ...": "leone" is also a place).
            prev = words[i - 1] if i > 0 and _gap(text, words[i - 1], w) else None
            prev_key = prev.key if prev is not None else ""
            before_prev = (text[max(0, prev.start - 40):prev.start] if prev is not None and len(prev.key) > 2
                           and prev.key not in NOT_NAMES and not self.v.is_english(prev.key) else None)
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
            elif (self._listed(key) and _SELF_INTRO.search(before) and _END_OF_PHRASE.match(after)
                  and (key not in self.g.common or _INTRO_TAIL.match(after))):
                rule = "self-introduction"  # "i'm mary, originally from ..."
            elif not unusual and _strong_person_frame(text, w, words[i - 1] if i > 0 else None):
                rule = "person-frame"  # 'add chad as a beneficiary', 'remove my kid frank from the will'
            elif not unusual:
                continue
            elif _CREDITED.search(before) or _UNDER_NAME.search(before) or (" by" in before and _WORK_BY.search(before)):
                rule = "credited"  # 'directed by misty', "maybe it's under kastner", 'a song by Usamov'
            elif (prev_key in ("to", "of") and _RELATION_TO.search(before)) or (
                    before_prev is not None and before_prev.endswith(("to ", "of ")) and _RELATION_TO.search(before_prev)):
                rule = "relation"  # 'a tribute to vsevolod', 'the assistant to juloan azevedo'
            elif _trait(before, after, pronoun):
                rule = "trait"  # 'lennox is very reliable', 'why is leiva so impulsive?'
            elif _sentence_start(text, w.start) and _APPOSITION_SAID.match(after):
                rule = "apposition"  # 'Key, the Packager, said: ...'
            elif (i > 0 and words[i - 1].key == "and" and nxt is not None and nxt.key in ("were", "are")
                  and i > 1 and _gap(text, words[i - 2], words[i - 1])
                  and (self._person_word(key) or self._person_word(words[i - 2].key))
                  and all(self._person_word(x) or self._listed(x) or self._rare(x) for x in (key, words[i - 2].key))):
                rule = "name-list"  # 'erele and jóniás were precision engineers'
            elif lower and j - i >= 3 and any(len(x.key) == 1 for x in words[i + 1:j - 1]) and (
                    self._lower_name(key) and self._lower_name(last.key)):
                rule = "lower-case-name"  # 'velimir r. janković', 'mijail c adomo'
            elif lower and pronoun and self._lower_name(key) and _VERB_POSSESSIVE.match(after):
                rule = "lower-case-person"  # 'møller listed his top 20 songs'
            elif (last.text.endswith(("'s", "’s")) and nxt is not None and lower and self._lower_name(last.key)
                  and last.key in self.g.first):
                rule = "possessive"  # "the verses from kristina's Cautionary Tales"
            elif (last.text.endswith(("'s", "’s")) and self._rare(last.key) and nxt is not None and (
                    (capital and not caseless and not _sentence_start(text, w.start))
                    or (self.name_model is not None and any(
                        self._rare(x.key) and self.name_model.probability(x.key) >= self.name_threshold
                        for x in words[i:j])))):
                rule = "possessive"  # "the verses from yermokov's cautionary tales"
            elif name_talk and _CHANGE_TO.search(before) and _END_OF_PHRASE.match(after):
                rule = "name-correction"  # "the name ... is not correct, please change it to christopher"
            elif (capital or self._lower_name(key)) and (_ORIGIN_AFTER.match(after) or (
                    nxt is not None and nxt.key in _COPULA and _PERSON_PREDICATE.match(text, nxt.end))):
                rule = "person-predicate"  # 'satsita umkhayev is from cloudmade', 'bowman is a very sympathetic person'
            elif (prev_key in _ROLE_WORDS or (prev_key == "at" and _AT_PERSON.search(before))) and (
                    self._person_word(key) or (capital and not caseless and self._rare(key))):
                rule = "role"  # 'songwriter aneela', 'shouted at krustina'
            elif (before.rstrip()[-1:] in (",", ":") or prev_key in _LIST_WORDS) and _PEOPLE_LIST.search(before):
                rule = "people-list"  # 'our 3 founders: kristin, ubul and baader'
            elif _MEETING_WITH.search(before):
                rule = "meeting-with"
            elif (_ADD_BEFORE.search(before) or (before_prev is not None and _ADD_BEFORE.search(before_prev))) and _ADDED_AS.match(after):
                rule = "added-as"
            elif (capital or self._lower_name(key)) and (_WILL_BE_PERSON.match(after) or _FROM_ORG_PERSON.match(after)):
                rule = "speaker"
            elif _ARTICLE_BEFORE.search(before) and _CREATIVE_WORK.match(after.removeprefix("'s").removeprefix("’s")):
                rule = "creator"  # 'the Roeterdink novel', 'a LeBatelier concert'
            elif lower and self._lower_name(key) and (
                    _possessive_of_person(last, nxt)
                    or (i > 0 and words[i - 1].key in _PERSON_NOUNS and _gap(text, words[i - 1], w))
                    or (nxt is not None and nxt.key in _PERSON_VERBS)):
                rule = "lower-case-person"  # 'my kid višeslav', 'heard kozłowski speak'
            elif _strong_person_frame(text, w, words[i - 1] if i > 0 else None):
                rule = "person-frame"
            if rule is not None:
                hints.append(Hint("PERSON", w.start, last.end, rule))
        if "," in text:
            hints += self._name_series(text)
        for m in _NAME_QUESTION.finditer(text):  # 'What's your last name? chad': the answer is a name
            if _key(m.group(1)) not in NOT_NAMES:
                hints.append(Hint("PERSON", m.start(1), m.end(1), "name-answer"))
        for m in _NAME_NOUN.finditer(text):  # "my partner's name leone mazzi", "she named him adam"
            key = _key(m.group(1))
            if key not in NOT_NAMES and (self._listed(key) or not self.v.is_english(key) or (
                    key in self.g.common and _MY_NAME_IS.search(text, 0, m.start(1)))):
                hints.append(Hint("PERSON", m.start(1), m.end(1), "named"))  # also 'my name is chad'

        return hints

    def _name_series(self, text: str) -> list[Hint]:
        """A series of names: "they had 6: lukas, barbara yudana, júlia gyarmathy, anthony and hannah".
        Every item is one to four name-like words, and at least two items hold a clear name.

        Found from each final "and"/"or" backwards over at most 8 comma-separated items, so the work
        stays linear in the text (a regex for the whole series backtracks on long comma lists)."""
        hints: list[Hint] = []
        for n, conj in enumerate(_SERIES_AND.finditer(text)):
            if n == 20:
                break
            tail = _SERIES_ITEM.match(text, conj.end())
            if tail is None:
                continue
            items = [tail.group()]
            head = text[max(0, conj.start() - 240):conj.start()].split(",")
            for part in reversed(head[-8:]):
                item = part.strip(" \t")
                if _SERIES_ITEM.fullmatch(item) is None:
                    # the first item may follow a lead-in ("they had 6: lukas")
                    lead = _SERIES_LEAD.search(part)
                    if lead is not None:
                        items.append(lead.group(1))
                    break
                items.append(item)
            if len(items) >= 3 and self._names_in_series(items):
                hints.append(Hint("PERSON", conj.start(), tail.end(), "name-series"))
        return hints

    def _names_in_series(self, items: list[str]) -> bool:
        clear = other = 0
        for item in items:
            keys = [_key(x) for x in item.replace(".", " ").split()]
            if not keys or not all(k in _NAME_SUFFIXES or len(k) == 1 or self._person_word(k) or self._listed(k)
                                   or self._rare(k) for k in keys):
                other += 1
            else:
                clear += any(len(k) > 2 and self._person_word(k) for k in keys)
        # A long series may hold one name that is also a word ("... kaczmarek, chad, misty and adams").
        return (other == 0 and clear >= 2) or (len(items) >= 5 and other <= 1 and clear >= 3)

    def _phrase_word(self, w: _W) -> bool:
        """Part of a name phrase: an initial, a rare word or a gazetteer name (not a common word)."""
        key = w.key
        if key in _NAME_SUFFIXES:
            return True
        if len(key) == 1:
            return key.isalpha() and key != "a"
        return key not in NOT_NAMES and key not in self.g.common and (self._rare(key) or self._listed(key))

    def _person_word(self, key: str) -> bool:
        """A name in any case: a gazetteer name that is no English or common word, or a rare word
        spelled like a name (by the n-gram model)."""
        if self._listed(key):
            return not self.v.is_english(key) and key not in self.g.common and key not in NOT_NAMES
        return (self._rare(key) and self.name_model is not None
                and self.name_model.probability(key) >= self.name_threshold)

    def _lower_name(self, key: str) -> bool:
        """A lower-case word that is a name, not a word: rare, or a gazetteer name that is no English word."""
        return len(key) > 2 and (self._rare(key) or (self._listed(key) and not self.v.is_english(key)
                                                      and key not in self.g.common))

    def _listed(self, key: str) -> bool:
        return key in self.g.first or key in self.g.last


def _strong_person_frame(text: str, w: _W, prev: _W | None) -> bool:
    """Frames that take a person whatever word fills them: "add chad as a beneficiary",
    "my kid frank from the will" (after a relative, the word must end a phrase or start a clause)."""
    if prev is None or (prev.key not in _ADD_WORDS and prev.key not in _PERSON_NOUNS):
        return False  # both frames need one of these words right before: skip the regexes for most words
    before = text[max(0, w.start - 40):w.start]
    after = text[w.end:w.end + 60]
    if _ADD_BEFORE.search(before) and _ADDED_AS_PERSON.match(after):
        return True
    return prev.key in _PERSON_NOUNS and bool(_KIN_BEFORE.search(before)) and bool(_KIN_AFTER.match(after))


def _trait(before: str, after: str, pronoun: bool) -> bool:
    """"X is so impulsive" / "why is X so impulsive": a strong trait, or a weak one in a text that
    speaks of a person (he, she, him, her)."""
    m = _TRAIT.match(after) or (_TRAIT_TAIL.match(after) if _WHY_IS.search(before) else None)
    return m is not None and (pronoun or _STRONG_TRAIT.match(m.group(1)) is not None)


_PLACE_IN_LINE = re.compile(r"[^\W\d_]{3,}")


_COUNTRY_WORDS = frozenset("""
afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas bahrain
bangladesh barbados belarus belgium belize benin bhutan bolivia botswana brazil brunei bulgaria burundi cambodia
cameroon canada chad chile china colombia congo croatia cuba cyprus czechia denmark djibouti dominica ecuador egypt
eritrea estonia eswatini ethiopia fiji finland france gabon gambia georgia germany ghana greece greenland grenada
guatemala guinea guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel italy jamaica japan
jordan kazakhstan kenya kiribati kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein
lithuania luxembourg madagascar malawi malaysia maldives mali malta mauritania mauritius mexico micronesia moldova
monaco mongolia montenegro morocco mozambique myanmar namibia nauru nepal netherlands nicaragua niger nigeria norway
oman pakistan palau panama paraguay peru philippines poland portugal qatar romania russia rwanda samoa senegal
serbia seychelles singapore slovakia slovenia somalia spain sudan suriname sweden switzerland syria taiwan
tajikistan tanzania thailand togo tonga tunisia turkey turkmenistan tuvalu uganda ukraine uruguay uzbekistan
vanuatu venezuela vietnam yemen zambia zimbabwe usa uk
""".split())  # noqa: SIM905
_COUNTRIES = _COUNTRY_WORDS | frozenset({"united kingdom", "united states", "united states of america", "new zealand",
                          "south africa", "south korea", "north korea", "czech republic", "costa rica",
                          "el salvador", "saudi arabia", "sri lanka", "united arab emirates", "dominican republic",
                          "puerto rico", "hong kong", "great britain", "england", "scotland", "wales",
                          "northern ireland", "bosnia and herzegovina", "north macedonia", "ivory coast"})
_COUNTRY_LINE = re.compile(r"^[ \t>]*([^\W\d_](?:[^\W\d_]|[ .'’-]){1,40}?)[ \t,]*(?:\d{3,6}(?:[ -]\d{2,4})?)?[ \t]*$")


def _is_address_label(text: str) -> bool:
    """A mailing label: three to seven short lines with no sentence in them, ending in a country
    ("Streöm\n\nALFRICK\nUnited Kingdom")."""
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()]
    if not 3 <= len(lines) <= 7 or any(len(line.split()) > 5 or line[-1:] in "?!:" for line in lines):
        return False
    m = _COUNTRY_LINE.match(lines[-1])
    return m is not None and m.group(1).lower().strip() in _COUNTRIES


def _address_block(text: str) -> Hint | None:
    """A postal line ("11350 Halmstad") with a street line (a word and a house number) in the three
    lines above it: the shape of a written address, whatever words it uses."""
    caseless = text.islower()
    for m in _POSTAL_LINE.finditer(text):
        line = m.group().strip(" \t>")
        if _NOT_POSTAL_TAIL.match(line) and not line[:1].isalpha():
            continue  # a year or a count: "2024 release notes", "1000 users"
        place = _PLACE_IN_LINE.search(line)
        if place is not None and not caseless and not place.group()[0].isupper():
            continue  # a place name is capitalised unless the whole text is typed in lower case
        above = text[:m.start()].rstrip("\n").split("\n")[-3:]
        if any(line.strip() and _STREET_LINE.match(line) for line in above):
            return Hint("STREET_ADDRESS", m.start(), m.end(), "address-block")
    return None


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
