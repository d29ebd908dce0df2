"""Bounded cost without timing anything: linear overlap resolution and windowed scans of big texts.

The timings themselves live in ``bench/privacy_latency.py``; here the fast paths must give exactly
the answers of the obvious slow ones.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from shoal.privacy.config import PrivacyConfig, TopicsConfig
from shoal.privacy.normalize import normalize
from shoal.privacy.scanner import OVERLAP, PRIORITY, WINDOW, PrivacyScanner, _pieces, resolve_overlaps
from shoal.privacy.types import Span

_RANK = {name: i for i, name in enumerate(PRIORITY)}


def _reference(spans: Sequence[Span]) -> list[Span]:
    """The quadratic definition: best first, kept unless it overlaps any span kept before."""
    ordered = sorted(spans, key=lambda s: (_RANK.get(s.entity_type, len(PRIORITY)), -(s.end - s.start), s.start))
    kept: list[Span] = []
    for span in ordered:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s.start, s.end))


@pytest.mark.parametrize("seed", range(20))
def test_linear_overlap_resolution_matches_the_definition(seed: int) -> None:
    rng = random.Random(seed)
    types = [*PRIORITY, "SOMETHING_ELSE"]
    spans = []
    for _ in range(rng.randint(0, 300)):
        start = rng.randint(0, 2000)
        end = start + rng.randint(1, 60)
        spans.append(Span(start, end, rng.choice(types), "x" * (end - start)))
    assert resolve_overlaps(spans) == _reference(spans)


def test_many_overlapping_spans() -> None:
    # Ten thousand spans all covering one region: the old resolution compared each with each.
    spans = [Span(i % 50, 100 + i % 50, "PERSON", "x") for i in range(10_000)]
    kept = resolve_overlaps(spans)
    assert len(kept) == 1 and kept[0] == _reference(spans)[0]


def test_pieces_cut_at_whitespace_and_lose_nothing() -> None:
    rng = random.Random(7)
    words = ["alpha", "beta", "gamma\n", "delta", "x" * 40]
    text = " ".join(rng.choice(words) for _ in range(20_000))
    pieces = _pieces(text, WINDOW)
    assert "".join(pieces) == text and len(pieces) > 1
    assert all(len(p) <= WINDOW for p in pieces)
    assert all(p[-1].isspace() for p in pieces[:-1])
    unbroken = "y" * (3 * WINDOW)  # no whitespace at all: hard cuts
    assert "".join(_pieces(unbroken, WINDOW)) == unbroken


@pytest.fixture(scope="module")
def exact() -> PrivacyScanner:
    """Exact detectors only: these tests are about windows, not about what the models decide."""
    return PrivacyScanner(PrivacyConfig(disabled_entities=["PERSON", "STREET_ADDRESS"], request_hints=False,
                                        topics=TopicsConfig(enabled=False)))


def _filler(n: int) -> str:
    sentence = "The team reviewed the rollout plan for the new caching layer and agreed on next steps. "
    return (sentence * (n // len(sentence) + 1))[:n]


def test_a_value_across_a_window_cut_is_found(exact: PrivacyScanner) -> None:
    # The e-mail straddles the first cut and its label sits in the window before.
    head = _filler(WINDOW - 20).rstrip(" ")
    text = head + " mail dana.whitfield@acme.com " + _filler(3 * WINDOW)
    assert len(_pieces(text, WINDOW)) > 1
    result = exact.scan(text)
    assert [s.text for s in result.spans] == ["dana.whitfield@acme.com"]
    norm = normalize(text)
    assert all(norm[s.start:s.end] == s.text for s in result.spans)


def test_values_everywhere_in_a_big_text_are_all_found_once(exact: PrivacyScanner) -> None:
    emails = [f"user{i}.lastname@example{i}.org" for i in range(40)]
    parts = []
    for email in emails:
        parts.append(_filler(random.Random(email).randint(500, 3 * WINDOW)))
        parts.append(f" write to {email} soon. ")
    text = "".join(parts)
    result = exact.scan(text)
    found = [s.text for s in result.spans if s.entity_type == "EMAIL_ADDRESS"]
    assert found == emails
    norm = normalize(text)
    assert all(norm[s.start:s.end] == s.text for s in result.spans)
    starts = [s.start for s in result.spans]
    assert starts == sorted(starts) and all(a.end <= b.start for a, b in zip(result.spans, result.spans[1:],
                                                                               strict=False))


def test_a_big_harmless_text_stays_public_and_a_late_secret_is_caught(exact: PrivacyScanner) -> None:
    text = _filler(40 * WINDOW)
    assert not exact.scan(text).is_sensitive
    assert exact.scan(text + " employee SSN: 201-47-3159").is_sensitive
    assert OVERLAP < WINDOW
