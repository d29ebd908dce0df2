"""The shipped test doubles: ScriptedChatModel, HashEmbeddingModel, ScriptedProvider."""

from __future__ import annotations

import math

import pytest

from shoal import errors
from shoal.config import Settings, parse_config
from shoal.models.testing import (
    HashEmbeddingModel,
    ScriptedChatModel,
    ScriptedProvider,
    spec_for,
    with_locality,
)
from shoal.models.types import ChatRequest, Completion, Pricing, Usage
from shoal.wiring import catalog as build_catalog


async def test_responses_cycle_and_requests_are_recorded() -> None:
    model = ScriptedChatModel(responses=["one", "two"])
    answers = [(await model.complete(ChatRequest.of(f"q{i}"))).text for i in range(3)]
    assert answers == ["one", "two", "one"]
    assert [r.messages[-1].text for r in model.requests] == ["q0", "q1", "q2"]


async def test_echo_stream_and_usage() -> None:
    model = ScriptedChatModel(echo=True)
    chunks = [c async for c in model.stream(ChatRequest.of("hello brave new world"))]
    assert "".join(c.delta for c in chunks) == "hello brave new world"
    assert len(chunks) == 5 and chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage == Usage(4, 4)


async def test_exceptions_callables_and_completions() -> None:
    boom = errors.RateLimitError("slow down", provider="testing", retry_after=2)
    fixed = Completion(text="fixed", model="m", usage=Usage(3, 1))
    model = ScriptedChatModel(responses=[boom, lambda r: r.messages[-1].text.upper(), fixed])
    with pytest.raises(errors.RateLimitError):
        await model.complete(ChatRequest.of("a"))
    assert (await model.complete(ChatRequest.of("shout"))).text == "SHOUT"
    assert (await model.complete(ChatRequest.of("x"))).usage == Usage(3, 1)


async def test_cost_latency_and_names_come_from_the_base_class() -> None:
    model = ScriptedChatModel(spec_for("cheap", pricing=Pricing(1.0, 2.0)), ["a b c"])
    result = await model.complete(ChatRequest.of("one two"))
    assert result.name == "cheap" and result.provider == "testing" and result.latency_s >= 0
    assert result.cost_usd == pytest.approx((2 * 1.0 + 3 * 2.0) / 1e6)


def test_sync_wrappers() -> None:
    model = ScriptedChatModel(responses=["sync answer"])
    assert model.complete_sync(ChatRequest.of("q")).text == "sync answer"
    assert "".join(c.delta for c in model.stream_sync(ChatRequest.of("q"))) == "sync answer"


def test_with_locality() -> None:
    model = with_locality(ScriptedChatModel(), "self_hosted")
    assert model.locality == "self_hosted"


async def test_hash_embeddings_are_deterministic_and_similar_for_similar_texts() -> None:
    model = HashEmbeddingModel(dim=128)
    result = await model.embed(["the cat sat on the mat", "the cat sat on a mat", "quarterly revenue report"])
    a, b, c = result.vectors
    assert all(len(v) == 128 for v in result.vectors)
    assert math.isclose(sum(x * x for x in a), 1.0)

    def cos(x: list[float], y: list[float]) -> float:
        return sum(p * q for p, q in zip(x, y, strict=True))

    assert cos(a, b) > cos(a, c)
    assert (await model.embed(["the cat sat on the mat"])).vectors[0] == a


async def test_provider_testing_from_config() -> None:
    settings = Settings(parse_config({"models": {
        "fake": {"provider": "testing", "options": {"responses": ["scripted"]}},
        "down": {"provider": "testing", "options": {"fail_with": "unavailable"}},
        "typo": {"provider": "testing", "options": {"fail_with": "unavialable"}},
    }}), None)
    catalog = build_catalog(settings, check=False)
    assert (await catalog.chat_model("fake").complete(ChatRequest.of("q"))).text == "scripted"
    assert catalog.chat_model("fake").locality == ScriptedProvider.default_locality
    with pytest.raises(errors.UnavailableError):
        await catalog.chat_model("down").complete(ChatRequest.of("q"))
    with pytest.raises(errors.ConfigError, match="unknown fail_with 'unavialable'"):
        catalog.chat_model("typo")
