"""`shoal privacy eval` and `shoal privacy train`: a labelled file in, counts out; an adapted model the scan loads."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import run, write_config

ROWS = [
    {"text": "What is Dana Whitfield's bonus this year?", "label": "sensitive", "category": "hr", "split": "dev"},
    {"text": "my bank login is user jdoe88, pass Blue!Sky42", "label": "sensitive", "category": "secrets", "split": "dev"},
    {"text": "Who was Marie Curie?", "label": "public", "category": "people", "split": "dev"},
    {"text": "Explain the Roman calendar", "label": "public", "category": "general", "split": "test"},
]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_eval_prints_leaks_false_pins_and_the_confusion_table(tmp_path: Path) -> None:
    data = _write(tmp_path / "prompts.jsonl", ROWS)
    out = run(["privacy", "eval", str(data)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "leaks          0 / 2" in out.stdout and "false pins     0 / 2" in out.stdout
    assert "sensitive prompt" in out.stdout and "public prompt" in out.stdout
    dev = run(["privacy", "eval", str(data), "--split", "dev"], tmp_path)
    assert "3 prompts" in dev.stdout and "false pins     0 / 1" in dev.stdout


def test_eval_reports_a_bad_line_by_number(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "fine", "label": "public"}\n{"text": "x", "label": "maybe"}\n', encoding="utf-8")
    out = run(["privacy", "eval", str(data)], tmp_path)
    assert out.returncode == 1
    assert "bad.jsonl line 2" in out.stderr and "maybe" in out.stderr and "Traceback" not in out.stderr


def test_train_writes_where_the_config_says_and_the_scan_uses_it(tmp_path: Path) -> None:
    # A made-up project word the shipped model has never seen, labelled by the team.
    team = [{"text": f"status of the zorbly rollout in region {i}", "label": "business"} for i in range(12)]
    team += [{"text": f"what rhymes with {w}?", "label": "public"} for w in ("cat", "moon", "tree", "blue")]
    data = _write(tmp_path / "team.jsonl", team)  # type: ignore[arg-type]
    model_path = tmp_path / "m" / "privacy.npz"
    write_config(tmp_path, f"privacy:\n  model: {{path: {model_path}}}\n")
    out = run(["privacy", "train", "--data", str(data), "--generated", "2000"], tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr
    assert model_path.exists() and "16 of your prompts" in out.stdout
    check = _write(tmp_path / "check.jsonl", [{"text": "how is the zorbly rollout going in region 40", "label": "sensitive"}])
    scored = run(["privacy", "eval", str(check)], tmp_path)
    assert scored.returncode == 0 and "leaks          0 / 1" in scored.stdout, scored.stdout
