"""Dataset snapshots: immutability, content hashing, dedupe, seeded per-prompt split, file formats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shoal.errors import NotFoundError, ShoalError
from shoal.feedback.examples import Example, dedupe, read_examples
from shoal.tuning.datasets import DatasetIntegrityError, DatasetStore, assign_split, parse_ref
from tests.tuning.conftest import ticket


def _examples(n: int) -> list[Example]:
    return [ticket(f"my invoice {i} is wrong", "finance-ops") for i in range(n)]


def test_snapshot_is_versioned_read_only_and_hash_verified(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "datasets")
    v1, created = store.create("helpdesk", _examples(20), holdout_fraction=0.25, seed=3)
    assert created and v1.ref == "helpdesk@v1" and len(v1.examples) == 20
    files = [v1.path / "examples.jsonl", v1.path / "manifest.json"]
    assert all(not os.access(f, os.W_OK) or os.getuid() == 0 for f in files)
    assert all((f.stat().st_mode & 0o222) == 0 for f in files)  # no write bit for anyone

    # The same content again is the same version, not a new one.
    again, created_again = store.create("helpdesk", list(reversed(_examples(20))), holdout_fraction=0.25, seed=3)
    assert not created_again and again.ref == "helpdesk@v1"
    v2, created2 = store.create("helpdesk", _examples(21), holdout_fraction=0.25, seed=3)
    assert created2 and v2.ref == "helpdesk@v2" and store.versions("helpdesk") == [1, 2]
    assert store.get("helpdesk").ref == "helpdesk@v2" and store.get("helpdesk@latest").ref == "helpdesk@v2"
    assert store.get("helpdesk@v1").content_hash == v1.content_hash != v2.content_hash

    # Tampering with a snapshot is detected on load.
    path = v1.path / "examples.jsonl"
    os.chmod(path, 0o644)
    path.write_text(path.read_text().replace("invoice 3", "invoice 33"))
    with pytest.raises(DatasetIntegrityError, match="modified after it was created"):
        store.get("helpdesk@v1")


def test_split_is_seeded_per_prompt_and_stable_across_versions(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path)
    examples = _examples(200)
    v1, _ = store.create("d", examples, holdout_fraction=0.2, seed=11)
    heldout = {e.prompt_key for e in v1.split("heldout")}
    assert 20 <= len(heldout) <= 60  # about 20 %
    v2, _ = store.create("d", examples + _examples(260)[200:], holdout_fraction=0.2, seed=11)
    assert {e.prompt_key for e in v2.split("heldout") if e.prompt_key in {x.prompt_key for x in examples}} == heldout
    # Two answers to one prompt never straddle the split.
    a = ticket("same prompt", "rma")
    b = ticket("same prompt", "logistics")
    assert assign_split(a, 0.5, 1) == assign_split(b, 0.5, 1)
    assert {assign_split(e, 0.5, 1) for e in examples} == {"train", "heldout"}
    assert {assign_split(e, 0.0, 1) for e in examples} == {"train"}


def test_refs_names_and_missing(tmp_path: Path) -> None:
    assert parse_ref("helpdesk@v12") == ("helpdesk", 12)
    assert parse_ref("helpdesk") == ("helpdesk", None)
    for bad in ("help desk@v1", "x@1", "@v1"):
        with pytest.raises(ShoalError):
            parse_ref(bad)
    store = DatasetStore(tmp_path)
    with pytest.raises(NotFoundError, match="no dataset named"):
        store.get("nope@v1")
    store.create("d", _examples(3), holdout_fraction=0, seed=0)
    with pytest.raises(NotFoundError, match="has no version v9"):
        store.get("d@v9")
    with pytest.raises(ShoalError, match="would be empty"):
        store.create("d", [], holdout_fraction=0, seed=0)


def test_dedupe_keeps_first_and_counts() -> None:
    a = ticket("x", "rma", source="file:a")
    b = ticket("x", "rma", source="feedback:1")  # same content, other source
    c = ticket("x", "logistics")
    kept, dropped = dedupe([a, b, c])
    assert kept == [a, c] and dropped == 1


def test_read_examples_accepts_three_shapes_and_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "ex.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}]},
        {"prompt": "q2", "completion": "a2", "system": "be brief", "rejected": "bad"},
        {"input": "q3", "reference": "a3"},
        {"prompt": "q4", "label": False, "completion": "meh"},
    ]
    lines = [json.dumps(r) for r in rows] + ["{not json", json.dumps({"prompt": "no answer"}),
                                             json.dumps({"messages": [{"role": "robot", "content": "x"}]})]
    path.write_text("\n".join(lines) + "\n")
    examples, issues = read_examples(path)
    assert [e.completion for e in examples] == ["a1", "a2", "a3", "meh"]
    assert examples[1].messages == (("system", "be brief"), ("user", "q2")) and examples[1].rejected == "bad"
    assert examples[3].label is False and not examples[3].is_sft
    assert [i.where.rsplit(":", 1)[1] for i in issues] == ["5", "6", "7"]
    assert "invalid JSON" in issues[0].reason and "needs an answer" in issues[1].reason
