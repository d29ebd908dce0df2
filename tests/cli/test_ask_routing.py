"""`shoal ask` end to end through privacy scan and routing, with scripted self-hosted/external models."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import run, write_config

CONFIG = """
default_model: cloud
models:
  onprem:
    provider: testing
    locality: self_hosted
    options: {responses: ["on-prem answer"]%s}
  cloud:
    provider: testing
    locality: external
    input_price: 0.15
    output_price: 0.6
    options: {responses: ["cloud answer"]}
routing:
  privacy: {models: [onprem]}
"""


def test_sensitive_question_stays_self_hosted_with_reasons(tmp_path: Path) -> None:
    write_config(tmp_path, CONFIG % "")
    out = run(["ask", "--explain", "What is Dana Whitfield's bonus this year?"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "on-prem answer"
    assert "privacy:self_hosted-only" in out.stderr and "pii:PERSON" in out.stderr
    assert "topic:compensation" in out.stderr


def test_plain_question_goes_to_the_default_external_model(tmp_path: Path) -> None:
    write_config(tmp_path, CONFIG % "")
    out = run(["ask", "--explain", "Write a haiku about spring"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "cloud answer"
    assert "sensitivity public" in out.stderr


def test_sensitive_question_is_refused_when_the_self_hosted_model_is_down(tmp_path: Path) -> None:
    write_config(tmp_path, CONFIG % ", fail_with: unavailable")
    out = run(["ask", "--explain", "What is Dana Whitfield's bonus this year?"], tmp_path)
    assert out.returncode == 1
    assert "cloud answer" not in out.stdout
    assert "refused" in out.stderr.lower()
    assert "Traceback" not in out.stderr


def test_pinning_an_external_model_for_a_sensitive_question_is_repinned(tmp_path: Path) -> None:
    write_config(tmp_path, CONFIG % "")
    out = run(["ask", "--model", "cloud", "--explain", "Send the SSN 123-45-6789 to payroll"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "on-prem answer"
