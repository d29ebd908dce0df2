"""One scanner per test session: the gazetteer and topic models load once (they are read-only)."""

from __future__ import annotations

import pytest

from shoal.privacy.scanner import PrivacyScanner


@pytest.fixture(scope="session")
def scanner() -> PrivacyScanner:
    return PrivacyScanner()


def types_of(scanner: PrivacyScanner, text: str) -> list[tuple[str, str]]:
    return [(s.entity_type, s.text) for s in scanner.detect_pii(text)]
