"""Feedback capture, the review queue, curation into examples, dataset builds and the CLI around them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoal.cli import cli
from shoal.config import Settings, load_settings
from shoal.errors import NotFoundError, ShoalError
from shoal.feedback.capture import (
    accept,
    add_feedback,
    import_feedback,
    pending,
    polarity,
    rating_value,
    reject,
)
from shoal.feedback.curate import examples_from_feedback
from shoal.store import RequestRecord, Store
from shoal.tuning.jobs import build_dataset
from shoal.tuning.rollout import report_for_model
from shoal.wiring import open_store
from tests.tuning.conftest import SYSTEM, write_config

EMAIL = "maria.lopez@examplemail.org"


def _request(i: int, ticket: str, answer: str, model_id: str = "helpdesk@v1", segment: str = "smb") -> RequestRecord:
    return RequestRecord(request_id=f"req-{i}", ts=time.time() + i, team="support", user=f"u{i % 3}", segment=segment,
                         served_model="helpdesk", served_model_id=model_id, prompt_tokens=20, completion_tokens=3,
                         request_messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": ticket}],
                         response_text=answer)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(write_config(tmp_path, {"tuning": {"holdout_fraction": 0.0}}))


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = open_store(settings)
    tickets = [("I was charged twice in May", "growth"), ("cannot log in since the update", "identity"),
               (f"parcel never arrived, write to {EMAIL}", "rma"), ("please send a quote for 40 plugs", "growth"),
               ("the app crashes on start", "The ticket is about the app."), ("refund not received", "rma")]
    for i, (ticket, answer) in enumerate(tickets):
        s.record_request(_request(i, ticket, answer, model_id="helpdesk@v2" if i % 2 else "helpdesk@v1"))
    yield s
    s.close()


def test_ratings() -> None:
    assert rating_value("up") == 1 and rating_value("down") == -1 and rating_value("4") == 4
    assert rating_value(None) is None and rating_value(-1) == -1
    with pytest.raises(ShoalError, match="unknown rating"):
        rating_value("meh")
    assert [polarity(r) for r in (1, -1, 0, 2, 3, 4, 5, None)] == [True, False, False, False, None, True, True, None]


def test_capture_review_and_curation(store: Store) -> None:
    fix = add_feedback(store, "req-0", rating="down", correction="finance-ops")
    good = add_feedback(store, "req-1", rating="up")
    bad = add_feedback(store, "req-4", rating="down")
    pii = add_feedback(store, "req-2", rating="down", correction="logistics")
    spam = add_feedback(store, "req-5", rating="down", correction="lol")
    add_feedback(store, "req-3", comment="slow answer")  # a comment alone never trains
    with pytest.raises(NotFoundError):
        add_feedback(store, "req-404", rating="up")
    with pytest.raises(ShoalError, match="correction is empty"):
        add_feedback(store, "req-0", correction="  ")
    assert store.get_feedback(fix).original_response == "growth"  # the original answer is kept beside it

    assert [f.id for f in pending(store)][:2] == [fix, good]
    # Nothing is accepted yet: no training data.
    assert examples_from_feedback(store) == ([], [])

    accept(store, fix, reviewer="lee")
    accept(store, good)
    accept(store, bad)
    accept(store, pii, edited_correction="logistics ")
    reject(store, spam, reviewer="lee")
    examples, issues = examples_from_feedback(store)
    by_source = {e.meta["feedback_id"]: e for e in examples}
    assert set(by_source) == {fix, good, bad, pii} and not issues
    assert by_source[fix].completion == "finance-ops" and by_source[fix].rejected == "growth"
    assert by_source[fix].messages == (("system", SYSTEM), ("user", "I was charged twice in May"))
    assert by_source[good].completion == "identity" and by_source[good].label is True
    assert by_source[bad].label is False and not by_source[bad].is_sft
    assert by_source[pii].completion == "logistics"  # the reviewer's edit wins
    assert store.get_feedback(spam).status == "rejected"


def test_dataset_from_feedback_is_scrubbed_and_reviewed_only(store: Store, settings: Settings) -> None:
    fix = add_feedback(store, "req-2", rating="down", correction=f"logistics (customer {EMAIL})")
    add_feedback(store, "req-0", rating="down", correction="finance-ops")  # stays pending
    accept(store, fix)
    built = build_dataset(settings.config.tuning, settings.config.privacy, settings.paths, "hd", store=store)
    assert built.created and len(built.version.examples) == 1
    text = json.dumps([e.to_json() for e in built.version.examples])
    assert EMAIL not in text and "[EMAIL_ADDRESS_1]" in text
    assert built.version.manifest["scrub"]["entities"] == {"EMAIL_ADDRESS": 2}
    assert built.version.manifest["reviewed_only"] is True
    with_pending = build_dataset(settings.config.tuning, settings.config.privacy, settings.paths, "hd", store=store, include_pending=True)
    assert with_pending.version.ref == "hd@v2" and len(with_pending.version.examples) == 2


def test_import_and_rollout_report(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "fb.jsonl"
    path.write_text("\n".join([json.dumps({"request_id": "req-0", "rating": "down", "correction": "finance-ops"}),
                               json.dumps({"request_id": "req-1", "rating": "up"}),
                               json.dumps({"request_id": "nope", "rating": "up"}),
                               "garbage",
                               json.dumps({"request_id": "req-3", "rating": "sideways"})]) + "\n")
    result = import_feedback(store, path)
    assert len(result.added) == 2 and len(result.skipped) == 3
    assert ":3:" in result.skipped[0] and "invalid JSON" in result.skipped[1]
    rows = {r.version: r for r in report_for_model(store, "helpdesk", by_segment=False)}
    assert rows["helpdesk@v1"].requests == 3 and rows["helpdesk@v2"].requests == 3
    assert rows["helpdesk@v1"].down == 1 and rows["helpdesk@v1"].corrections == 1
    assert rows["helpdesk@v2"].up == 1 and rows["helpdesk@v2"].down_rate == 0.0


def test_cli_feedback_review_dataset_export(store: Store, settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    cfg = ["--config", str(settings.path)]
    store.close()  # the CLI opens its own connection
    out = runner.invoke(cli, [*cfg, "feedback", "add", "req-0", "--rating", "down", "--correction", "finance-ops"])
    assert out.exit_code == 0, out.output
    fid = out.output.split()[0]
    second = runner.invoke(cli, [*cfg, "feedback", "add", "req-5", "--rating", "down", "--correction", "finance"])
    other = second.output.split()[0]
    listing = runner.invoke(cli, [*cfg, "feedback", "review"])
    assert fid in listing.output and other in listing.output and "2 pending" in listing.output
    assert runner.invoke(cli, [*cfg, "feedback", "review", "accept", fid]).exit_code == 0
    edited = runner.invoke(cli, [*cfg, "feedback", "review", "edit", other, "--correction", "finance-ops"])
    assert edited.exit_code == 0
    assert "0 pending" in runner.invoke(cli, [*cfg, "feedback", "review"]).output

    created = runner.invoke(cli, [*cfg, "dataset", "create", "hd"])
    assert created.exit_code == 0 and "hd@v1 created: 2 examples" in created.output, created.output
    again = runner.invoke(cli, [*cfg, "dataset", "create", "hd"])
    assert "hd@v1 unchanged" in again.output
    assert "hd@v1" in runner.invoke(cli, [*cfg, "dataset", "list"]).output
    target = tmp_path / "pairs.jsonl"
    exported = runner.invoke(cli, [*cfg, "dataset", "export", "hd@v1", "--format", "preference", "-o", str(target)])
    assert exported.exit_code == 0 and "wrote 2 preference rows" in exported.output
    assert json.loads(target.read_text().splitlines()[0])["chosen"] == [{"role": "assistant", "content": "finance-ops"}]
    missing = runner.invoke(cli, [*cfg, "feedback", "add", "req-999", "--rating", "up"])
    assert missing.exit_code != 0
