"""`shoal eval run/report/compare/recommend` end to end, with the replay provider and a scripted echo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from shoal.cli import cli

ITEMS = [("How many weeks of paid parental leave?", "12 weeks", "12 weeks of paid leave."),
         ("Which password manager is recommended?", "KeePassXC", "KeePassXC."),
         ("What is the TWN employer code?", "10536", "It is 10536."),
         ("Who triages bug bounty reports?", "HackerOne", "GSA SecOps.")]


def _project(tmp_path: Path) -> Path:
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"prompt": q, "answer": a}) + "\n" for q, _, a in ITEMS))
    (tmp_path / "d.jsonl").write_text("".join(json.dumps({"input": q, "reference": r}) + "\n" for q, r, _ in ITEMS))
    config = {"data_dir": str(tmp_path / ".shoal"), "models": {
        "hosted": {"provider": "replay", "locality": "external", "input_price": 0.15, "output_price": 0.6,
                   "options": {"answers": str(answers)}},
        "parrot": {"provider": "testing", "options": {"echo": True}}}}
    (tmp_path / "shoal.yaml").write_text(yaml.safe_dump(config))
    spec = {"name": "cli", "dataset": "d.jsonl", "targets": ["parrot", "hosted"], "metrics": ["contains", "token_f1"],
            "requirements": {"min_quality": 0.5, "max_cost_per_1k_usd": 1.0}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    return tmp_path


def test_run_report_compare_recommend(tmp_path: Path) -> None:
    root = _project(tmp_path)
    runner = CliRunner(env={"COLUMNS": "200"})
    base = ["--config", str(root / "shoal.yaml"), "eval"]
    first = runner.invoke(cli, [*base, "run", str(root / "spec.yaml"), "--run-id", "one", "--no-progress"])
    assert first.exit_code == 0, first.output
    assert "hosted" in first.output and "parrot" in first.output
    # parrot alone is too weak; hosted passes; escalating part of the traffic to hosted is cheaper.
    assert "Recommended: parrot → hosted" in first.output
    assert "parrot: quality 0.028 < required 0.500" in first.output  # why the others fail
    assert "hosted: meets the requirements but costs more" in first.output
    second = runner.invoke(cli, [*base, "run", str(root / "spec.yaml"), "--run-id", "two", "--no-progress"])
    assert "0 calls, 8 cached" in second.output and "spent $0.0000" in second.output
    report = runner.invoke(cli, [*base, "report", "one"])
    assert report.exit_code == 0 and "Targets" in report.output
    as_json = json.loads(runner.invoke(cli, [*base, "report", "one", "--json"]).output)
    assert {t["target"] for t in as_json["targets"]} == {"parrot", "hosted"}
    compare = runner.invoke(cli, [*base, "compare", "one", "two"])
    assert compare.exit_code == 0 and "0 / 0 / 4" in compare.output
    rec = runner.invoke(cli, [*base, "recommend", "one", "--max-cost", "0.000001", "--json"])
    data = json.loads(rec.output)
    assert data["chosen"] is None or data["chosen"] != "hosted"
    hosted = next(c for c in data["candidates"] if c["name"] == "hosted")
    assert any("cost" in f for f in hosted["failures"])
    run_dir = root / ".shoal" / "evals" / "runs" / "one"
    html = (run_dir / "report.html").read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html  # self-contained
    assert html.count("data:image/png;base64,") == 3


def test_replay_reports_missing_answers_per_item(tmp_path: Path) -> None:
    root = _project(tmp_path)
    with (root / "d.jsonl").open("a") as fh:
        fh.write(json.dumps({"input": "A question nobody recorded", "reference": "x"}) + "\n")
    runner = CliRunner(env={"COLUMNS": "200"})
    out = runner.invoke(cli, ["--config", str(root / "shoal.yaml"), "eval", "run", str(root / "spec.yaml"),
                              "--no-progress", "--no-html"])
    assert out.exit_code == 0, out.output
    results = next((root / ".shoal" / "evals" / "runs").iterdir()) / "results.jsonl"
    errors = [json.loads(x) for x in results.read_text().splitlines() if '"status": "error"' in x]
    assert len(errors) == 1 and "no recorded answer" in errors[0]["error"]


def test_bad_spec_is_one_clear_line(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "spec.yaml").write_text("name: x\ndataset: d.jsonl\ntargets: [parrot]\nmetrics: [token_f1]\nsample: 3\n")
    import pytest

    from shoal.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--config", str(root / "shoal.yaml"), "eval", "run", str(root / "spec.yaml")])
    assert exc.value.code == 1


def test_run_from_another_folder_uses_the_config_beside_the_spec(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "examples" / "evals"
    project.mkdir(parents=True)
    root = _project(project)
    config = yaml.safe_load((root / "shoal.yaml").read_text())
    config["data_dir"] = ".shoal"  # relative: to the config's folder, not to where the command runs
    (root / "shoal.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOAL_CONFIG", raising=False)
    out = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, ["eval", "run", "examples/evals/spec.yaml", "--run-id", "here", "--no-progress", "--no-html"])
    assert out.exit_code == 0, out.output
    assert (root / ".shoal" / "evals" / "runs" / "here").is_dir()
    assert not (tmp_path / ".shoal").exists()  # nothing written where the command ran
