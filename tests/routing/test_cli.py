"""`shoal route`, `shoal router train` and `shoal router eval` end to end on small files."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoal.cli import cli


def write_items(path: Path, n: int, seed: int, numbers: range = range(100)) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["prompt", "cheap", "strong"])
        for i in range(n):
            if i % 2:
                w.writerow([f"Prove the theorem about integral {rng.choice(numbers)} and the series limit",
                            rng.random() < 0.2, rng.random() < 0.9])
            else:
                w.writerow([f"What is the capital of country {rng.choice(numbers)} please",
                            rng.random() < 0.95, rng.random() < 0.95])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_items(tmp_path / "train.csv", 200, 1)
    write_items(tmp_path / "test.csv", 100, 2, range(100, 200))  # no prompt shared with training
    (tmp_path / "shoal.yaml").write_text(
        "default_model: big\n"
        "models:\n"
        "  big: {provider: testing, locality: external}\n"
        "  mini: {provider: testing, locality: external}\n"
        "routing:\n"
        "  router: {file: router.npz, models: [mini, big]}\n")
    return tmp_path


def run(project: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(project / "shoal.yaml"), *args], input=stdin,
                                catch_exceptions=False)
    return result.exit_code, result.stdout


def test_train_eval_route(project: Path) -> None:
    code, out = run(project, "router", "train", "--data", str(project / "train.csv"), "--weak", "cheap",
                    "--strong", "strong", "--out", str(project / "router.npz"))
    assert code == 0, out
    assert "trained on 200 items" in out and (project / "router.npz").is_file()

    code, out = run(project, "router", "eval", "--router", str(project / "router.npz"), "--data",
                    str(project / "test.csv"), "--weak", "cheap", "--strong", "strong",
                    "--out", str(project / "curve"), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["items"] == 100 and report["seen_in_training"] == 0
    assert report["metrics"]["random"]["apgr"] == pytest.approx(0.5)
    assert report["metrics"]["router"]["apgr"] > 0.6
    assert report["metrics"]["oracle"]["apgr"] >= report["metrics"]["router"]["apgr"]
    assert (project / "curve.png").read_bytes()[:4] == b"\x89PNG"
    page = (project / "curve.html").read_text()
    assert "<svg" in page and "<polyline" in page and "<script" not in page and "http://" not in page.replace(
        "http://www.w3.org/2000/svg", "")

    code, out = run(project, "router", "eval", "--router", str(project / "router.npz"), "--data",
                    str(project / "test.csv"), "--weak", "cheap", "--strong", "strong", "--out", str(project / "c2"))
    assert code == 0 and "APGR" in out and "router" in out and "oracle" in out

    result = CliRunner().invoke(cli, [
        "--config", str(project / "shoal.yaml"), "router", "eval", "--router", str(project / "router.npz"),
        "--data", str(project / "train.csv"), "--weak", "cheap", "--strong", "strong", "--out", str(project / "c3")])
    assert result.exit_code == 0 and "were in the router's training data" in result.stderr

    code, out = run(project, "route", "What is the capital of country 3 please", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["model"] == "mini" and d["route"] == "router" and d["reasons"][0].startswith("router:p_ok=")

    code, out = run(project, "route", "What is Dana Whitfield's bonus this year?")
    assert code == 0, out
    assert "model: local" in out and "privacy:self_hosted-only" in out and "route: privacy" in out

    code, out = run(project, "route", "-", stdin="What is the capital of country 3 please\n\nmail me at a@b.com\n")
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert [x["n"] for x in lines] == [1, 3]
    assert lines[0]["model"] == "mini" and lines[1]["model"] == "local" and lines[1]["sensitive"]
    assert "a@b.com" not in out  # the prompt is not echoed


def test_route_refusal_exit_code(project: Path) -> None:
    (project / "shoal.yaml").write_text(
        "default_model: big\nmodels:\n  big: {provider: testing, locality: external}\n"
        "  local: {provider: testing, locality: external}\n")
    code, out = run(project, "route", "Send the offer letter to jane.doe@examplemail.com")
    assert code == 2 and "REFUSED" in out and "privacy:refused(no-self-hosted-model)" in out


def test_train_usage_errors(project: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(project / "shoal.yaml"), "router", "train", "--data",
                                      str(project / "train.csv"), "--weak", "cheap"])
    assert result.exit_code != 0 and "--strong" in result.output
    result = CliRunner().invoke(cli, ["--config", str(project / "shoal.yaml"), "router", "train", "--data",
                                      str(project / "train.csv"), "--weak", "cheap", "--strong", "nope"])
    assert result.exit_code != 0 and "no column for model(s) nope" in str(result.exception)


def test_train_from_eval_run(project: Path) -> None:
    run_dir = project / "run-1"
    run_dir.mkdir()
    (run_dir / "per_item.csv").write_text((project / "train.csv").read_text())
    (run_dir / "results.jsonl").write_text("")  # what marks a directory as an eval run
    code, out = run(project, "router", "train", "--from-eval", str(run_dir), "--weak", "cheap", "--strong", "strong",
                    "--max-strong-share", "0.3", "--out", str(project / "r.npz"))
    assert code == 0, out
    assert "trained on 200 items" in out and "max_strong_share" in out
