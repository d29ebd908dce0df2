"""The scan as the pipeline sees it: levels, reasons, document labels, configuration, determinism."""

from __future__ import annotations

import pytest

from shoal.config import parse_config
from shoal.errors import ConfigError
from shoal.models.types import ChatRequest, Message
from shoal.pipeline import DirectCaller, DirectPolicy, Pipeline, Scanner
from shoal.privacy.config import PrivacyConfig
from shoal.privacy.scanner import PrivacyScanner
from shoal.privacy.types import DocLabel


def test_pii_makes_a_request_confidential(scanner: PrivacyScanner) -> None:
    result = scanner.scan("Send the contract to dana.whitfield@acme.com")
    assert result.level == "confidential" and result.is_sensitive
    assert result.reasons[0] == "pii:EMAIL_ADDRESS"  # an exact detection comes first; the model may add its class
    assert [s.text for s in result.spans if s.entity_type != "PERSON"] == ["dana.whitfield@acme.com"]


def test_acceptance_example_has_person_and_topic(scanner: PrivacyScanner) -> None:
    result = scanner.scan("What is Dana Whitfield's bonus this year?")
    assert result.is_sensitive
    assert {"pii:PERSON", "model:personal", "topic:compensation"} <= set(result.reasons)


def test_plain_request_is_public(scanner: PrivacyScanner) -> None:
    result = scanner.scan("Write a haiku about spring")
    assert result.level == "public" and result.reasons == () and not result.is_sensitive


@pytest.mark.parametrize("label,sensitive", [("confidential", True), ("restricted", True), ("internal", False),
                                              ("public", False)])
def test_document_labels(scanner: PrivacyScanner, label: str, sensitive: bool) -> None:
    result = scanner.scan("Summarise the attached notes", [DocLabel(label, "hr/salaries.md")])  # type: ignore[arg-type]
    assert result.is_sensitive is sensitive
    assert result.level == label
    if label != "public":
        assert result.reasons == (f"doc-label:{label}(hr/salaries.md)",)


def test_highest_level_wins_and_reasons_are_unique(scanner: PrivacyScanner) -> None:
    labels = [DocLabel("confidential", "a.md"), DocLabel("restricted", "b.md"), DocLabel("confidential", "a.md")]
    result = scanner.scan("mail a@b.com and c@d.com", labels)
    assert result.level == "restricted"
    assert result.reasons[0] == "pii:EMAIL_ADDRESS"
    assert result.reasons[-2:] == ("doc-label:confidential(a.md)", "doc-label:restricted(b.md)")
    assert len(set(result.reasons)) == len(result.reasons)


def test_levels_per_finding_are_configurable() -> None:
    # The model off: its own finding (model:*) has its own level (privacy.model.level).
    scanner = PrivacyScanner(PrivacyConfig(levels={"IP_ADDRESS": "internal", "CREDENTIAL": "restricted"},
                                           topics={"enabled": False}, model={"enabled": False}))  # type: ignore[arg-type]
    assert scanner.scan("blocked from 84.23.101.7").level == "internal"
    assert scanner.scan("password: hunter2xyz").level == "restricted"


def test_disabled_entities_are_not_detected() -> None:
    scanner = PrivacyScanner(PrivacyConfig(disabled_entities=["EMAIL_ADDRESS"]))
    assert scanner.detect_pii("write to bob@examplemail.org") == []
    only = PrivacyScanner(PrivacyConfig(entities=["CREDIT_CARD"]))
    assert [s.entity_type for s in only.detect_pii("bob@examplemail.org 5425 2334 3010 9903")] == ["CREDIT_CARD"]


def test_privacy_off_still_honours_document_labels() -> None:
    scanner = PrivacyScanner(PrivacyConfig(enabled=False))
    assert scanner.scan("bob@examplemail.org").reasons == ()
    assert scanner.scan("x", [DocLabel("confidential", "a.md")]).is_sensitive


def test_deterministic(scanner: PrivacyScanner) -> None:
    text = "Dear Ms. Okafor, we are letting 12 people go in March; card 5425 2334 3010 9903, IP 10.0.0.7"
    first = scanner.scan(text)
    assert all(scanner.scan(text) == first for _ in range(5))
    assert PrivacyScanner().scan(text) == first


def test_config_section_validates_in_shoal_yaml() -> None:
    config = parse_config({"privacy": {"disabled_entities": ["IP_ADDRESS"], "levels": {"topic:m_and_a": "restricted"}}})
    assert config.privacy.enabled_entities() >= {"PERSON"} and "IP_ADDRESS" not in config.privacy.enabled_entities()
    with pytest.raises(ConfigError, match="privacy.entities"):
        parse_config({"privacy": {"entities": ["EMAIL"]}})
    with pytest.raises(ConfigError, match="privacy.levels"):
        parse_config({"privacy": {"levels": {"salary": "restricted"}}})
    with pytest.raises(ConfigError, match="did you mean"):
        parse_config({"privacy": {"topic": {}}})


def test_scanner_plugs_into_the_pipeline(scanner: PrivacyScanner) -> None:
    as_protocol: Scanner = scanner
    pipeline = Pipeline(policy=DirectPolicy("local"), caller=DirectCaller(None), scanner=as_protocol)
    prepared = pipeline.prepare(ChatRequest(messages=[Message.user("my SSN is 123-45-6780")]))
    assert prepared.sensitivity.is_sensitive
    assert prepared.sensitivity.reasons[0] == "pii:US_SSN"


def test_detect_pii_reads_a_long_text_window_by_window_and_misses_nothing_at_the_cuts() -> None:
    from shoal.privacy.scanner import WINDOW

    filler = "The quarterly report covers routine matters of the office. "
    head = filler * (WINDOW // len(filler))  # ends just short of the first cut
    text = head[: WINDOW - 12] + " write to dana.whitfield@acme-corp.io today. " + filler * 300 + "Card 5425 2334 3010 9903."
    spans = PrivacyScanner().detect_pii(text)
    found = {(s.entity_type, text[s.start:s.end]) for s in spans}
    assert ("EMAIL_ADDRESS", "dana.whitfield@acme-corp.io") in found  # across the first window's end
    assert ("CREDIT_CARD", "5425 2334 3010 9903") in found
    assert all(text[s.start:s.end] == s.text for s in spans)
    assert spans == sorted(spans, key=lambda s: (s.start, s.end))
