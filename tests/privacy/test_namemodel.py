"""The character n-gram name model: it learns name spellings from examples, round-trips through its
file format, and its hint fires only on rare capitalised words it scores as names."""

from __future__ import annotations

import importlib.util

import pytest

from shoal.privacy import build_data
from shoal.privacy.hints import HintDetector
from shoal.privacy.namemodel import NAME_MODEL_FILE, NameModel, load_name_model, train_name_model
from shoal.privacy.names import Gazetteer, Vocabulary

# Two spelling families the model must tell apart: Slavic-style surnames vs. English -tion/-ness words.
NAMES = [f"{stem}{end}" for stem in ("petr", "ivan", "kozl", "smirn", "lebed", "sokol", "volk", "orl")
         for end in ("ova", "enko", "ovich", "ovsky")]
WORDS = [f"{stem}{end}" for stem in ("na", "sta", "rela", "mo", "crea", "posi", "opera", "direc")
         for end in ("tion", "tional", "tions", "tionally")]


def test_training_separates_spelling_patterns_and_generalises_to_unseen_words() -> None:
    model = train_name_model(NAMES, WORDS, steps=80, min_count=1)
    assert model.probability("zubova") > 0.6  # stem never seen, ending learned
    assert model.probability("vacation") < 0.2


def test_words_in_both_lists_are_not_evidence() -> None:
    model = train_name_model([*NAMES, "ambiguous"], [*WORDS, "ambiguous"], steps=20, min_count=1)
    assert "^am" not in model.weights  # dropped from both classes, so its n-grams were never features


def test_file_round_trip_keeps_probabilities() -> None:
    model = train_name_model(NAMES, WORDS, steps=40, min_count=1)
    again = NameModel.from_bytes(model.to_bytes("test"))
    for word in ("zubova", "vacation", "x"):
        assert again.probability(word) == pytest.approx(model.probability(word), abs=1e-3)
    assert model.to_bytes("test") == again.to_bytes("test")  # deterministic bytes


def test_shipped_model_scores_unseen_surnames_above_words_and_places() -> None:
    model = load_name_model()
    for name in ("dzhambek", "musliyevich", "umkhayev"):
        assert model.probability(name) > 0.6, name
    for word in ("vacation", "postgresql", "javascript", "spreadsheet"):
        assert model.probability(word) < 0.5, word


GAZ = Gazetteer(first=frozenset({"marta"}), last=frozenset({"nowak"}), common=frozenset({"france"}))
VOC = Vocabulary(english=frozenset({"reliable", "deploy", "app", "configure"}), known=frozenset({"london"}))
MODEL = train_name_model(NAMES, WORDS, steps=80, min_count=1)


def rules(text: str, threshold: float = 0.6) -> list[str]:
    return [h.rule for h in HintDetector(GAZ, VOC, MODEL, threshold).detect(text)]


def test_name_model_hint_on_a_rare_name_like_word_without_any_cue() -> None:
    text = "Have you been to a Zubova concert before?"
    assert rules(text) == ["name-model"]
    assert rules(text, threshold=1.0) == []
    assert HintDetector(GAZ, VOC).detect(text) == []  # no model, no hint


@pytest.mark.parametrize("text", [
    "Have you been to a Vacation concert before?",  # spelled like a word
    "How do I configure the Rotationally app?",  # an English-looking rare word
    "Deploy the ZubovaDB app",  # a capital inside: a product name
    "why is zubova so impulsive?",  # lower case: not this rule's business
])
def test_no_name_model_hint(text: str) -> None:
    assert "name-model" not in rules(text)


def _sources_available() -> bool:
    return importlib.util.find_spec("faker") is not None


@pytest.mark.slow
def test_name_model_file_is_byte_identical_to_a_rebuild() -> None:
    if not _sources_available():
        pytest.skip("needs faker (pip install 'shoal[privacy-data]')")
    import faker

    shipped = (build_data.DATA_DIR / NAME_MODEL_FILE).read_bytes()
    import gzip

    if f"faker {faker.VERSION} " not in gzip.decompress(shipped).decode("utf-8").split("\n", 1)[0]:
        pytest.skip("the shipped name model was built with another Faker version")
    assert build_data.build_name_model() == shipped, "rebuild: python -m shoal.privacy.build_data names"
