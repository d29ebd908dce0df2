"""The whole loop on a tiny configuration, from the CLI, with the real embedded model.

dataset version → LoRA (a few steps, CPU) → GGUF adapter → eval gate against the base → promote →
served by llama.cpp through the registry provider (`shoal ask --model`) → a candidate that does not
beat the champion is refused → forced promotion with a recorded reason → rollback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoal.cli import cli
from shoal.tuning.registry import Registry
from tests.tuning.conftest import write_config

pytestmark = [pytest.mark.slow, pytest.mark.local_model]

SYSTEM = "Route the ticket to a queue. Reply with the queue name only."
INVOICE = ["my invoice is wrong", "I was charged twice", "please resend the invoice", "the invoice total is off",
           "refund my double charge", "invoice number missing", "billing address on the invoice is wrong",
           "why was my card charged again"]
PARCEL = ["my parcel has not arrived", "where is my parcel", "the parcel tracking is stuck", "parcel went to a neighbour",
          "the courier lost my parcel", "parcel delivery is late", "change the parcel delivery address",
          "parcel marked delivered but missing"]


@pytest.fixture(scope="module")
def tiny_loop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliRunner]:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("peft")
    root = tmp_path_factory.mktemp("loop")
    config = write_config(root, {
        "models": {"hd": {"provider": "registry", "model": "hd@champion", "options": {"max_tokens": 12}}},
        "tuning": {"holdout_fraction": 0.35, "split_seed": 9,
                   "lora": {"rank": 8, "alpha": 16, "learning_rate": 0.003, "batch_size": 4, "max_steps": 14, "epochs": 10,
                            "threads": 1, "max_seq_len": 96},
                   "gate": {"margin": 0.2, "max_tokens": 12}},
    })
    rows = [{"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": t}],
             "completion": "finance-ops"} for t in INVOICE]
    rows += [{"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": t}],
              "completion": "logistics"} for t in PARCEL]
    (root / "tickets.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    # Only --config: the registry provider gets the registry's folder from the wiring, not from the
    # environment. SHOAL_ACTOR names who acted in the registry history.
    return config, CliRunner(env={"COLUMNS": "200", "SHOAL_ACTOR": "ci", "SHOAL_CONFIG": None})


def test_tiny_loop_end_to_end(tiny_loop: tuple[Path, CliRunner]) -> None:
    config, runner = tiny_loop
    cfg = ["--config", str(config)]

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, [*cfg, *args])
        assert result.exit_code == code, f"{args}: {result.output}\n{result.exception!r}"
        return result.output

    out = run("dataset", "create", "hd", "--no-feedback", "--file", str(config.parent / "tickets.jsonl"))
    assert "hd@v1 created: 16 examples" in out

    out = run("tune", "lora", "--dataset", "hd@v1", "--name", "hd")
    assert "registered hd@v1" in out and "trained 14 steps" in out
    reg = Registry(config.parent / ".shoal" / "registry")
    v1 = reg.get("hd@v1")
    adapter = reg.adapter_path(v1)
    assert adapter is not None and adapter.stat().st_size > 100_000
    assert v1.dataset == "hd@v1" and v1.hyperparameters["rank"] == 8 and v1.train["final_loss"] < v1.train["first_loss"]

    # The gate compares the candidate with the base model (no champion yet) on the held-out split.
    out = run("registry", "promote", "hd@v1", "--no-progress")
    assert "PASS" in out and "hd@v1 is now the champion" in out
    gate = reg.get("hd@v1").evals[-1]
    assert gate["champion"]["label"] == "local" and gate["candidate"]["quality"] >= gate["champion"]["quality"] + 0.2

    # Served by llama.cpp with the adapter, through the registry alias.
    out = run("ask", "--model", "hd", "-s", SYSTEM, "-v", "my", "parcel", "is", "lost")
    assert "hd@v1" in out and "logistics" in out.splitlines()[0]

    # The untuned base as a candidate does not beat the tuned champion: refused (exit 2).
    out = run("registry", "register", "hd", "--base", "local", "--dataset", "hd@v1", "--notes", "base as candidate")
    assert "registered hd@v2" in out
    out = run("registry", "promote", "hd@v2", "--no-progress", code=2)
    assert "REFUSED" in out and reg.get("hd@champion").version == 1

    # Forcing needs a reason, which is recorded; rollback restores the previous champion.
    assert "needs --reason" in run("registry", "promote", "hd@v2", "--force", code=2)
    run("registry", "promote", "hd@v2", "--force", "--reason", "incident drill")
    assert reg.get("hd@champion").version == 2
    out = run("registry", "rollback", "hd", "--reason", "drill over")
    assert "hd@v1 is the champion" in out
    history = reg.history("hd")
    assert any(h.get("action") == "force-promote" and h.get("reason") == "incident drill" for h in history)
    assert history[-1]["action"] == "rollback" and history[-1]["actor"] == "ci"
    assert "[champion]" in run("registry", "list", "hd").splitlines()[0]
