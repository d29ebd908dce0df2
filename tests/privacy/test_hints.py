"""Request-level hints: recall-oriented evidence of a name or an address that makes a request
sensitive without becoming an entity span. The phrasings are our own, not the benchmark's."""

from __future__ import annotations

import pytest

from shoal.privacy.config import PrivacyConfig
from shoal.privacy.hints import HintDetector
from shoal.privacy.names import Gazetteer, Vocabulary
from shoal.privacy.scanner import PrivacyScanner

# A tiny, explicit world: which words are names, English, or merely frequent.
GAZ = Gazetteer(first=frozenset({"marta", "eric", "oskar"}), last=frozenset({"nowak"}),
                common=frozenset({"france"}))
VOC = Vocabulary(english=frozenset({"eric", "bridge", "tale", "song", "example", "reliable", "deploy", "app"}),
                 known=frozenset({"london", "kubernetes", "django"}))


def rules(text: str) -> list[tuple[str, str]]:
    return [(h.entity_type, h.rule) for h in HintDetector(GAZ, VOC).detect(text)]


@pytest.mark.parametrize("text,rule", [
    ("Please add Oyelaran Tchakarov to the policy", "name-pair"),  # two rare capitalised words
    ("The verses come from Zuzeth's kid, not from a book", "possessive"),
    ("Quellmor began painting at nine", "person-verb"),
    ("Brantwell is from a small town", "person-verb"),
    ("Ostrava-born Zellick is kind; she always helps", "pronoun"),
    ("This tale by Vrenhild is a fine example", "copula"),
    ("Pellinor, can you send the file again?", "vocative"),
    ("follow up with marta q ilievska next week", "lower-case-name"),
    ("follow up with eric t vandemoort next week", "lower-case-name"),  # English-word first name + initial
    ("oskar: \"where were you?\"", "dialogue"),
    ("follow up with eric about the bridge", "meeting-with"),  # a frame only a person fills
])
def test_person_hints(text: str, rule: str) -> None:
    assert ("PERSON", rule) in rules(text)


@pytest.mark.parametrize("text", [
    "How do I deploy a Django app on Kubernetes?",  # frequent words, not names
    "Write a song about London Bridge",
    "Reliable Tale is a fine example",  # English words
    "Kubernetes is a container orchestrator",  # sentence start, frequent word
    "What is the CAP theorem?",  # capitals
    "Give me tips for a job interview at a software company",  # "job" is a name and a word
    "Help me with Kubernetes networking",  # "with" alone is no meeting
    "the meeting is at 1500 hours",  # a time, not a house number
    "Our revenue moved to 500 million",
])
def test_no_person_hint(text: str) -> None:
    assert [r for r in rules(text) if r[0] == "PERSON"] == []


@pytest.mark.parametrize("text,rule", [
    ("deliver to 7 Ulmenhof 12 Suite 3, Graz", "unit-after-number"),
    ("please change my billing address to: 44 kvarnbacken, 11 tr", "labelled-address"),
])
def test_address_hints(text: str, rule: str) -> None:
    assert ("STREET_ADDRESS", rule) in rules(text)


def test_a_hint_makes_the_request_sensitive_without_a_span(scanner: PrivacyScanner) -> None:
    text = "Please add Oyelaran Tchakarov to the policy"
    assert all(s.entity_type != "PERSON" for s in scanner.detect_pii(text))
    result = scanner.scan(text)
    assert result.is_sensitive and "pii-hint:PERSON" in result.reasons and result.spans == ()


def test_no_hint_inside_a_detected_span(scanner: PrivacyScanner) -> None:
    assert scanner.scan("Send the contract to marta.ilievska@acme.com").reasons == ("pii:EMAIL_ADDRESS",)


def test_a_found_entity_needs_no_hint(scanner: PrivacyScanner) -> None:
    result = scanner.scan("What is Dana Whitfield's bonus this year?")
    assert "pii:PERSON" in result.reasons and "pii-hint:PERSON" not in result.reasons


