"""The real embedded model (SmolLM2-135M-Instruct via llama-cpp-python), no doubles."""

from __future__ import annotations

import json

import pytest

from shoal import errors
from shoal.catalog import Catalog
from shoal.config import Settings, parse_config
from shoal.models.types import ChatRequest
from shoal.wiring import catalog as build_catalog

pytestmark = pytest.mark.local_model


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    pytest.importorskip("llama_cpp")
    return build_catalog(Settings(parse_config({}), None), check=False)


async def test_complete_answers_with_usage_and_zero_cost(catalog: Catalog) -> None:
    model = catalog.chat_model()  # default model, no config at all
    assert model.spec.locality == "self_hosted"
    out = await model.complete(ChatRequest.of("What is the capital of France?", max_tokens=24, temperature=0.0))
    assert "paris" in out.text.lower()
    assert out.usage.prompt_tokens > 5 and out.usage.completion_tokens > 0
    assert out.cost_usd == 0.0 and out.latency_s > 0
    assert out.model == "SmolLM2-135M-Instruct-Q4_1" and out.name == "local"


async def test_stream_yields_deltas_then_usage(catalog: Catalog) -> None:
    model = catalog.chat_model("local")
    chunks = [c async for c in model.stream(ChatRequest.of("Count from one to five.", max_tokens=20))]
    assert len([c for c in chunks if c.delta]) >= 3
    last = chunks[-1]
    assert last.finish_reason in {"stop", "length"}
    assert last.usage is not None and last.usage.completion_tokens > 0
    text = "".join(c.delta for c in chunks)
    assert last.usage.completion_tokens <= 20 + 2 and text.strip()


async def test_stream_stops_when_consumer_leaves(catalog: Catalog) -> None:
    model = catalog.chat_model("local")
    agen = model.stream(ChatRequest.of("Write a long story about a ship.", max_tokens=200))
    first = await agen.__anext__()
    assert first.delta
    await agen.aclose()  # must return promptly and free the model for the next call
    out = await model.complete(ChatRequest.of("Say hi.", max_tokens=5))
    assert out.usage.completion_tokens > 0


async def test_json_mode_returns_json(catalog: Catalog) -> None:
    out = await catalog.chat_model("local").complete(
        ChatRequest.of("Give a JSON object with a key 'city' for the capital of France.", json_mode=True,
                       max_tokens=40, temperature=0.0))
    json.loads(out.text)


async def test_prompt_longer_than_context_is_a_context_length_error() -> None:
    pytest.importorskip("llama_cpp")
    cat = build_catalog(Settings(parse_config({"models": {"tiny": {"provider": "llama_cpp", "options": {"n_ctx": 128}}}}),
                           None), check=False)
    with pytest.raises(errors.ContextLengthError) as exc:
        await cat.chat_model("tiny").complete(ChatRequest.of("word " * 400, max_tokens=8))
    assert "llama_cpp" in str(exc.value)


def test_missing_gguf_path_names_the_key() -> None:
    cat = build_catalog(Settings(parse_config({"models": {"mine": {"provider": "llama_cpp",
                                                             "options": {"path": "/nope/model.gguf"}}}}), None), check=False)
    with pytest.raises(errors.ConfigError) as exc:
        cat.chat_model("mine").complete_sync(ChatRequest.of("hi"))
    assert "models.mine.options.path" in str(exc.value) and "/nope/model.gguf" in str(exc.value)


@pytest.fixture(scope="module")
def logprobs_catalog() -> Catalog:
    pytest.importorskip("llama_cpp")
    # logprobs keep every position's logits: a small window keeps that to ~100 MB.
    models = {"lp": {"provider": "llama_cpp", "options": {"logprobs": True, "n_ctx": 512}}}
    return build_catalog(Settings(parse_config({"models": models, "default_model": "lp"}), None), check=False)


async def test_logprobs_when_the_model_is_loaded_for_them(logprobs_catalog: Catalog) -> None:
    import math

    request = ChatRequest.of("What is the capital of France?", max_tokens=8, temperature=0.0, logprobs=True,
                             top_logprobs=3)
    out = await logprobs_catalog.chat_model("lp").complete(request)
    assert out.logprobs is not None and len(out.logprobs) == out.usage.completion_tokens
    assert "".join(t["token"] for t in out.logprobs) == out.text
    for token in out.logprobs:
        assert type(token["logprob"]) is float and token["logprob"] <= 0.0 and len(token["top_logprobs"]) >= 1
        # greedy decoding: the chosen token is the most likely one
        assert token["logprob"] == pytest.approx(max(t["logprob"] for t in token["top_logprobs"]))
    assert math.exp(out.logprobs[0]["logprob"]) > 0.0
    streamed = [c async for c in logprobs_catalog.chat_model("lp").stream(request)]
    tokens = [t for c in streamed for t in (c.logprobs or ())]
    assert [t["token"] for t in tokens] == [t["token"] for t in out.logprobs]


async def test_logprobs_are_refused_when_not_loaded_and_n_generates_in_turn(catalog: Catalog) -> None:
    model = catalog.chat_model("local")
    with pytest.raises(errors.UnsupportedRequestError, match="logprobs"):
        await model.complete(ChatRequest.of("Hi", max_tokens=4, logprobs=True))
    out = await model.complete(ChatRequest.of("Name a colour.", max_tokens=6, temperature=1.0, seed=None, n=2))
    assert len(out.choices) == 2 and all(c.text for c in out.choices)
    assert out.usage.prompt_tokens > 10  # two calls, each reading the prompt
