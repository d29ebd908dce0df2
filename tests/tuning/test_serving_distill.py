"""The registry provider (aliases, live promotion, canary) and distillation's privacy guard."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from shoal.config import Settings, load_settings
from shoal.models.base import ChatModel
from shoal.models.registry import ProviderRegistry
from shoal.models.testing import ScriptedChatModel, spec_for
from shoal.models.types import ChatRequest, ModelSpec
from shoal.privacy.scanner import PrivacyScanner
from shoal.tuning.distill import collect_answers, read_prompts
from shoal.tuning.registry import Registry
from shoal.tuning.serving import RegistryChatModel, RegistryProvider, canary_pick
from shoal.wiring import catalog as build_catalog
from tests.tuning.conftest import write_config


def _served_by(spec: ModelSpec) -> ChatModel:
    """Answers with what it serves: the version, and whether an adapter is applied on which base."""
    adapter = "adapter" if spec.options.get("lora_path") else "no-adapter"
    return ScriptedChatModel(spec, [f"{spec.model_id} {adapter} {Path(spec.options['path']).name}"])


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    reg = Registry(tmp_path / "registry")
    base = tmp_path / "base.gguf"
    base.write_bytes(b"base")
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter.gguf").write_bytes(b"lora")
    reg.register("helpdesk", base_model="local", base_path=base)
    reg.register("helpdesk", base_model="local", base_path=base, adapter_dir=adapter)
    reg.set_alias("helpdesk@v1", "champion", action="force-promote", reason="baseline")
    return reg


def _model(registry: Registry, ref: str, share: float = 0.0) -> RegistryChatModel:
    spec = ModelSpec(name="helpdesk", provider="registry", model_id=ref, locality="self_hosted")
    return RegistryChatModel(spec, registry, share, factory=_served_by)


async def test_alias_follows_promotion_and_rollback_without_restart(registry: Registry) -> None:
    model = _model(registry, "helpdesk@champion")
    first = await model.complete(ChatRequest.of("hi"))
    assert first.text == "helpdesk@v1 no-adapter base.gguf" and first.model == "helpdesk@v1"
    assert first.name == "helpdesk" and first.provider == "registry"
    registry.set_alias("helpdesk@v2", "champion", action="promote")
    second = await model.complete(ChatRequest.of("hi"))
    assert second.model == "helpdesk@v2" and "adapter" in second.text.split()[1]
    chunks = [c async for c in model.stream(ChatRequest.of("hi"))]
    assert {c.model for c in chunks} == {"helpdesk@v2"}
    registry.rollback("helpdesk")
    assert (await model.complete(ChatRequest.of("hi"))).model == "helpdesk@v1"
    pinned = _model(registry, "helpdesk@v2")
    assert (await pinned.complete(ChatRequest.of("hi"))).model == "helpdesk@v2"


async def test_canary_sends_a_share_to_the_challenger_sticky_per_user(registry: Registry) -> None:
    registry.set_alias("helpdesk@v2", "challenger", action="set-challenger")
    model = _model(registry, "helpdesk@champion", share=0.3)
    served = [(await model.complete(ChatRequest.of("q"))).model for _ in range(300)]
    share = served.count("helpdesk@v2") / len(served)
    assert 0.2 < share < 0.4
    for user in ("ann", "bob", "cy", "dee"):
        request = ChatRequest.of("q", metadata={"user": user})
        assert len({(await model.complete(request)).model for _ in range(5)}) == 1  # sticky
    none = _model(registry, "helpdesk@champion", share=0.0)
    assert {(await none.complete(ChatRequest.of("q"))).model for _ in range(20)} == {"helpdesk@v1"}
    # Naming the challenger (or a version) directly is never diverted.
    direct = _model(registry, "helpdesk@v1", share=1.0)
    assert (await direct.complete(ChatRequest.of("q"))).model == "helpdesk@v1"
    assert canary_pick(1.0, None, random.Random(0)) and not canary_pick(0.0, "x", random.Random(0))


def test_provider_from_config_reads_the_registry_dir(registry: Registry, tmp_path: Path) -> None:
    settings: Settings = load_settings(write_config(tmp_path, {"models": {"helpdesk": {
        "provider": "registry", "model": "helpdesk@champion",
        "options": {"registry_dir": str(registry.root), "canary_share": 0.5}}}}))
    providers = ProviderRegistry.from_entry_points()
    providers.register(RegistryProvider(factory=_served_by))
    model = build_catalog(settings, providers, check=False).chat_model("helpdesk")
    assert isinstance(model, RegistryChatModel) and model.locality == "self_hosted"
    assert model.canary_share == 0.5 and model.registry.root == registry.root
    assert model.complete_sync(ChatRequest.of("hi")).model == "helpdesk@v1"


# --- distillation ------------------------------------------------------------------------------------


SENSITIVE = "What is Dana Whitfield's salary and bonus this year? Her email is dana.whitfield@examplemail.org"
PII_ONLY = "Please summarise the ticket from bob.jones@examplemail.org about a late parcel."
PLAIN = "Explain what a return label is in one sentence."


async def test_external_teacher_never_sees_sensitive_prompts() -> None:
    scanner = PrivacyScanner()
    teacher = ScriptedChatModel(spec_for("teacher", locality="external"), echo=True)
    prompts = [(("user", SENSITIVE),), (("user", PII_ONLY),), (("user", PLAIN),)]
    examples, report = await collect_answers(teacher, prompts, scanner, policy="scrub")
    seen = [r.prompt_text for r in teacher.requests]
    assert all("Dana" not in s and "salary" not in s for s in seen)
    assert all("bob.jones@examplemail.org" not in s for s in seen)
    assert PLAIN in seen and any("[EMAIL_ADDRESS_1]" in s for s in seen)
    assert report.skipped_sensitive == 1 and report.scrubbed == 1 and report.sent == 2
    assert len(examples) == 2 and all("example.org" not in e.prompt_text for e in examples)

    # Under drop, a prompt with PII is withheld instead of scrubbed.
    teacher2 = ScriptedChatModel(spec_for("teacher", locality="external"), echo=True)
    _, report2 = await collect_answers(teacher2, prompts, scanner, policy="drop")
    assert [r.prompt_text for r in teacher2.requests] == [PLAIN] and report2.skipped_sensitive == 2


async def test_self_hosted_teacher_sees_everything_and_bad_answers_are_curated_out() -> None:
    teacher = ScriptedChatModel(spec_for("teacher", locality="self_hosted"), echo=True)
    prompts = [(("user", SENSITIVE),), (("user", PLAIN),)]
    examples, report = await collect_answers(teacher, prompts, PrivacyScanner(), policy="drop")
    assert report.sent == 2 and len(examples) == 2 and examples[0].completion == SENSITIVE
    empty = ScriptedChatModel(spec_for("teacher", locality="self_hosted"), [""])
    examples, report = await collect_answers(empty, [(("user", PLAIN),)], PrivacyScanner(), policy="scrub")
    assert examples == [] and report.empty == 1


def test_read_prompts(tmp_path: Path) -> None:
    txt = tmp_path / "p.txt"
    txt.write_text("first\n\nsecond\n")
    assert [p[-1][1] for p in read_prompts(txt)[0]] == ["first", "second"]
    jl = tmp_path / "p.jsonl"
    jl.write_text('{"prompt": "a", "system": "s"}\n{"input": "b"}\n'
                  '{"messages": [{"role": "user", "content": "c"}, {"role": "assistant", "content": "x"}]}\n'
                  'oops\n{"nothing": 1}\n')
    prompts, issues = read_prompts(jl)
    assert prompts == [(("system", "s"), ("user", "a")), (("user", "b"),), (("user", "c"),)]
    assert len(issues) == 2


def test_distill_cli_builds_a_scrubbed_dataset_without_leaking(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from shoal.cli import cli
    from shoal.tuning.datasets import dataset_store

    config = write_config(tmp_path, {"models": {"teacher": {"provider": "testing", "locality": "external",
                                                            "options": {"echo": True}}}})
    prompts = tmp_path / "prompts.txt"
    prompts.write_text(f"{SENSITIVE}\n{PII_ONLY}\n{PLAIN}\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "distill", "--teacher", "teacher", "--prompts",
                                      str(prompts), "--name", "distilled", "--no-train"])
    assert result.exit_code == 0, result.output
    assert "1 withheld as sensitive" in result.output and "distilled@v1: 2 examples" in result.output
    version = dataset_store(load_settings(config).config.tuning, load_settings(config).paths).get("distilled@v1")
    text = " ".join(e.prompt_text + (e.completion or "") for e in version.examples)
    assert "Dana" not in text and "bob.jones@examplemail.org" not in text
    assert {e.meta["guard"] for e in version.examples} == {"scrubbed", "not sensitive"}
