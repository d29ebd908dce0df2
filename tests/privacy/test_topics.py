"""Confidential topics: specific requests are flagged, general questions about the same subject are not.

The phrasings below are not in the seed file (they are paraphrases of its examples)."""

from __future__ import annotations

import pytest

from shoal.errors import ConfigError
from shoal.privacy.config import PrivacyConfig, TopicsConfig
from shoal.privacy.scanner import PrivacyScanner
from shoal.privacy.topics import load_seed


@pytest.mark.parametrize("text,topic", [
    ("we are laying off 40 people in Q3, draft the memo", "terminations_and_layoffs"),
    ("Jake's pay is going up to 95k next month, write him a note", "compensation"),
    ("how much do we pay our nurses in Ohio", "compensation"),
    ("our Q2 numbers are bad: revenue is down 20%, draft the note to investors before we publish",
     "unreleased_financial_results"),
    ("Someone broke into our database last night and stole customer passwords", "security_incidents"),
    ("We're buying Acme Corp for 30M, keep it quiet", "m_and_a"),
    ("Our lawyer said the lawsuit from the landlord will cost us 200k", "legal_privilege"),
    ("give Tim a written warning for being rude to a client", "performance_and_discipline"),
])
def test_specific_requests_on_a_topic(scanner: PrivacyScanner, text: str, topic: str) -> None:
    found = [name for name, _p in scanner.detect_topics(text)]
    assert found and found[0] == topic
    assert f"topic:{topic}" in scanner.scan(text).reasons


@pytest.mark.parametrize("text", [
    "how does a performance improvement plan usually work?",
    "What is a data breach?",
    "What is the typical maternity leave in Sweden?",
    "Explain mergers and acquisitions",
    "What is a lawsuit?",
    "How do stock options vest?",
    "Write a haiku about spring",
    "Write a python function to sort a list",
    "Draft the agenda for Monday's sync with the design team",
    "Fix the bug in our login page",
])
def test_general_and_unrelated_requests_are_not_confidential(scanner: PrivacyScanner, text: str) -> None:
    assert scanner.detect_topics(text) == []
    assert not scanner.scan(text).is_sensitive


def test_config_adds_and_removes_topics() -> None:
    config = PrivacyConfig(topics=TopicsConfig.model_validate({
        "remove": ["health_and_leave"],
        "add": {"clinical_trials": {"examples": [
            "the interim readout of trial NX-12 shows efficacy dropped to 41%, draft the note to the board",
            "our phase 2 trial for the asthma drug missed its primary endpoint, prepare the internal memo",
            "patient enrolment in our oncology study stalled at 60 subjects, summarise it for the sponsor",
            "the unblinded results of our diabetes trial are in, write the summary before the announcement",
        ], "terms": ["trial", "endpoint", "efficacy", "enrolment", "placebo"], "level": "restricted"}},
    }))
    scanner = PrivacyScanner(config)
    result = scanner.scan("Our phase 3 trial of the migraine drug failed its endpoint, draft the memo for the CEO")
    assert "topic:clinical_trials" in result.reasons
    assert result.level == "restricted"
    assert scanner.detect_topics("Emma is on medical leave for her surgery until June, who covers her accounts?") \
        == [] or "health_and_leave" not in dict(scanner.detect_topics("Emma is on medical leave"))
    assert "health_and_leave" not in scanner._topic_detector().topic_model.classes


def test_unknown_topic_in_config_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="privacy.topics.remove"):
        load_seed(TopicsConfig(remove=["weather"]))
    with pytest.raises(ConfigError, match="extra_examples.payroll"):
        load_seed(TopicsConfig(extra_examples={"payroll": ["x"]}))


def test_topics_can_be_switched_off() -> None:
    scanner = PrivacyScanner(PrivacyConfig(topics=TopicsConfig(enabled=False)))
    reasons = scanner.scan("we are laying off 40 people in Q3, draft the memo").reasons
    assert reasons == ("model:business",)  # the model still decides; no topic names it


def test_built_in_topics_need_some_evidence_from_the_model(scanner: PrivacyScanner) -> None:
    # Topic and specific enough for the topic model, but about a public company's published numbers.
    text = "Summarise Microsoft's publicly reported revenue for the last quarter"
    assert not scanner.scan(text).is_sensitive


FAST_PATH_TEXTS = [
    "What is the capital of France?",
    "we are laying off 40 people in Q3, draft the memo",
    "Our P&L for Q2 shows a loss; the k base numbers are off",
    "Ärger über die Gehälter: wer verdient 90k?",
    "",
    "401k 401k 401k letting go of the let-go list",
]


@pytest.mark.parametrize("text", FAST_PATH_TEXTS)
def test_grouped_scoring_equals_the_feature_dict_path(text: str) -> None:
    """The prediction fast path (feature groups, column sums) is the same model as the plain one."""
    from shoal.privacy.topics import feature_groups, featurize, specificity_features, specificity_groups

    detector = PrivacyScanner()._topic_detector()
    plain = detector.topic_model.probabilities(featurize(text, detector.lexicon))
    grouped = detector.topic_model.grouped_probabilities(feature_groups(text, detector.lexicon))
    assert grouped == pytest.approx(plain, abs=1e-12)
    plain = detector.specificity_model.probabilities(specificity_features(text))
    grouped = detector.specificity_model.grouped_probabilities(specificity_groups(text))
    assert grouped == pytest.approx(plain, abs=1e-12)


def test_lexicon_gate_never_skips_a_pattern_that_matches() -> None:
    """The word-start gate must be exact: check it against running every pattern on many texts."""
    import random
    import re

    from shoal.privacy.topics import _lexicon_gate, compile_lexicon

    rng = random.Random(7)
    terms = {"a": ["k base", "p&l", "salary", "let go", "ebitda", "x"], "b": ["über", "o'neil", "q3 plan", "in"]}
    lexicon = compile_lexicon(terms)
    words = ["k", "base", "p&l", "p", "l", "salaryman", "let", "go", "letting", "Über", "xx", "o'neil", "q3",
             "plan", "in", "inn", "the", "EBITDA", "—", "k-base"]
    for _ in range(2000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6))).lower()
        starts = {run[:n] for run in re.findall(r"\b\w{1,3}", text) for n in (1, 2, 3)}
        for _name, rx in lexicon:
            needs, always = _lexicon_gate(rx.pattern)
            if rx.findall(text):
                assert always or not starts.isdisjoint(needs), (text, rx.pattern)