def test_hints_are_configurable() -> None:
    text = "Please add Oyelaran Tchakarov to the policy"
    assert not PrivacyScanner(PrivacyConfig(request_hints=False)).scan(text).is_sensitive
    assert PrivacyScanner(PrivacyConfig(hint_level="internal")).scan(text).level == "internal"
    assert PrivacyScanner(PrivacyConfig(disabled_entities=["PERSON"])).detect_hints(text) == []


@pytest.mark.parametrize("text", [
    "How far is the Moon from the Earth?",
    "Describe a sunset over the Grand Canyon",
    "When did the Berlin Wall fall?",
    "What is the CAP theorem?",
    "Explain the attention mechanism in transformers",
])
def test_ordinary_words_in_capitals_are_not_names(scanner: PrivacyScanner, text: str) -> None:
    assert not scanner.scan(text).is_sensitive


@pytest.mark.parametrize("text,rule", [
    ("Mr. Park flew to Leppen on Tuesday", "title"),
    ("\"I agree,\" says Park.", "reported-by"),
    ("we need to add Roeterdink as guardian", "added-as"),
    ("Have you been to a LeBatelier concert?", "creator"),
    ("velimir r. janković is very reliable. you can always depend on him.", "lower-case-person"),
    ("maybe it's under kastner", "credited"),
    ("What's your last name? chad", "name-answer"),
    ("meet me at pohlstrasse 9", "place-street"),
    ("The restaurant is located at 33963.", "place-number"),
])
def test_person_and_place_frames_with_the_shipped_word_lists(text: str, rule: str) -> None:
    """Frames a name or address fills whatever its words look like (English words, rare words,
    lower case), checked with the shipped gazetteer and vocabulary."""
    assert rule in [r for _, r in PrivacyScanner().detect_hints(text)]


@pytest.mark.parametrize("text,rule", [
    ("why is tomasz so impulsive lately?", "trait"),
    ("a tribute to vsevolod from the whole team", "relation"),
    ("Kowalczyk, the site manager, said the crane was late", "apposition"),
    ("an essay by Wrzesniewska on memory", "credited"),
    ("the founders: jarek, olga and radomir", "people-list"),
    ("we invited bartosz, ingrid, wojciech, malgorzata and tobiasz", "name-series"),
    ("ines and radomir were best friends", "name-list"),
    ("the form was signed by zofia r. kaminska", "lower-case-name"),
    ("hi, my name is chad", "named"),
    ("please add chad as a beneficiary", "person-frame"),
    ("remove my son frank from the policy", "person-frame"),
    ("the guitarist wojciech left the band", "role"),
    ("ship it to: storgatan 5\n11350 stockholm", "address-block"),
    ("ok, i'm at hammarvägen 15 now", "street-number"),
    ("the office: 119 countess close street", "number-street"),
    ("where should we send it? user: 9816", "address-answer"),
    ("my new address is Herceg Gateway", "labelled-street"),
    ("Ivo Brandt\n\nALFRICK\nUnited Kingdom", "address-label"),
    ("Bot: Where to? User: Suite 318", "unit"),
])
def test_frames_in_any_case_with_the_shipped_word_lists(text: str, rule: str) -> None:
    """Frames added from perturbing the dev half (swapped names, lower case): each fires on a
    sentence of our own."""
    assert rule in [r for _, r in PrivacyScanner().detect_hints(text)]


@pytest.mark.parametrize("text", [
    "is terraform very reliable for infrastructure as code?",
    "numpy, pandas, scipy and matplotlib are installed",
    "send the request via the gateway on port 8080",
    "my colleague said the build is broken",
    "my son loves dinosaurs, any book ideas?",
    "Version 2\nChangelog\n2024 release notes",
    "Table 1: results\n2019 baseline 45\n2020 model 48",
    "What is a 2 way street?",
    "It's a 5 minute drive from the station.",
    "add docker as a dependency",
    "Step 1: open the terminal\nStep 2: run make\nStep 3: done",
])
def test_no_hint_from_the_new_frames(text: str) -> None:
    assert PrivacyScanner().detect_hints(text) == []
