"""Adapters reached the way users reach them: shoal.yaml → Settings → Catalog → ChatModel."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoal import errors
from shoal.config import load_settings
from shoal.models.types import ChatRequest
from shoal.wiring import catalog as build_catalog
from tests.servers import FakeServer, anthropic_wire, gemini_wire, openai_wire

KEY = "sk-from-env-0987654321"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shoal.yaml"
    path.write_text(text)
    return path


async def test_openai_provider_from_config(tmp_path: Path, fake_server: FakeServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PROXY_KEY", KEY)
    path = write_config(tmp_path, f"""
models:
  proxy-mini:
    provider: openai
    model: gpt-4o-mini
    base_url: {fake_server.url}/v1
    api_key: env:TEST_PROXY_KEY
    timeout: 5
""")
    catalog = build_catalog(load_settings(path), check=False)
    fake_server.enqueue(openai_wire.completion("Paris.", prompt_tokens=1_000_000, completion_tokens=0),
                        openai_wire.stream(["Pa", "ris."]))
    model = catalog.chat_model("proxy-mini")
    assert model.spec.locality == "external" and model.spec.timeout_s == 5
    result = await model.complete(ChatRequest.of("Capital of France?"))
    assert result.text == "Paris." and result.name == "proxy-mini"
    assert result.cost_usd == pytest.approx(0.15)  # built-in list price of gpt-4o-mini, per 1M input tokens
    assert fake_server.last.headers["authorization"] == f"Bearer {KEY}"
    assert fake_server.last.json["model"] == "gpt-4o-mini"
    assert "".join([c.delta async for c in model.stream(ChatRequest.of("again"))]) == "Paris."
    await catalog.aclose()


async def test_self_hosted_openai_compatible_server_needs_no_key(tmp_path: Path, fake_server: FakeServer,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = write_config(tmp_path, f"""
models:
  qwen:
    provider: openai
    model: Qwen/Qwen2.5-7B-Instruct
    base_url: {fake_server.url}/v1
    locality: self_hosted
    hourly_cost: 1.2
""")
    catalog = build_catalog(load_settings(path), check=False)
    fake_server.enqueue(openai_wire.completion("hello"))
    model = catalog.chat_model("qwen")
    assert model.locality == "self_hosted"
    assert (await model.complete(ChatRequest.of("hi"))).text == "hello"
    assert "authorization" not in fake_server.last.headers
    await catalog.aclose()


async def test_anthropic_and_gemini_from_config(tmp_path: Path, fake_server: FakeServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("MY_GEMINI_KEY", KEY)
    path = write_config(tmp_path, f"""
models:
  claude:
    provider: anthropic
    model: claude-haiku-4-5
    base_url: {fake_server.url}
    api_key: env:ANTHROPIC_API_KEY
  flash:
    model: gemini-2.5-flash
    base_url: {fake_server.url}/v1beta
    api_key: env:MY_GEMINI_KEY
""")
    catalog = build_catalog(load_settings(path), check=False)
    fake_server.enqueue(anthropic_wire.message("from claude"), gemini_wire.response("from gemini"))
    claude = catalog.chat_model("claude")
    assert (await claude.complete(ChatRequest.of("hi"))).text == "from claude"
    assert fake_server.last.headers["x-api-key"] == KEY
    flash = catalog.chat_model("flash")  # provider inferred from the built-in catalog
    assert flash.spec.provider == "gemini"
    assert (await flash.complete(ChatRequest.of("hi"))).text == "from gemini"
    assert fake_server.last.headers["x-goog-api-key"] == KEY
    await catalog.aclose()


def test_builtin_model_without_key_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    catalog = build_catalog(load_settings(None), check=False)
    with pytest.raises(errors.MissingSecretError) as info:
        catalog.chat_model("gpt-4o-mini")
    assert info.value.env_var == "OPENAI_API_KEY" and "OPENAI_API_KEY" in str(info.value)


async def test_builtin_model_with_key_is_blocked_by_the_network_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    catalog = build_catalog(load_settings(None), check=False)
    model = catalog.chat_model("claude-haiku-4-5")
    with pytest.raises(errors.NetworkBlockedError) as info:
        await model.complete(ChatRequest.of("hi"))
    assert "api.anthropic.com" in str(info.value) and KEY not in str(info.value)
    await catalog.aclose()


async def test_embedding_model_from_config(tmp_path: Path, fake_server: FakeServer) -> None:
    path = write_config(tmp_path, f"""
models:
  embedder:
    provider: openai
    kind: embedding
    model: nomic-embed-text
    base_url: {fake_server.url}/v1
""")
    catalog = build_catalog(load_settings(path), check=False)
    fake_server.enqueue(openai_wire.embeddings([[1.0, 0.0]], model="nomic-embed-text"))
    result = await catalog.embedding_model("embedder").embed(["hello"])
    assert result.vectors == [[1.0, 0.0]]
    await catalog.aclose()
