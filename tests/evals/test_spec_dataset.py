"""Spec and dataset validation: errors name the file, the key and the fix; bad rows are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoal.errors import ConfigError
from shoal.evals.dataset import load_dataset
from shoal.evals.runner import arun_eval
from shoal.evals.spec import load_spec


def _spec(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "spec.yaml"
    p.write_text(text)
    return p


BASE = "name: t\ndataset: d.jsonl\ntargets: [local]\nmetrics: [token_f1]\n"


def test_spec_errors_name_file_key_and_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"spec.yaml: budget_usb: unknown key 'budget_usb' — did you mean 'budget_usd'"):
        load_spec(_spec(tmp_path, BASE + "budget_usb: 1\n"))
    with pytest.raises(ConfigError, match=r"targets.0: give exactly one of model:, rag: or route:"):
        load_spec(_spec(tmp_path, "name: t\ndataset: d\ntargets: [{model: a, route: auto}]\nmetrics: [token_f1]\n"))
    with pytest.raises(ConfigError, match=r"metrics.0.name: unknown metric 'exact' — did you mean 'exact_match'"):
        load_spec(_spec(tmp_path, "name: t\ndataset: d\ntargets: [a]\nmetrics: [exact]\n"))
    with pytest.raises(ConfigError, match=r"dataset: required key is missing"):
        load_spec(_spec(tmp_path, "name: t\ntargets: [a]\nmetrics: [token_f1]\n"))
    with pytest.raises(ConfigError, match=r"quality names judge"):
        load_spec(_spec(tmp_path, BASE + "quality: [judge]\n"))
    with pytest.raises(ConfigError, match=r"at line 2, column 1 — fix the YAML syntax"):
        load_spec(_spec(tmp_path, "name: [t\n"))
    with pytest.raises(ConfigError, match=r"samples: Input should be greater than or equal to 1 \(got 0\)"):
        load_spec(_spec(tmp_path, BASE + "samples: 0\n"))
    with pytest.raises(ConfigError, match="duplicate target name"):
        load_spec(_spec(tmp_path, "name: t\ndataset: d\ntargets: [a, a]\nmetrics: [token_f1]\n"))


async def test_unknown_target_model_names_the_spec_key(project) -> None:
    settings, catalog, spec = project(spec={"targets": ["weak", "gpt-9000"]})
    with pytest.raises(ConfigError, match=r"spec.yaml: targets.1.model: no model named 'gpt-9000'"):
        await arun_eval(spec, settings, catalog)


def test_dataset_jsonl_skips_and_reports_bad_rows(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"id": "a", "input": "hi", "tags": ["x", "y"], "expected_docs": "a.md|b.md"}\n'
                 '{"id": "b", "input": ""}\n'
                 'not json\n'
                 '{"id": "a", "input": "dup"}\n'
                 '{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]}\n'
                 '{"id": "c", "input": "x", "expect": "maybe"}\n'
                 '{"id": "d", "input": "x", "colour": "red"}\n')
    ds = load_dataset(p)
    assert [i.id for i in ds.items] == ["a", "item-2"]
    assert ds.items[0].tags == ("x", "y") and ds.items[0].expected_docs == ("a.md", "b.md")
    assert ds.items[1].prompt == "u" and ds.items[1].messages[0].role == "system"
    reasons = [str(i) for i in ds.issues]
    assert len(reasons) == 5
    assert any(":2: no input" in r for r in reasons) and any(":3: invalid JSON" in r for r in reasons)
    assert any("duplicate id 'a'" in r for r in reasons) and any("expect: must be" in r for r in reasons)
    assert any("unknown field(s) colour" in r for r in reasons)


def test_dataset_csv_and_unicode(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("id,input,reference,segment,tags,sensitive\n"
                 'q1,"Wie viele Stunden, bitte?",240 Stunden,de,a|b,yes\n'
                 "q2,日本語の質問,答え,ja,,\n"
                 "q3,too,many,cells,x,no,extra\n", encoding="utf-8")
    ds = load_dataset(p)
    assert [i.id for i in ds.items] == ["q1", "q2"]
    assert ds.items[0].prompt == "Wie viele Stunden, bitte?" and ds.items[0].sensitive is True
    assert ds.items[1].reference == "答え" and ds.items[1].tags == ()
    assert "more cells than header" in str(ds.issues[0])


def test_empty_or_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="dataset not found"):
        load_dataset(tmp_path / "nope.jsonl")
    p = tmp_path / "d.jsonl"
    p.write_text("{}\n")
    with pytest.raises(ConfigError, match="no usable items; first problem: .*no input"):
        load_dataset(p)
    with pytest.raises(ConfigError, match="unsupported dataset format"):
        (tmp_path / "d.xlsx").write_text("x")
        load_dataset(tmp_path / "d.xlsx")
