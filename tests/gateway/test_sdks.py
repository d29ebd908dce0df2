"""The official openai and anthropic SDKs, pointed at the gateway, work unchanged."""

from __future__ import annotations

import base64
from pathlib import Path

import anthropic
import numpy as np
import openai
import pytest

from shoal.models.types import ImagePart
from tests.gateway.conftest import Live, live_gateway, make_settings

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def _openai(live: Live, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=key, max_retries=0)


def test_openai_sdk_non_streaming_with_route_headers(live: Live) -> None:
    key = live.create_key(team="search", user="ann")
    raw = _openai(live, key).chat.completions.with_raw_response.create(
        model="cheap", messages=[{"role": "user", "content": "What is the capital of France?"}])
    completion = raw.parse()
    assert completion.choices[0].message.content == "The capital of France is Paris."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    assert raw.headers["x-shoal-model"] == "cheap"
    assert raw.headers["x-shoal-route"] == "pinned"
    assert float(raw.headers["x-shoal-cost-usd"]) > 0
    meta = completion.model_extra["shoal"]  # type: ignore[index]
    assert meta["request_id"] == raw.headers["x-shoal-request-id"]
    assert meta["sensitivity"]["level"] == "public"


def test_openai_sdk_streaming_records_usage_at_the_end(live: Live) -> None:
    key = live.create_key(team="search")
    client = _openai(live, key)
    stream = client.chat.completions.create(model="onprem", stream=True, stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "echo these five words please"}])
    text, usage, request_id = "", None, None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage is not None:
            usage = chunk.usage
        if chunk.model_extra and "shoal" in chunk.model_extra:
            request_id = chunk.model_extra["shoal"]["request_id"]
    assert text == "echo these five words please"
    assert usage is not None and usage.completion_tokens == 5
    assert request_id is not None
    live.store.flush()
    record = live.store.get_request(request_id)
    assert record.stream and record.served_model == "onprem" and record.completion_tokens == 5
    assert record.response_text == text and record.cost_usd > 0


def test_tools_and_image_parts_are_passed_through(live: Live) -> None:
    key = live.create_key(team="search")
    tools = [{"type": "function", "function": {"name": "lookup", "description": "find a thing",
                                               "parameters": {"type": "object", "properties": {}}}}]
    _openai(live, key).chat.completions.create(
        model="onprem", tools=tools, tool_choice="auto",  # type: ignore[arg-type]
        messages=[{"role": "user", "content": [{"type": "text", "text": "what is in this picture?"},
                                               {"type": "image_url", "image_url": {"url": PNG, "detail": "low"}}]}])
    sent = live.catalog.chat_model("onprem").requests[-1]  # type: ignore[attr-defined]
    assert sent.tools == tuple(tools) and sent.tool_choice == "auto"
    images = sent.messages[-1].images
    assert images == (ImagePart(PNG, detail="low"),)


def test_openai_sdk_embeddings_float_and_base64(tmp_path: Path) -> None:
    models = {"cheap": {"provider": "testing", "options": {"responses": ["x"]}},
              "hash": {"provider": "testing", "kind": "embedding", "input_price": 0.02, "options": {"dim": 16}}}
    with live_gateway(make_settings(tmp_path, models=models)) as live:
        client = _openai(live, live.create_key(team="t"))
        default = client.embeddings.create(model="hash", input=["red apple", "green pear"])  # base64 on the wire
        floats = client.embeddings.create(model="hash", input="red apple", encoding_format="float")
        assert len(default.data) == 2 and len(default.data[0].embedding) == 16
        assert np.allclose(default.data[0].embedding, floats.data[0].embedding, atol=1e-6)
        assert default.usage.prompt_tokens == 4


def test_models_lists_configured_models_and_auto(live: Live) -> None:
    ids = {m.id for m in _openai(live, live.create_key()).models.list()}
    assert {"auto", "cheap", "onprem"} <= ids


def test_anthropic_sdk_messages_non_streaming(live: Live) -> None:
    client = anthropic.Anthropic(base_url=live.url, api_key=live.create_key(team="search"), max_retries=0)
    message = client.messages.create(model="cheap", max_tokens=100, system="Be brief.",
                                     messages=[{"role": "user", "content": "Capital of France?"}])
    assert message.content[0].type == "text"
    assert message.content[0].text == "The capital of France is Paris."
    assert message.stop_reason == "end_turn" and message.usage.output_tokens > 0
    sent = live.catalog.chat_model("cheap").requests[-1]  # type: ignore[attr-defined]
    assert sent.messages[0].role == "system" and sent.messages[0].text == "Be brief."


def test_anthropic_sdk_messages_streaming(live: Live) -> None:
    client = anthropic.Anthropic(base_url=live.url, api_key=live.create_key(team="search"), max_retries=0)
    with client.messages.stream(model="onprem", max_tokens=50,
                                messages=[{"role": "user", "content": "stream me back"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "stream me back"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 3


def test_anthropic_sdk_bad_request_is_a_clear_error(live: Live) -> None:
    client = anthropic.Anthropic(base_url=live.url, api_key=live.create_key(), max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model="cheap", max_tokens=10,
                               messages=[{"role": "robot", "content": "hi"}])  # type: ignore[typeddict-item]
    assert "messages[0].role" in str(info.value)
