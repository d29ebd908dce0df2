"""The `shoal` command as a user runs it: real subprocesses, real config files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHOAL = [sys.executable, "-m", "shoal.cli.__main__"]


def run(args: list[str], cwd: Path, *, env: dict[str, str] | None = None, stdin: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    full_env.pop("SHOAL_CONFIG", None)
    full_env.update(env or {})
    return subprocess.run(SHOAL + args, cwd=cwd, env=full_env, input=stdin, capture_output=True, text=True,
                          timeout=timeout, check=False)


def write_config(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "shoal.yaml"
    p.write_text(text)
    return p


SCRIPTED = """
default_model: fake
models:
  fake:
    provider: testing
    model: scripted-1
    input_price: 1.0
    output_price: 2.0
    options: {echo: true}
"""


def test_help_lists_commands(tmp_path: Path) -> None:
    out = run(["--help"], tmp_path)
    assert out.returncode == 0
    for cmd in ("ask", "chat", "models", "init"):
        assert cmd in out.stdout


def test_ask_streams_answer_and_reports_stats_on_stderr(tmp_path: Path) -> None:
    write_config(tmp_path, SCRIPTED)
    out = run(["ask", "hello", "there"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "hello there"
    assert "fake" in out.stderr and "scripted-1" in out.stderr and "tokens in" in out.stderr and "$" in out.stderr


def test_ask_verbose_puts_stats_on_stdout(tmp_path: Path) -> None:
    write_config(tmp_path, SCRIPTED)
    out = run(["ask", "-v", "hi"], tmp_path)
    assert out.returncode == 0 and "tokens in" in out.stdout


def test_starter_config_without_key_fails_in_one_line_naming_the_variable(tmp_path: Path) -> None:
    assert run(["init"], tmp_path).returncode == 0
    assert (tmp_path / "shoal.yaml").exists()
    out = run(["ask", "--model", "gpt-4o-mini", "hi"], tmp_path)
    assert out.returncode == 1
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    assert "OPENAI_API_KEY" in lines[0] and "shoal.yaml" in lines[0]
    assert "Traceback" not in out.stderr


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    assert run(["init"], tmp_path).returncode == 0
    out = run(["init"], tmp_path)
    assert out.returncode != 0 and "already exists" in out.stderr


def test_models_json_lists_starter_models_with_catalog_prices(tmp_path: Path) -> None:
    run(["init"], tmp_path)
    out = run(["models", "--json"], tmp_path)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["local"]["locality"] == "self_hosted" and rows["local"]["default"]
    assert rows["gpt-4o-mini"]["locality"] == "external"
    assert rows["gpt-4o-mini"]["input_per_mtok"] == 0.15 and rows["gpt-4o-mini"]["context_window"] == 128000
    assert "vision" in rows["gpt-4o"]["capabilities"]


def test_models_table_shows_hourly_cost_for_self_hosted(tmp_path: Path) -> None:
    write_config(tmp_path, """
models:
  llama-70b:
    provider: openai
    base_url: http://127.0.0.1:9/v1
    model: meta-llama/Llama-3.3-70B-Instruct
    locality: self_hosted
    hourly_cost: 2.5
""")
    out = run(["models"], tmp_path)
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if "llama-70b" in line)
    assert "self_hosted" in row and "2.5" in row


def test_unknown_config_key_names_file_key_and_suggestion(tmp_path: Path) -> None:
    write_config(tmp_path, "models:\n  x:\n    provider: testing\n    api_kee: env:X\n")
    out = run(["models"], tmp_path)
    assert out.returncode == 1
    assert "shoal.yaml" in out.stderr and "models.x.api_kee" in out.stderr and "api_key" in out.stderr


def test_unknown_model_lists_configured(tmp_path: Path) -> None:
    write_config(tmp_path, SCRIPTED)
    out = run(["ask", "--model", "nope", "hi"], tmp_path)
    assert out.returncode == 1 and "'nope'" in out.stderr and "fake" in out.stderr


def test_chat_keeps_history_and_exits(tmp_path: Path) -> None:
    write_config(tmp_path, SCRIPTED.replace("echo: true", "echo: history"))
    out = run(["chat"], tmp_path, stdin="first message\nsecond message\n/reset\nthird\n/exit\nnever sent\n")
    assert out.returncode == 0, out.stderr
    assert "first message | second message" in out.stdout  # the second call saw the first turn
    assert "fake> third" in out.stdout  # /reset forgot the conversation
    assert "never sent" not in out.stdout


def test_chat_ends_cleanly_on_eof(tmp_path: Path) -> None:
    write_config(tmp_path, SCRIPTED)
    out = run(["chat"], tmp_path, stdin="only one\n")
    assert out.returncode == 0 and "Traceback" not in out.stderr


@pytest.mark.local_model
def test_ask_embedded_model_with_no_config(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    out = run(["ask", "--max-tokens", "32", "What is the capital of France?"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()
    assert "SmolLM2" in out.stderr and "self_hosted" in out.stderr
