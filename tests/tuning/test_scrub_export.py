"""PII scrubbing with the real privacy detectors, and the export formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shoal.feedback.examples import Example
from shoal.privacy.scanner import PrivacyScanner
from shoal.tuning.export import export
from shoal.tuning.scrub import scrub_examples
from tests.tuning.conftest import ticket

EMAIL = "dana.whitfield@examplemail.org"


@pytest.fixture(scope="module")
def scanner() -> PrivacyScanner:
    return PrivacyScanner()


def _with_pii() -> Example:
    return Example(messages=(("user", f"Please reset the login for {EMAIL}, call +1 415 555 2132"),),
                   completion=f"Sent a reset link to {EMAIL}.", rejected=f"I emailed {EMAIL} nothing.")


def test_scrub_replaces_values_consistently_across_prompt_and_answers(scanner: PrivacyScanner) -> None:
    clean = ticket("where is my parcel?", "logistics")
    kept, report = scrub_examples([_with_pii(), clean], "scrub", scanner)
    assert len(kept) == 2 and kept[1] == clean
    ex = kept[0]
    blob = json.dumps(ex.to_json())
    assert EMAIL not in blob and "555 2132" not in blob
    assert "[EMAIL_ADDRESS_1]" in ex.messages[0][1] and ex.completion == "Sent a reset link to [EMAIL_ADDRESS_1]."
    assert ex.rejected == "I emailed [EMAIL_ADDRESS_1] nothing."
    assert report.examples_with_pii == 1 and report.entities["EMAIL_ADDRESS"] == 3
    assert report.entities["PHONE_NUMBER"] == 1 and not report.self_hosted_only


def test_drop_and_allow_self_hosted(scanner: PrivacyScanner) -> None:
    clean = ticket("where is my parcel?", "logistics")
    kept, report = scrub_examples([_with_pii(), clean], "drop", scanner)
    assert kept == [clean] and report.dropped == 1
    kept, report = scrub_examples([_with_pii(), clean], "allow_self_hosted", scanner)
    assert kept[0].completion is not None and EMAIL in kept[0].completion
    assert report.self_hosted_only and report.to_json()["self_hosted_only"] is True
    _, report = scrub_examples([clean], "allow_self_hosted", scanner)
    assert not report.self_hosted_only  # nothing found: nothing to restrict
    with pytest.raises(ValueError, match="unknown scrub policy"):
        scrub_examples([clean], "yolo", scanner)


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_formats(tmp_path: Path) -> None:
    correction = Example(messages=(("user", "q1"),), completion="right", rejected="wrong")
    thumbs_up = Example(messages=(("user", "q2"),), completion="fine", label=True)
    thumbs_down = Example(messages=(("user", "q3"),), completion="bad answer", label=False)
    data = [correction, thumbs_up, thumbs_down]

    assert export(data, "sft", tmp_path / "sft.jsonl") == 2
    sft = _rows(tmp_path / "sft.jsonl")
    assert sft[0] == {"messages": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "right"}]}
    assert sft[1]["messages"][-1] == {"role": "assistant", "content": "fine"}  # type: ignore[index]

    assert export(data, "preference", tmp_path / "pref.jsonl") == 1
    assert _rows(tmp_path / "pref.jsonl") == [{"prompt": [{"role": "user", "content": "q1"}],
                                               "chosen": [{"role": "assistant", "content": "right"}],
                                               "rejected": [{"role": "assistant", "content": "wrong"}]}]

    assert export(data, "kto", tmp_path / "kto.jsonl") == 4
    kto = [(r["prompt"][0]["content"], r["completion"][0]["content"], r["label"])  # type: ignore[index]
           for r in _rows(tmp_path / "kto.jsonl")]
    assert kto == [("q1", "right", True), ("q1", "wrong", False), ("q2", "fine", True), ("q3", "bad answer", False)]

    assert export(data, "eval", tmp_path / "eval.jsonl") == 2
    assert _rows(tmp_path / "eval.jsonl")[0]["reference"] == "right"
    with pytest.raises(Exception, match="unknown export format"):
        export(data, "csv", tmp_path / "x")
