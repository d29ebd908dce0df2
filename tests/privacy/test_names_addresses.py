"""Person names (gazetteer + context) and street addresses."""

from __future__ import annotations

import pytest

from shoal.privacy.names import Gazetteer, NameDetector, load_gazetteer
from shoal.privacy.scanner import PrivacyScanner
from tests.privacy.conftest import types_of


def persons(scanner: PrivacyScanner, text: str) -> list[str]:
    return [value for kind, value in types_of(scanner, text) if kind == "PERSON"]


@pytest.mark.parametrize("text,name", [
    ("What is Dana Whitfield's bonus this year?", "Dana Whitfield"),  # known first name + unknown surname
    ("Please ask Mr. Okonkwo to call back", "Okonkwo"),  # title
    ("sometimes people call me višeslav", "višeslav"),  # cue, lower case, not in any list
    ("Hi Victor, the invoice is attached", "Victor"),  # greeting cue
    ("Follow up with Sigrid Nyström in a couple of months.", "Sigrid Nyström"),
    ("Directed by: Gladys L. Leblanc", "Gladys L. Leblanc"),  # middle initial
    ('"It is moving in that direction," says Hauta-aho.', "Hauta-aho"),  # reporting verb cue
    ("My name is Aantje Mourik", "Aantje Mourik"),
])
def test_names_found(scanner: PrivacyScanner, text: str, name: str) -> None:
    assert name in persons(scanner, text)


@pytest.mark.parametrize("text", [
    "I'm moving out of the country, so please cancel my subscription",
    "I work at Morgan Stanley Inc. in New York",
    "We returned to San Bernardino by helicopter on Sunday",
    "France was super fun to visit!",
    "Write a haiku about spring",
    "The Quarterly Business Review is on Monday",
    "The capital of France is Paris.",  # a place that is also a first name
    "How many employees in Denver use the VPN?",
    "Our Florence office moves in June",
    # Code: a capitalised word right before a member access or a call is an identifier.
    "function backoff(n) { return Math.min(delayMs * 2 ** n, maxDelayMs); }",
    "Why does Console.log print undefined here?",
    "x = Max(a, b) throws in my test",
])
def test_not_names(scanner: PrivacyScanner, text: str) -> None:
    assert persons(scanner, text) == []


@pytest.mark.parametrize("text,name", [("Email the report to Dana Whitfield.then call me", "Dana Whitfield"),
                                       ("Send it to Dana Whitfield. Then call me", "Dana Whitfield")])
def test_a_name_before_a_sentence_end_is_still_a_name(scanner: PrivacyScanner, text: str, name: str) -> None:
    assert name in persons(scanner, text)


@pytest.mark.parametrize("text,name", [("Dear Paris, thanks for the flowers", "Paris"),
                                       ("My name is Florence Hughes", "Florence Hughes"),
                                       ("Paris Okafor was at the launch", "Paris Okafor")])
def test_a_place_name_with_a_person_cue_is_still_a_name(scanner: PrivacyScanner, text: str, name: str) -> None:
    assert name in persons(scanner, text)


def test_ambiguous_word_needs_a_second_clue() -> None:
    gazetteer = Gazetteer(first=frozenset({"will", "dana"}), last=frozenset({"whitfield"}),
                          common=frozenset({"will"}))
    detector = NameDetector(gazetteer)
    assert [s.text for s in detector.detect("Will this work tomorrow?")] == []
    assert [s.text for s in detector.detect("I met Will Whitfield today")] == ["Will Whitfield"]


def test_gazetteer_is_multilingual_and_excludes_countries() -> None:
    g = load_gazetteer()
    assert {"sigrid", "mette", "dana"} <= g.first
    assert "johansen" in g.last
    assert "france" not in g.first and "france" in g.common


@pytest.mark.parametrize("text,address", [
    ("Send it to 90 Whitchurch Road, Cardiff CF14 3LX, United Kingdom",
     "90 Whitchurch Road, Cardiff CF14 3LX, United Kingdom"),
    ("The bus station is on Via Tasso 129", "Via Tasso 129"),
    ("She lives at Vesterskovvej 79, 8000 Aarhus", "Vesterskovvej 79, 8000 Aarhus"),
    ("Ship to 1600 Pennsylvania Avenue NW, Washington, DC 20500", "1600 Pennsylvania Avenue NW, Washington, DC 20500"),
    ("PSC 1234, Box 5678\nAPO AE 09012", "PSC 1234, Box 5678\nAPO AE 09012"),
    ("meet at the corner of Main Street and 5th Avenue.", "the corner of Main Street and 5th Avenue"),
    ("Address: 30866 Ránargata 87 Apt. 652, Tallinn, Estonia 02151", "30866 Ránargata 87 Apt. 652, Tallinn, Estonia 02151"),
    # the ordinal dot of a house number, then the unit and the city lines
    ("Send it to 808 Kálmán Imre u. 12.\n Apt. 762\n Zalakaros\n Hungary 06554",
     "808 Kálmán Imre u. 12.\n Apt. 762\n Zalakaros\n Hungary 06554"),
    # a second street name after the first, a direction written out
    ("She moved to 1317 Kimberly Way Laidlaw Green\n Apt. 962\n Grand Rapids",
     "1317 Kimberly Way Laidlaw Green\n Apt. 962\n Grand Rapids"),
    ("a taxi to 67 Devon Street West, Brook", "67 Devon Street West, Brook"),
    # a lower-case street type inside a capitalised name, abbreviations inside a corner
    ("Merineitsi põik 87, Tallinn", "Merineitsi põik 87, Tallinn"),
    ("stop at the corner of ul. Cicha 86 and Leokadia Trail?", "the corner of ul. Cicha 86 and Leokadia Trail"),
    # a text all in lower case
    ("i moved, the new one is 2613 avenida praia 1 suite 463, mohács, hungary 24743",
     "2613 avenida praia 1 suite 463, mohács, hungary 24743"),
    ("my address is 12 main street, springfield, il 62704", "12 main street, springfield, il 62704"),
    # a street in lower case inside a text with capitals: after a cue, or before a city line
    ("Ship it to 14 rue des lilas, 69003 lyon please.", "14 rue des lilas, 69003 lyon"),
    ("Send it to 033 theodore station\nbarnesshire, sc 26517", "033 theodore station\nbarnesshire, sc 26517"),
    ("Name: X Y\nAddress: björkgatan 1\n11461 borås\nPhone: 555", "björkgatan 1\n11461 borås"),
])
def test_addresses(scanner: PrivacyScanner, text: str, address: str) -> None:
    assert ("STREET_ADDRESS", address) in types_of(scanner, text)


@pytest.mark.parametrize("text", [
    "During 2008, the company grew fast",
    "We bought 5 Musicians Of The 70s records",
    "Upgrade to Windows 11 before Friday",
    "Chapter 12 explains recursion",
    "the 2 lane road is closed", "it is a 10 min walk from the station", "in the park 12 kids played",
    "i bought 2 via amazon", "Order 66. Then we left",
    "The 2 lane road is closed", "We need 2 new street lights", "We are offering 3 discounts, Monday only",
    "We have 2 bus station exits", "I walked 5 blocks down the main street.",
])
def test_not_addresses(scanner: PrivacyScanner, text: str) -> None:
    assert all(kind != "STREET_ADDRESS" for kind, _ in types_of(scanner, text))
