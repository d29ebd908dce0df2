"""Capitalised phrases that name places, institutions and eponymous ideas are not people."""

from __future__ import annotations

import pytest

from shoal.privacy.features import PET, Featurizer, _h, load_names
from shoal.privacy.name_heads import names_a_pet, names_a_thing
from shoal.privacy.scanner import PrivacyScanner


@pytest.mark.parametrize(("phrase", "after"), [
    ("London Underground", "."), ("Victoria Station", " at noon"), ("Sydney Opera House", ""),
    ("Hudson River", " School"), ("Monty Hall", " problem"), ("Kaplan-Meier", " estimator"),
    ("Camden Market", "?"), ("Berlin Hauptbahnhof", ""),
    ("Parkinson", "'s — when was he diagnosed?"), ("Alzheimer’s", " runs in families"), ("Crohn", " disease"),
])
def test_phrases_with_a_thing_head_name_things(phrase: str, after: str) -> None:
    assert names_a_thing(phrase, after)


@pytest.mark.parametrize(("phrase", "after"), [
    ("Anna Weber", " test results came back"), ("Sarah Hill", " missed her shift"), ("Jae Park", "'s salary"),
    ("Tom Becker", " review is due"), ("Maria Lopez", " Problem"),  # a capitalised next word is not a head noun
    ("Station", ""),  # one word: the detector's own rules decide
    ("Parkinson", ", he owns the account"),  # a describer's name, not said as the disease
    ("Jim Parkinson", "'s salary"),  # two words: a person with that surname
])
def test_people_keep_their_names(phrase: str, after: str) -> None:
    assert not names_a_thing(phrase, after)


def test_scanner_drops_thing_names_but_keeps_people() -> None:
    scanner = PrivacyScanner()
    assert not [s for s in scanner.detect_pii("Is Victoria Station far from Camden Market?") if s.entity_type == "PERSON"]
    found = scanner.detect_pii("Dr. Henrik Lindqvist at Karolinska Hospital diagnosed Ingrid Solberg with lupus.")
    assert any(s.entity_type == "PERSON" and "Ingrid Solberg" in s.text for s in found)


def test_a_role_noun_before_a_first_name_is_not_part_of_the_name() -> None:
    from shoal.privacy.names import NameDetector

    detector = NameDetector()
    for text, name in [("Der Mitarbeiter Thomas Krüger hat gekündigt", "Thomas Krüger"),
                       ("Die Patientin Anna Schmidt hat Fieber", "Anna Schmidt"),
                       ("Nurse Maria Lopez said the dose was wrong", "Maria Lopez")]:
        assert [s.text for s in detector.detect(text)] == [name], text
    assert detector.detect("Visit Grand Canyon National Park in May") == []


@pytest.mark.parametrize(("before", "pet"), [
    ("I'm training my puppy ", True), ("Onze hond ", True), ("Mon chat ", True), ("unser Kater ", True),
    ("my cat, ", True), ("my colleague ", False), ("our nurse ", False), ("Dear ", False)])
def test_a_name_after_an_animal_noun_is_a_pets(before: str, pet: bool) -> None:
    assert names_a_pet(before) is pet


def test_pets_are_not_people_for_the_scanner_or_the_model() -> None:
    scanner = PrivacyScanner()
    assert not [s for s in scanner.detect_pii("My dog Max Power keeps limping.") if s.entity_type == "PERSON"]
    assert [s.text for s in scanner.detect_pii("My colleague Max Power keeps limping.")] == ["Max Power"]
    featurizer = Featurizer(load_names())
    # The model reads a pet's name as the shape <pet>, whatever the name: "cat <pet> is" is a feature
    # of both texts; after "colleague" the name keeps the person shape.
    pet_trigram = _h(f"m:cat {PET} is")
    assert pet_trigram in featurizer.encode("my cat Winston is sneezing").ids
    assert pet_trigram in featurizer.encode("my cat Bella is sneezing").ids
    assert _h(f"m:colleague {PET} is") not in featurizer.encode("my colleague Winston is sneezing").ids
