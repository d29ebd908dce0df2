"""Well-known places whose names are also people's names ("Paris", "Denver", "Florence", "Georgia").

The name gazetteer holds every first and last name of Faker's locales, so a lone capitalised city
such as "Paris" reads as a first name. A single word in this list is a place, not a person, unless a
person cue stands right before it ("Dear Paris", "my name is Florence"): ``NameDetector`` checks it
after its title and cue rules. Multi-word places ("New York", "San José") are handled there by their
first word.
"""

from __future__ import annotations

PLACES: frozenset[str] = frozenset("""
paris london berlin madrid rome vienna lisbon dublin oslo stockholm helsinki copenhagen prague warsaw budapest
athens sofia bucharest zagreb belgrade brussels amsterdam zurich geneva milan florence venice naples turin
barcelona valencia seville lyon marseille nice bordeaux munich hamburg cologne frankfurt dresden leipzig
manchester liverpool leeds bristol edinburgh glasgow cardiff belfast york chester lincoln bath oxford cambridge
denver austin dallas houston phoenix boston chicago seattle portland atlanta miami orlando tampa detroit
cleveland memphis nashville raleigh charlotte savannah madison jackson columbus lansing camden trenton
richmond arlington aurora eugene tyler beverly logan sydney melbourne adelaide perth brisbane darwin hobart
wellington auckland hamilton nelson toronto montreal vancouver ottawa calgary regina victoria kingston
lima santiago bogota caracas quito havana tokyo osaka kyoto beijing shanghai delhi mumbai chennai dubai
cairo nairobi lagos accra alexandria jerusalem istanbul ankara moscow kyiv riga tallinn vilnius minsk
georgia virginia carolina dakota florida montana nevada indiana chelsea brooklyn jordan india china chad
""".split())  # noqa: SIM905 - a word list reads better as text


def is_place(key: str) -> bool:
    """``key`` (lower case) is a well-known place that is also used as a person's name."""
    return key in PLACES
