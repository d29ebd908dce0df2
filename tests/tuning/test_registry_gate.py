"""Registry operations, the gate's rules, and the gate run end to end through the evals runner.

Versions are served by scripted models here (no training): each version answers the held-out
tickets with a known accuracy, so the gate's verdict is known in advance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shoal.config import Settings
from shoal.errors import NotFoundError, ShoalError
from shoal.models.base import ChatModel
from shoal.models.registry import ProviderRegistry
from shoal.models.testing import ScriptedChatModel
from shoal.models.types import ChatRequest, ModelSpec
from shoal.tuning.config import GateConfig
from shoal.tuning.datasets import dataset_store
from shoal.tuning.gate import GateScores, decide
from shoal.tuning.registry import Registry, RegistryError, open_registry, parse_model_ref
from shoal.tuning.serving import RegistryProvider
from shoal.wiring import run_gate
from tests.tuning.conftest import ticket

QUEUES = ["finance-ops", "identity", "logistics", "rma"]


def _artifacts(tmp_path: Path) -> tuple[Path, Path]:
    base = tmp_path / "base.gguf"
    base.write_bytes(b"GGUF stand-in base weights")
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter.gguf").write_bytes(b"GGUF stand-in adapter")
    return base, adapter


def test_register_promote_rollback_and_history(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "registry")
    base, adapter = _artifacts(tmp_path)
    v1 = reg.register("helpdesk", base_model="local", base_path=base, notes="the base as it is")
    v2 = reg.register("helpdesk", base_model="local", base_path=base, adapter_dir=adapter, dataset="hd@v1",
                      dataset_sha256="abc", hyperparameters={"rank": 8}, train={"seconds": 1.5})
    reg.register("helpdesk", base_model="local", base_path=base, adapter_dir=adapter, dataset="hd@v2")
    assert [v.ref for v in reg.versions("helpdesk")] == ["helpdesk@v1", "helpdesk@v2", "helpdesk@v3"]
    assert v1.adapter is None and reg.adapter_path(v1) is None
    adapter_copy = reg.adapter_path(v2)
    assert adapter_copy is not None and adapter_copy.read_bytes() == b"GGUF stand-in adapter"
    assert v2.adapter_sha256 and v2.base_sha256 and v2.code_version  # lineage recorded
    assert reg.get("helpdesk@v2").hyperparameters == {"rank": 8} and reg.get("helpdesk@v2").dataset == "hd@v1"
    with pytest.raises(NotFoundError, match="no champion"):
        reg.get("helpdesk@champion")

    reg.set_alias("helpdesk@v1", "champion", action="force-promote", reason="initial champion")
    reg.set_alias("helpdesk@v2", "challenger", action="set-challenger")
    reg.set_alias("helpdesk@v2", "champion", action="promote", gate={"passed": True})
    assert reg.aliases("helpdesk") == {"champion": 2}  # a promoted challenger stops being one
    reg.set_alias("helpdesk@v3", "champion", action="promote")
    assert reg.get("helpdesk").version == 3  # a bare name is the champion

    # Rollback walks back the chain of promotions: v3 → v2 → v1, then there is nothing left.
    assert reg.rollback("helpdesk", reason="spike in thumbs-down").version == 2
    assert reg.rollback("helpdesk").version == 1
    with pytest.raises(RegistryError, match="first champion"):
        reg.rollback("helpdesk")
    assert reg.rollback("helpdesk", to=3).version == 3
    history = reg.history("helpdesk")
    assert [h["action"] for h in history if h.get("alias") == "champion"] == [
        "force-promote", "promote", "promote", "rollback", "rollback", "rollback"]
    assert history[3]["reason"] == "initial champion" and history[3]["actor"]
    assert any(h.get("reason") == "spike in thumbs-down" for h in history)


def test_refs_and_errors(tmp_path: Path) -> None:
    assert parse_model_ref("helpdesk@v3") == ("helpdesk", "v3")
    assert parse_model_ref("helpdesk") == ("helpdesk", "champion")
    with pytest.raises(RegistryError, match="unknown alias"):
        parse_model_ref("helpdesk@best")
    reg = Registry(tmp_path)
    with pytest.raises(NotFoundError, match="no model named"):
        reg.get("ghost@v1")
    with pytest.raises(RegistryError, match="no champion to roll back"):
        base, _ = _artifacts(tmp_path)
        reg.register("m", base_model="local", base_path=base)
        reg.rollback("m")
    with pytest.raises(RegistryError, match="has no adapter.gguf"):
        reg.register("m", base_model="local", base_path=tmp_path / "base.gguf", adapter_dir=tmp_path)


# --- gate rules ------------------------------------------------------------------------------------


def test_gate_rules() -> None:
    cfg = GateConfig(margin=0.05, safety_tolerance=0.01)
    champ = GateScores("champ", 0.60, 0.95, per_item={"a": 1.0, "b": 0.0, "c": 0.0})
    ok = decide(GateScores("cand", 0.70, 0.95, per_item={"a": 1.0, "b": 1.0, "c": 0.0}), champ, cfg)
    assert ok.passed and ok.gain == pytest.approx(0.10) and (ok.wins, ok.losses) == (1, 0)
    small = decide(GateScores("cand", 0.63, 0.95), champ, cfg)
    assert not small.passed and "below the required margin" in small.reasons[0]
    tie = decide(GateScores("cand", 0.60, 0.95), champ, GateConfig(margin=0.0))
    assert not tie.passed  # a tie is not a win, even with margin 0
    unsafe = decide(GateScores("cand", 0.90, 0.90), champ, cfg)
    assert not unsafe.passed and any("safety regressed" in r for r in unsafe.reasons)
    within = decide(GateScores("cand", 0.90, 0.945), champ, cfg)
    assert within.passed
    assert not decide(GateScores("cand", None), champ, cfg).passed
    assert not decide(GateScores("cand", 0.9, None), champ, cfg).passed  # safety must be measured too


# --- the gate through the evals runner --------------------------------------------------------------


def _oracle_factory(accuracy: dict[str, float]) -> Callable[[ModelSpec], ChatModel]:
    """Each version answers correctly on the first ``accuracy`` share of the tickets it is asked."""

    def factory(spec: ModelSpec) -> ChatModel:
        share = accuracy[spec.model_id]

        def answer(request: ChatRequest) -> str:
            text = request.messages[-1].text
            n = int(text.split("#")[1].split()[0])
            truth = QUEUES[n % len(QUEUES)]
            return truth if (n % 10) < share * 10 else "I think this goes to the billing team."

        return ScriptedChatModel(spec, [answer])

    return factory


def _setup(project: Settings, tmp_path: Path) -> tuple[Registry, str]:
    examples = [ticket(f"ticket #{i} about something", QUEUES[i % len(QUEUES)]) for i in range(120)]
    version, _ = dataset_store(project.config.tuning, project.paths).create("hd", examples, holdout_fraction=0.3, seed=1)
    reg = open_registry(project.config.tuning, project.paths)
    base, adapter = _artifacts(tmp_path)
    reg.register("helpdesk", base_model="local", base_path=base, dataset=version.ref)
    reg.set_alias("helpdesk@v1", "champion", action="force-promote", reason="baseline")
    reg.register("helpdesk", base_model="local", base_path=base, adapter_dir=adapter, dataset=version.ref)
    reg.register("helpdesk", base_model="local", base_path=base, adapter_dir=adapter, dataset=version.ref)
    return reg, version.ref


def _providers(accuracy: dict[str, float]) -> ProviderRegistry:
    providers = ProviderRegistry.from_entry_points()
    providers.register(RegistryProvider(factory=_oracle_factory(accuracy)))
    return providers


def test_gate_refuses_a_candidate_that_does_not_beat_the_champion(project: Settings, tmp_path: Path) -> None:
    reg, _ = _setup(project, tmp_path)
    providers = _providers({"helpdesk@v1": 0.5, "helpdesk@v2": 0.5, "helpdesk@v3": 0.9})
    refused = run_gate(project, reg, "helpdesk@v2", providers=providers)
    assert not refused.passed and refused.gain == pytest.approx(0.0)
    assert refused.champion.label == "helpdesk@v1" and refused.candidate.items > 20
    passed = run_gate(project, reg, "helpdesk@v3", providers=providers)
    assert passed.passed and passed.candidate.quality is not None and passed.champion.quality is not None
    assert passed.candidate.quality - passed.champion.quality > 0.3 and passed.losses == 0 and passed.wins > 5
    # Verdicts are stored on the candidate's lineage with the run id.
    evals = reg.get("helpdesk@v2").evals
    assert evals[-1]["kind"] == "gate" and evals[-1]["passed"] is False and evals[-1]["run_id"]


def test_gate_needs_a_held_out_split_and_lineage(project: Settings, tmp_path: Path) -> None:
    reg = open_registry(project.config.tuning, project.paths)
    base, adapter = _artifacts(tmp_path)
    reg.register("m", base_model="local", base_path=base, adapter_dir=adapter)
    with pytest.raises(ShoalError, match="no dataset in its lineage"):
        run_gate(project, reg, "m@v1")
    version, _ = dataset_store(project.config.tuning, project.paths).create("nosplit", [ticket("x #1", "rma")], holdout_fraction=0, seed=0)
    reg.register("m", base_model="local", base_path=base, adapter_dir=adapter, dataset=version.ref)
    with pytest.raises(ShoalError, match="no held-out examples"):
        run_gate(project, reg, "m@v2")
