"""The learned sensitivity model: behaviour on the policy's examples, windows, artefacts, team terms.

The prompts below state the policy (README, "Privacy"): a name alone decides nothing; a name with pay,
health, performance, contact details, identifiers, family or legal matters does; any secret does;
confidential business facts do; a question *about* a topic does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shoal.errors import ConfigError
from shoal.privacy.config import PrivacyConfig
from shoal.privacy.features import Featurizer, load_names
from shoal.privacy.gen.frames import generate
from shoal.privacy.model import CLASSES, SensitivityModel, load_model
from shoal.privacy.scanner import PrivacyScanner

PUBLIC = [
    "Who was Marie Curie?",
    "What was Abraham Lincoln's position on the tariff?",
    "Explain the plot of Hamlet",
    "Is Redis a good fit for rate limiting?",
    "What is Kafka used for?",
    "Explain what an IBAN is",
    "How do credit card numbers use the Luhn algorithm?",
    "The quick brown fox jumps over the lazy dog.",
    "Explain the Roman calendar",
    "How do companies usually structure sales bonuses?",
]
SENSITIVE = [
    ("What is Dana Whitfield's bonus this year?", "model:personal"),
    ("my bank login is user jdoe88, pass Blue!Sky42 - check my statements", None),
    ("Our VP Karen Oduya is going through a divorce and wants a reduced schedule", "model:personal"),
    ("We are closing the Tilburg plant in March, it is not announced yet. Draft the memo.", "model:business"),
]


@pytest.mark.parametrize("text", PUBLIC)
def test_public_prompts_stay_public(scanner: PrivacyScanner, text: str) -> None:
    result = scanner.scan(text)
    assert not result.is_sensitive, result.reasons


@pytest.mark.parametrize(("text", "reason"), SENSITIVE)
def test_sensitive_prompts_are_pinned(scanner: PrivacyScanner, text: str, reason: str | None) -> None:
    result = scanner.scan(text)
    assert result.is_sensitive
    if reason:
        assert reason in result.reasons


def test_a_name_is_a_span_but_decides_nothing_alone(scanner: PrivacyScanner) -> None:
    public = scanner.scan("Write a short biography of Marie Curie")
    assert not public.is_sensitive and "pii:PERSON" not in public.reasons
    private = scanner.scan("What is Dana Whitfield's bonus this year?")
    assert "pii:PERSON" in private.reasons and any(s.entity_type == "PERSON" for s in private.spans)


FILLER = [
    "The report covers the migration of the billing service to the new cluster.",
    "Most of the work went into the data model and the retry logic.",
    "We measured the latency before and after the change on a week of traffic.",
    "The old queue is kept for two more releases so that clients can move at their own pace.",
    "Documentation for the new endpoints lives in the developer portal.",
    "The load tests ran on three machines with the production configuration.",
    "Error rates stayed flat while throughput went up by a third.",
    "Next quarter the team will look at caching and at the search index.",
]


def test_one_sensitive_sentence_in_a_long_prompt_is_found(scanner: PrivacyScanner) -> None:
    filler = " ".join(FILLER * 8)  # ~1,000 words of an ordinary engineering report
    text = filler + " By the way, Dana Whitfield's salary is 84,000 and she is on sick leave for depression. " + filler
    assert scanner.scan(text).is_sensitive


def test_a_long_ordinary_report_is_public(scanner: PrivacyScanner) -> None:
    assert not scanner.scan(" ".join(FILLER * 8)).is_sensitive


@pytest.mark.parametrize("word", ["word", "salary", "Dana"])
def test_repeating_a_word_adds_nothing(scanner: PrivacyScanner, word: str) -> None:
    """A unit scores its distinct features: 40 repetitions score like 10 (one unit), and 3,000 like 200
    (units of a long text, which carries one more layout feature). The n-gram model's property: the
    semantic stage (an embedding of the text) is left out."""
    for few, many in ((10, 40), (200, 3000)):
        short = scanner.model_verdict(" ".join([word] * few), semantic=False)
        long = scanner.model_verdict(" ".join([word] * many), semantic=False)
        assert short is not None and long is not None
        assert long.p_sensitive == pytest.approx(short.p_sensitive, abs=1e-6)
    assert not scanner.scan("summarise: " + "word " * 3000).is_sensitive


def test_masking_placeholders_are_not_personal_data(scanner: PrivacyScanner) -> None:
    featurizer = Featurizer(load_names())
    one = featurizer.windows("the ticket from [EMAIL_ADDRESS_1] about a late parcel")
    two = featurizer.windows("the ticket from [EMAIL_ADDRESS_7] about a late parcel")
    assert one == two  # the placeholder's number carries nothing
    assert not scanner.scan("Please summarise the ticket from [EMAIL_ADDRESS_1] about a late parcel.").is_sensitive
    # a placeholder beside a sensitive attribute is still a person's pay
    assert scanner.scan("What is [PERSON_1]'s salary and bonus this year?").is_sensitive


def test_scripts_without_spaces_are_read_character_by_character() -> None:
    """Japanese and Chinese write no spaces between words, Korean attaches particles to names: the
    model's tokens there are single characters (its bigrams and 4-grams are then character n-grams),
    and "。" ends a sentence as "." does."""
    from shoal.privacy.features import _TOKEN

    assert _TOKEN.findall("佐藤さんの給与。김민준 씨는 Dana's bonus") == [
        "佐", "藤", "さ", "ん", "の", "給", "与", "。", "김", "민", "준", "씨", "는", "Dana's", "bonus"]


def test_windows_cover_a_long_text_with_overlap() -> None:
    featurizer = Featurizer(load_names())
    assert len(featurizer.windows("a short prompt")) == 1
    long = " ".join(f"word{i}" for i in range(1000))
    windows = featurizer.windows(long)
    assert len(windows) > 20 and len(featurizer.windows(long, whole=True)) == 1


# A harmless document and its near twin, one sentence changed (the unit-training tests).
MINUTES = ("Agenda for the weekly sync. Attendees: Marta Kowalczyk, Devon Price and Aiko Tanaka. "
           "Marta will share the migration plan. Devon books the room for Thursday. "
           "Aiko collects questions for the all-hands meeting. The release notes go out on Monday after "
           "the review. Everyone agreed to keep the demo short. Next meeting is on the 14th.")
MINUTES_WITH_HEALTH = MINUTES.replace("Devon books the room for Thursday.",
                                      "Devon is off for chemotherapy until March and his salary is 84,000.")


def test_every_unit_of_a_long_text_is_a_sentence_or_more() -> None:
    """A closing fragment (a trailing newline, "Thanks!") joins the sentence before it: scored alone
    it would be the text-level features and almost nothing else, and those decided for it."""
    from shoal.privacy.features import _TOKEN, MIN_SENTENCE

    featurizer = Featurizer(load_names())
    body = " ".join(f"The team met on day {i} and agreed on the next release steps." for i in range(8))
    for text in (body + "\n", body + " Thanks!", body + "\n\nBest,\nMarta"):
        enc = featurizer.encode(text, ["PERSON"])
        n = len(_TOKEN.findall(text))
        assert len(enc.units) > 2
        assert all(b - a >= MIN_SENTENCE for a, b in enc.units), text[-20:]
        assert max(b for _, b in enc.units) == n  # the fragment is still read, inside a unit


def test_training_on_units_teaches_that_a_harmless_document_is_harmless_sentence_by_sentence() -> None:
    """``_fit_on_units``: each unit of a harmless long text becomes a harmless row, the most
    sensitive unit of a sensitive one a sensitive row, weighted so one document counts a few texts."""
    from shoal.privacy.train import _fit_on_units, fit

    featurizer = Featurizer(load_names())
    harmless, sensitive = MINUTES, MINUTES_WITH_HEALTH
    short = [s for s in generate(600, seed=5) if len(featurizer.encode(s["text"]).units) == 1]
    texts = [s["text"] for s in short] + [harmless, sensitive]
    labels = [s["label"] for s in short] + ["none", "personal"]
    rows = [featurizer.windows(t, whole=True)[0] for t in texts]
    weights = [1.0] * len(texts)
    base = fit(rows, labels, weights, c=5.0)
    before = len(rows)
    logged: list[str] = []
    model = _fit_on_units(base, featurizer, lambda _t: {"PERSON"}, texts, rows, labels, weights, 3.0, c=5.0,
                          log=logged.append)
    units = featurizer.encode(harmless, ["PERSON"]).unit_ids()
    added = rows[before:]
    assert len(added) == len(units) + 1 and labels[before:] == ["none"] * len(units) + ["personal"]
    assert weights[before] == pytest.approx(min(1.0, 3.0 / len(units)))  # a document weighs ~3 texts
    assert logged and isinstance(model, SensitivityModel)


def test_a_sensitive_document_with_a_harmless_twin_is_taught_by_the_sentence_that_differs() -> None:
    """With ``twins_from``, the sensitive row of a near twin is a unit the harmless twin lacks (the
    chemotherapy sentence), never the attendee list both documents share."""
    from shoal.privacy.features import tokens
    from shoal.privacy.train import _fit_on_units, _twins, _units_not_in, fit

    featurizer = Featurizer(load_names())
    harmless, sensitive = MINUTES, MINUTES_WITH_HEALTH
    other = ("Quarterly planning notes. The platform group will move the build farm to the new region in May, "
             "the data team retires the old warehouse jobs, and support publishes the updated escalation guide. "
             "Budget questions go to the finance partner before the end of the month.")
    texts = [other, harmless, sensitive]
    labels = ["none", "none", "personal"]
    assert _twins(texts, labels, [0, 1, 2]) == {2: 1}
    enc = featurizer.encode(sensitive, ["PERSON"])
    own = _units_not_in(sensitive, enc.units, harmless)
    toks, new_words = tokens(sensitive), set(tokens(sensitive)) - set(tokens(harmless))
    assert own and all(new_words & set(toks[a:b]) for a, b in (enc.units[k] for k in own))
    assert len(own) < len(enc.units)

    short = [s for s in generate(600, seed=5) if len(featurizer.encode(s["text"]).units) == 1]
    all_texts = [s["text"] for s in short] + texts
    all_labels = [s["label"] for s in short] + labels
    rows = [featurizer.windows(t, whole=True)[0] for t in all_texts]
    weights = [1.0] * len(all_texts)
    base = fit(rows, all_labels, weights, c=5.0)
    _fit_on_units(base, featurizer, lambda _t: {"PERSON"}, all_texts, rows, all_labels, weights, 3.0, c=5.0,
                  log=lambda _m: None, twins_from=len(short))
    assert all_labels[-1] == "personal" and rows[-1] in [enc.unit_ids()[k] for k in own]


def test_generator_is_seeded_and_covers_every_class() -> None:
    first = generate(400, seed=3)
    assert first == generate(400, seed=3)
    assert first != generate(400, seed=4)
    assert {s["label"] for s in first} == set(CLASSES)
    assert len({s["kind"] for s in first}) > 20


def test_generator_does_not_read_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped model is rebuilt from a seed: the prompts must not change with the day it is run."""
    import datetime as real

    import faker.providers.date_time as faker_dates

    first = generate(1500, seed=9)
    assert any("Date of birth" in s["text"] or "born on" in s["text"] for s in first)  # dates are drawn

    class AnyDate(type):  # Faker type-checks the dates it is given against the names patched below
        def __instancecheck__(cls, value: object) -> bool:
            return isinstance(value, cls.__mro__[1])

    class LaterDate(real.date, metaclass=AnyDate):
        @classmethod
        def today(cls) -> real.date:
            return real.date(2031, 2, 17)

    class LaterDatetime(real.datetime, metaclass=AnyDate):
        @classmethod
        def now(cls, tz: real.tzinfo | None = None) -> real.datetime:
            return real.datetime(2031, 2, 17, 8, 30, tzinfo=tz)

    monkeypatch.setattr(faker_dates, "dtdate", LaterDate)
    monkeypatch.setattr(faker_dates, "datetime", LaterDatetime)
    assert generate(1500, seed=9) == first


