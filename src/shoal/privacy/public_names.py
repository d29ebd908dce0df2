"""Public names: well-known people, famous characters, and brand/place words that look like names.

``data/public_names.txt`` (written by hand, see its SOURCE note) lists thousands of them by domain.
The sensitivity model (``shoal.privacy.features``) reads a mention as a shape of its own — ``<F>``
for a famous person or character, ``<B>`` for a brand or place word standing alone — so "What was
<F>'s fortune?" and "What is <N> <N>'s salary?" are different frames, while the name's own words
still reach the model. It decides nothing by itself: "our intern Abraham Lincoln's salary" keeps
its workplace words, and the model weighs both (the generator trains it on such collisions).

Matching is a set lookup per token: a multi-word name is tried only at a token that starts one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from shoal.privacy.lexicon import WordSet, word_set

PUBLIC_NAMES_FILE = "public_names.txt"
PEOPLE_SECTIONS = frozenset({"history", "science", "tech", "business", "philosophy_religion", "literature", "art",
                             "music", "film_tv", "sports", "fiction", "alone"})
LOOKALIKE_SECTIONS = frozenset({"brands", "places"})
MAX_WORDS = 8
# The same word pattern as the model's tokens (``shoal.privacy.features._TOKEN``) for the parts of a name.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+|[:@=/$€£%#{}\[\]<>|.!?]")
_POSSESSIVE = re.compile(r"['’]s$")
# Frequent surnames: the last word of a famous full name counts alone only when it is rarer than these
# ("Lincoln's depression" is Abraham Lincoln; "Johnson's review" is anyone's).
COMMON_SURNAMES = frozenset("""
smith johnson williams brown jones miller davis garcia rodriguez wilson martinez anderson taylor thomas hernandez
moore martin jackson thompson white lopez lee gonzalez harris clark lewis robinson walker perez hall young allen
sanchez wright king scott green baker adams nelson hill ramirez campbell mitchell roberts carter phillips evans
turner torres parker collins edwards stewart flores morris nguyen murphy rivera cook rogers morgan peterson cooper
reed bailey bell gomez kelly howard ward cox diaz richardson wood watson brooks bennett gray james reyes cruz hughes
price myers long foster sanders ross morales powell sullivan russell ortiz jenkins gutierrez perry butler barnes
fisher henderson coleman simmons patterson jordan reynolds hamilton graham kim gonzales alexander ramos wallace
griffin west cole hayes chavez gibson bryant ellis stevens murray ford marshall owens mcdonald harrison ruiz kennedy
wells alvarez woods mendoza castillo olson webb washington tucker freeman burns henry vasquez snyder simpson
crawford jimenez porter mason shaw gordon wagner hunter romero hicks dixon hunt palmer robertson black holmes stone
meyer boyd mills warren fox rose rice moreno schmidt patel ferguson nichols herrera medina ryan fernandez weaver
daniels stephens gardner payne kelley dunn pierce arnold tran spencer peters hawkins grant hansen castro hoffman
hart elliott cunningham knight bradley müller schneider fischer weber schulz becker wagner bernard durand chen wang
li zhang liu singh kumar sharma khan ali young lewis scott brown grey lane page allen curry bird wolf ford day
meyer meier mayer maier schulze koch bauer richter klein schwarz zimmermann braun kruger krueger hofmann hartmann
lange schmitt werner schmitz krause lehmann schmid konig kaiser fuchs lang scholz moller weiss jung hahn vogel
keller gunther frank berger winkler roth beck lorenz baumann franke albrecht schuster simon ludwig bohm winter kraus
schumacher kramer vogt stein jager otto sommer gross seidel heinrich brandt haas schreiber graf dietrich ziegler kuhn
pohl engel horn busch bergmann voigt sauer wolff pfeiffer huber gruber bauer wimmer moser hofer steiner
dubois lefebvre leroy roux morel fournier girard bonnet dupont lambert fontaine rousseau vincent muller mercier
blanc guerin boyer garnier chevalier francois legrand gauthier perrin robin clement morin nicolas henry roussel
mathieu gautier masson marchand duval denis dumont marie lemaire noel meyer dufour meunier brun blanchard giraud
joly riviere lucas brunet gaillard barbier arnaud martinez gerard roche renard schmitt roy leroux colin vidal caron
picard roger fabre aubert lemoine renaud dumas lacroix olivier philippe bourgeois pierre benoit rey leclerc payet
martin bernard thomas petit richard durand laurent michel david bertrand moreau faure andre
silva santos oliveira souza sousa pereira costa ferreira almeida carvalho ribeiro rodrigues gomes martins araujo
lima barbosa rocha dias nascimento alves monteiro mendes cardoso teixeira correia moreira vieira lopes marques
fernandes goncalves pinto cunha reis nunes freitas soares machado
garcia fernandez gonzalez rodriguez lopez martinez sanchez perez gomez martin jimenez ruiz hernandez diaz moreno
munoz alvarez romero alonso gutierrez navarro torres dominguez vazquez ramos gil ramirez serrano blanco molina
morales suarez ortega delgado castro ortiz rubio marin sanz nunez iglesias medina garrido cortes castillo santos
lozano guerrero cano prieto mendez cruz calvo gallego vidal leon marquez herrera pena flores cabrera campos vega
fuentes carrasco diez caballero reyes nieto aguilar pascual santana herrero lorenzo montero hidalgo gimenez ibanez
ferrer duran santiago benitez mora vicente vargas arias carmona crespo roman pastor soto saez velasco moya soler
rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti deluca mancini costa
giordano rizzo lombardi moretti barbieri fontana santoro mariani rinaldi caruso ferrara galli martini leone longo
gentile martinelli vitale lombardo serra coppola desantis damico marchetti parisi villa conte ferraro ferri fabbri
bianco marini grasso valentini messina sala rossetti pellegrini palumbo sanna farina rizzi monti cattaneo morelli
amato silvestri mazza testa grassi pellegrino carbone giuliani benedetti barone orlando
dejong jansen devries vandenberg vandijk bakker janssen visser smit meijer debeer mulder degroot bos vos peters
hendriks vanleeuwen dekker brouwer dewit dijkstra smits degraaf vandermeer weiß groß kok jacobs devos vermeulen vandamme
nowak kowalski wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski wozniak dabrowski kozlowski
jankowski mazur kwiatkowski krawczyk piotrowski grabowski nowakowski pawlowski michalski nowicki adamczyk dudek
zajac wieczorek jablonski krol majewski olszewski jaworski wrobel malinowski pawlak witkowski walczak stepien gorski
rutkowski michalak sikora ostrowski baran duda szewczyk tomaszewski pietrzak marciniak wroblewski zalewski
andersson johansson karlsson nilsson eriksson larsson olsson persson svensson gustafsson pettersson jonsson jansson
hansson bengtsson lindberg lindstrom lindqvist lindgren berg axelsson bergstrom lundberg lundgren lundqvist mattsson
berglund fredriksson sandberg henriksson forsberg sjoberg wallin engstrom eklund danielsson lundin hakansson
weil weill mori french massa
hansen johansen olsen larsen andersen pedersen nilsen kristiansen jensen karlsen johnsen pettersen eriksen berg
haugen hagen johannessen andreassen jacobsen dahl jorgensen halvorsen lund sorensen christensen rasmussen madsen
kristensen petersen nielsen mortensen poulsen knudsen korhonen virtanen makinen nieminen makela hamalainen laine
heikkinen koskinen jarvinen
""".split())  # noqa: SIM905 - a word list reads better as text


def _words(entry: str) -> tuple[str, ...]:
    return tuple(_POSSESSIVE.sub("", w.lower()) for w in _WORD.findall(entry))


@dataclass(frozen=True)
class PublicNames:
    """Lower-cased public names: multi-word ones by their words, single words by kind."""

    full: Collection[tuple[str, ...]]  # every multi-word name (people, characters, brands, places)
    full_people: Collection[tuple[str, ...]]
    starts: WordSet  # first words of the multi-word names
    alone: WordSet  # a single word that names a famous person or character
    lookalike: WordSet  # a single brand, product or place word that is also a name

    def match(self, words: Sequence[str], i: int) -> tuple[int, bool]:
        """The longest public name starting at ``words[i]`` (lower-cased, possessive removed):
        its length in words (0: none) and whether it is a person or character."""
        if words[i] not in self.starts:
            return 0, False
        for k in range(min(MAX_WORDS, len(words) - i), 1, -1):
            key = tuple(words[i:i + k])
            if key in self.full:
                return k, key in self.full_people
        return 0, False


def parse(text: str, first_names: WordSet = frozenset(),
          common_words: WordSet = frozenset(), surnames: WordSet = frozenset()) -> PublicNames:
    """Read the ``public_names.txt`` format: ``[section]`` lines, entries separated by ``|`` or lines.

    The last word of a famous full name stands for the person alone only when it is neither a
    frequent surname nor one of ``first_names`` ("Queen Victoria" does not make every Victoria famous)
    nor one of ``common_words`` ("Imagine Dragons" does not make "dragons" a name) nor one of
    ``surnames`` (a surname many private people bear: "Gupta", "Hoffmann"); the ``[alone]`` section
    lists such words by hand, famous surnames included ("Zidane", "Verstappen")."""
    full: set[tuple[str, ...]] = set()
    people: set[tuple[str, ...]] = set()
    alone: set[str] = set()
    derived: set[str] = set()  # last words of famous full names, kept only when no brand or place word
    lookalike: set[str] = set()
    section = ""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        for entry in line.split("|"):
            words = _words(entry.strip())
            if words and words[0] == "the" and len(words) > 1:  # "the Dalai Lama" is also "Dalai Lama"
                words = words[1:]
            if not words:
                continue
            is_person = section in PEOPLE_SECTIONS
            if len(words) == 1:
                (alone if is_person else lookalike).add(words[0])
                continue
            full.add(words)
            if is_person:
                people.add(words)
                last = words[-1]
                # The last word of a famous full name stands for it only when it is not a frequent surname.
                # "Constantine II of Greece" does not make "Greece" a person.
                if (section != "fiction" and last.isalpha() and len(last) > 3 and _fold(last) not in COMMON_SURNAMES
                        and last not in first_names and last not in common_words and last not in surnames
                        and _fold(last) not in surnames and words[-2] != "of"):
                    derived.add(last)
    # A brand or place listed as such stays one ("Siemens", "Peugeot") unless [alone] says otherwise.
    brand_words = {_fold(w) for w in lookalike}
    alone |= {w for w in derived if _fold(w) not in brand_words}
    lookalike -= alone
    # Word sets the garbage collector never walks (``shoal.privacy.lexicon.word_set``).
    return PublicNames(word_set(sorted(full)), word_set(sorted(people)), word_set(sorted({w[0] for w in full})),
                       word_set(sorted(alone)), word_set(sorted(lookalike)))


@lru_cache(maxsize=1)
def load_public_names() -> PublicNames:
    """The shipped list (``data/public_names.txt``), read once per process."""
    from shoal.privacy.names import load_gazetteer, load_vocabulary

    text = resources.files("shoal.privacy").joinpath("data", PUBLIC_NAMES_FILE).read_text(encoding="utf-8")
    gazetteer = load_gazetteer()
    return parse(text, gazetteer.first, load_vocabulary().english, gazetteer.last)


# Words that may stand before a famous name without being part of its list entry ("King Charles" for
# "King Charles III", "Dr. Martin Luther King").
_TITLE_WORDS = frozenset({"king", "queen", "prince", "princess", "emperor", "empress", "tsar", "czar", "pope",
                          "saint", "st", "sir", "dame", "lord", "lady", "president", "general", "dr"})


def _fold(word: str) -> str:
    """``word`` without accents: "Céline" and "Celine" are one name however the list or the user typed it."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _folded() -> tuple[Collection[tuple[str, ...]], WordSet, Collection[tuple[str, ...]]]:
    """The shipped list's full names and single words (less first names) with accents folded, and
    every titled full name's leading words ("king charles" of "king charles iii")."""
    names = load_public_names()
    full = word_set(sorted({tuple(_fold(w) for w in name if w != ".") for name in names.full}))  # "Ludwig II." typed either way
    from shoal.privacy.names import load_gazetteer

    # A single word that is also a first name ("Victoria", "Jordan") may be a colleague: it keeps its span.
    first = load_gazetteer().first
    single = word_set(sorted({_fold(w) for words in (names.alone, names.lookalike) for w in words if w not in first}))
    titled = word_set(sorted({name[:k] for name in full if name[0] in _TITLE_WORDS for k in range(2, len(name))}))
    return full, single, titled


def is_public_name(text: str) -> bool:
    """Whether ``text`` (a detected name, possessive allowed) is one shipped public name, compared
    without accents, and allowing a title before it or a regnal number left off after it."""
    words = tuple(_fold(w) for w in _words(text) if w != ".")
    if not words:
        return False
    full, single, titled = _folded()
    if len(words) == 1:
        return words[0] in single
    if words in full or words in titled:
        return True
    rest = words[1:] if words[0] in _TITLE_WORDS else ()
    return (len(rest) == 1 and rest[0] in single) or (len(rest) > 1 and rest in full)
