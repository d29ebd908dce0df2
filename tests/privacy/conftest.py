"""One scanner per test session: the gazetteer and topic models load once (they are read-only)."""

from __future__ import annotations

import random

import pytest

from shoal.privacy import topics
from shoal.privacy.config import TopicsConfig
from shoal.privacy.scanner import PrivacyScanner


@pytest.fixture(scope="session")
def scanner() -> PrivacyScanner:
    return PrivacyScanner()


def types_of(scanner: PrivacyScanner, text: str) -> list[tuple[str, str]]:
    return [(s.entity_type, s.text) for s in scanner.detect_pii(text)]


@pytest.fixture(scope="module")
def lexicon() -> topics.Lexicon:
    return topics.TopicDetector.for_config(TopicsConfig()).lexicon


# Prose for the fast-path tests: words and gaps that sit on the detectors' edges.
FAST_PATH_WORDS = ["the", "Main", "Street", "via", "Roma", "rue", "des", "Lilas", "name", "is", "my", "call", "me",
                   "Signed", "attn:", "Patient:", "employee", "account", "holder", "Dana", "Whitfield", "olga", "krylova",
                   "we", "our", "Q3", "layoffs", "salary", "bonus", "acquisition", "term", "sheet", "usually", "what",
                   "is", "a", "İstanbul", "ıslak", "ſigned", "ı", "uſually", "thıs", "ıs", "KELVIN", "Ünal", "façade", "naïve", "Straße", "$", "5m",
                   "this", "attached", "tomorrow", "Draft", "P.O.", "Box", "Apt.", "12B", "Lane", "ul.", "Długa",
                   "-", "von", "der", "O'Neil", "Jean's", "co-worker"]
FAST_PATH_GAPS = [" ", " ", " ", "  ", ", ", ",\t", "\t", "\n", "-", ". ", ": ", " (", ") "]


def fast_path_text(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.2:
            out.append(str(rng.randint(0, 99999)) + rng.choice(["", "", "a", "/2", "-4", "%", ".5"]))
        else:
            out.append(rng.choice(FAST_PATH_WORDS))
        out.append(rng.choice(FAST_PATH_GAPS))
    return "".join(out)