def test_model_round_trips_and_bad_files_are_clear_errors(tmp_path: Path) -> None:
    model = load_model()
    path = tmp_path / "m.npz"
    model.save(path)
    again = load_model(path)
    assert again.threshold == model.threshold and again.classes == model.classes
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="retrain"):
        load_model(tmp_path / "bad.npz")
    with pytest.raises(ConfigError, match="privacy.model.path"):
        load_model(tmp_path / "missing.npz")


def test_configured_threshold_and_switch() -> None:
    text = "What is Dana Whitfield's bonus this year?"
    assert not PrivacyScanner(PrivacyConfig(model={"threshold": 0.999999})).scan(  # type: ignore[arg-type]
        "What is Kafka used for?").is_sensitive
    off = PrivacyScanner(PrivacyConfig(model={"enabled": False}, topics={"enabled": False}))  # type: ignore[arg-type]
    assert not off.scan(text).is_sensitive  # no exact detection, no model: nothing pins it
    assert off.model_verdict(text) is None


def test_organisation_terms_make_a_request_confidential() -> None:
    config = PrivacyConfig(organisation={"terms": ["Project Bluebird"], "customers": ["Hartwell Pharma"],  # type: ignore[arg-type]
                                         "domains": ["corp.example.com"]})
    scanner = PrivacyScanner(config)
    assert "org:term" in scanner.scan("Summarise the status of project-bluebird for me").reasons
    assert "org:customer" in scanner.scan("what does hartwell pharma think of the demo").reasons
    assert "org:domain" in scanner.scan("why is https://wiki.corp.example.com/page slow").reasons
    assert not scanner.scan("What is a bluebird?").is_sensitive
    assert not scanner.scan("see example.com docs").is_sensitive
    with pytest.raises(ValueError, match="too short"):
        PrivacyConfig(organisation={"terms": ["x"]})  # type: ignore[arg-type]


def test_fit_learns_from_labelled_rows() -> None:
    from shoal.privacy.train import fit

    featurizer = Featurizer(load_names())
    samples = generate(1500, seed=11)
    rows = [featurizer.windows(s["text"], whole=True)[0] for s in samples]
    model = fit(rows, [s["label"] for s in samples], c=10.0)
    assert isinstance(model, SensitivityModel)
    held = generate(300, seed=12)
    right = sum((model.verdict(featurizer.windows(s["text"])).p_sensitive >= 0.5) == (s["label"] != "none")
                for s in held)
    assert right / len(held) > 0.85


def test_the_fast_path_scores_like_the_plain_one() -> None:
    featurizer = Featurizer(load_names())
    model = load_model()
    texts = [s["text"] for s in generate(60, seed=5)]
    long = "\n".join(texts)
    for text in [*texts[:10], long]:
        fast = model.score(featurizer.encode(text, ["PERSON"]))
        plain = model.verdict(featurizer.windows(text, ["PERSON"]))
        assert fast.p_sensitive == pytest.approx(plain.p_sensitive, abs=1e-4) and fast.category == plain.category
