"""Capitalised phrases that are names of things, not people: "London Underground", "Victoria
Station", "Sydney Opera House", "the Monty Hall problem", "Kaplan-Meier estimator", a disease named
after its describer ("has Parkinson's") — and names of pets:
"my cat Winston", "Onze hond Max", "Mon chat Grisou".

The name detector finds a person where a first or last name is followed by another capitalised
word. English (and the other languages we scan) mark the names of places, buildings, institutions,
events and eponymous ideas with a head noun: the last word of the phrase ("... Station", "... River")
or a common noun right after it ("the Monty Hall problem"). A phrase with such a head names a thing,
whoever it was named after, so it is not a private person's name.

The word lists were written from general knowledge of English naming, not from benchmark errors.
Head nouns that are also common surnames (Park, Hill, Hall, Lane, Church, Wood, Banks, Rivers,
Street, King, Bishop, Marsh) are left out on purpose: "Jae Park" and "Sarah Hill" are people.

A name right after an animal noun ("my puppy Olive", "unser Kater Felix", "nuestro perro Toby") names
the animal: a pet's name, health and habits are nobody's personal data.
"""

from __future__ import annotations

import re

# The last word of a place, building, institution or event name.
THING_HEADS: frozenset[str] = frozenset("""
station underground metro railway railroad subway tramway airport airfield terminal harbour harbor port
bridge tunnel canal dam reservoir river lake lakes mountain mountains valley canyon desert sea ocean gulf
bay island islands peninsula glacier falls forest jungle beach coast strait straits delta basin
square avenue boulevard road highway expressway motorway parkway plaza mall market markets
opera theatre theater cinema museum gallery library archive archives university college school
academy institute conservatory seminary hospital clinic infirmary cathedral abbey chapel basilica
temple mosque synagogue monastery palace tower towers building buildings centre center stadium arena
house garden gardens zoo aquarium observatory memorial monument cemetery fortress citadel
festival marathon olympics championship championships league cup trophy prize award awards medal
doctrine treaty accord accords declaration revolution war wars expedition dynasty empire republic
kingdom province county district
corporation company airlines airways motors studios pictures gazette journal magazine hotel restaurant cafe café brewery winery
bahnhof hauptbahnhof platz strasse straße kirche dom schloss brücke gare musée rue château église
estación museo plaza iglesia catedral stazione chiesa duomo estação igreja museu
""".split())  # noqa: SIM905

# A common noun right after a capitalised phrase makes the phrase an eponym: "the Monty Hall problem".
# Nouns that also follow a person's name in a private matter ("Anna Weber test results", "... review",
# "... score", "... number", "... plan", "... award") are left out.
EPONYM_HEADS: frozenset[str] = frozenset("""
problem problems paradox theorem lemma conjecture hypothesis equation equations inequality effect law
laws principle constant distribution estimator estimation algorithm transform transformation
series syndrome curve criterion diagram cycle machine doctrine manoeuvre maneuver reflex
classification notation matrix filter fallacy experiment coefficient formula integral operator
sequence spiral cipher encoding dilemma razor wager prize medal lecture lectures institute
disease diseases palsy lymphoma sarcoma phenomenon sign
""".split())  # noqa: SIM905

# Conditions named after the physicians who described them, said in the possessive alone ("she has
# Parkinson's", "early-onset Alzheimer's"): the name is the disease's. Written from general medical
# knowledge; only eponyms used this way without "disease" after them.
MEDICAL_EPONYMS: frozenset[str] = frozenset("""
parkinson alzheimer crohn hodgkin huntington asperger tourette graves hashimoto addison cushing raynaud
meniere ménière sjogren sjögren gehrig kaposi wilms hirschsprung tay sachs paget bright legionnaire
""".split())  # noqa: SIM905
_POSSESSIVE_AFTER = re.compile(r"['’]s?(?![\w])")

# Animal nouns of the languages we scan, lower case (a name right after one is a pet's).
PET_NOUNS: frozenset[str] = frozenset("""
dog dogs puppy pup cat cats kitten kitty tomcat hamster guinea pig parrot budgie rabbit bunny horse pony
goldfish tortoise turtle ferret gerbil rat mouse lizard gecko snake cockatiel canary chicken hen goat lamb
hund hündin welpe katze kater kätzchen kaninchen hase pferd meerschweinchen wellensittich
chien chienne chiot chat chatte chaton lapin cheval perruche cochon
perro perra perrito cachorro gato gata gatito conejo caballo loro periquito
cane cagnolino cucciolo gatto gatta gattino coniglio cavallo pappagallo
cão cadela gatinho coelho cavalo papagaio
hond hondje puppy kat kater poes konijn paard parkiet
hunden katt katten kanin häst valp hest kat killing
pies piesek suczka kot kotek kotka królik koń papuga
""".split())  # noqa: SIM905

_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_LAST_WORD = re.compile(r"([^\W\d_]+)[\s,]*$")
_NEXT_WORD = re.compile(r"[\s-]*([^\W\d_]+)")


def names_a_thing(phrase: str, after: str = "") -> bool:
    """Whether a capitalised ``phrase`` (found as a candidate person name) names a thing: its last
    word is a place/institution/event head noun, or the text right ``after`` it starts with an
    eponym head noun in lower case."""
    words = _WORD.findall(phrase)
    if len(words) >= 2 and words[-1].lower().rstrip(".") in THING_HEADS:
        return True
    if len(words) == 1:
        word = words[0].lower()
        base = word[:-2] if word.endswith(("'s", "’s")) else word.rstrip("'’")
        if base in MEDICAL_EPONYMS and (base != word or _POSSESSIVE_AFTER.match(after)):
            return True  # "has Parkinson's": a disease
    nxt = _NEXT_WORD.match(after)
    return nxt is not None and nxt.group(1).islower() and nxt.group(1) in EPONYM_HEADS


def names_a_pet(before: str) -> bool:
    """Whether the text right ``before`` a name ends with an animal noun ("my cat ", "Onze hond "): the
    name is the animal's."""
    m = _LAST_WORD.search(before[-24:])
    return m is not None and m.group(1).lower() in PET_NOUNS
