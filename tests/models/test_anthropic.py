"""Anthropic adapter against a local server speaking the Messages API and its event stream."""

from __future__ import annotations

import json

import pytest

from shoal import errors
from shoal.models.anthropic import AnthropicChatModel, AnthropicProvider
from shoal.models.types import ChatRequest, ImagePart, Message, TextPart, ToolCall
from tests.models.conftest import SECRET, assert_names_call, make_spec
from tests.servers import FakeServer, Reply, anthropic_wire, closed_port

MODEL = "claude-sonnet-4-5"
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def model_for(server: FakeServer, **kw: object) -> AnthropicChatModel:
    return AnthropicChatModel(make_spec("anthropic", server.url, model_id=MODEL, **kw))  # type: ignore[arg-type]


async def test_complete_success_sends_the_wire_format(fake_server: FakeServer) -> None:
    fake_server.enqueue(anthropic_wire.message("Paris.", input_tokens=25, output_tokens=4))
    model = model_for(fake_server)
    result = await model.complete(ChatRequest(messages=(
        Message.system("Be brief."), Message.system("Answer in English."),
        Message.user("Capital of France?")), temperature=0.1, top_p=0.9, stop=("END",)))
    await model.aclose()
    assert result.text == "Paris." and result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (25, 4)
    assert result.model == "claude-sonnet-4-5-20250929"
    req = fake_server.last
    assert (req.method, req.path) == ("POST", "/v1/messages")
    assert req.headers["x-api-key"] == SECRET and req.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in req.headers
    assert req.json == {"model": MODEL, "max_tokens": 1024, "system": "Be brief.\n\nAnswer in English.",
                        "messages": [{"role": "user", "content": [{"type": "text", "text": "Capital of France?"}]}],
                        "temperature": 0.1, "top_p": 0.9, "stop_sequences": ["END"]}


async def test_max_tokens_from_request_then_options(fake_server: FakeServer) -> None:
    fake_server.enqueue(anthropic_wire.message("a"), anthropic_wire.message("b"))
    model = model_for(fake_server, max_tokens=4096)
    await model.complete(ChatRequest.of("hi", max_tokens=77))
    assert fake_server.last.json["max_tokens"] == 77
    await model.complete(ChatRequest.of("hi"))
    assert fake_server.last.json["max_tokens"] == 4096
    await model.aclose()


async def test_stream_joins_deltas_and_ends_with_usage(fake_server: FakeServer) -> None:
    fake_server.enqueue(anthropic_wire.stream(["The capital", " is", " Paris."], input_tokens=30,
                                              output_tokens=6, stop_reason="max_tokens"))
    model = model_for(fake_server)
    chunks = [c async for c in model.stream(ChatRequest.of("Capital of France?"))]
    await model.aclose()
    assert "".join(c.delta for c in chunks) == "The capital is Paris."
    final = chunks[-1]
    assert final.finish_reason == "length"
    assert final.usage is not None and (final.usage.prompt_tokens, final.usage.completion_tokens) == (30, 6)
    assert fake_server.last.json["stream"] is True


async def test_stream_without_message_stop_is_unavailable(fake_server: FakeServer) -> None:
    events = anthropic_wire.stream_events(["Half", " an", " answer"], stop=False)
    fake_server.enqueue(Reply(200, chunks=events[:5]))  # start, ping, block start, two deltas
    model = model_for(fake_server)
    got: list[str] = []
    with pytest.raises(errors.UnavailableError) as info:
        async for chunk in model.stream(ChatRequest.of("hi")):
            got.append(chunk.delta)
    await model.aclose()
    assert "".join(got) == "Half an"
    assert "message_stop" in str(info.value)
    assert_names_call(info.value, provider="anthropic", model=MODEL, url_part="/v1/messages")


async def test_stream_connection_dropped(fake_server: FakeServer) -> None:
    fake_server.enqueue(Reply(200, chunks=anthropic_wire.stream_events(["Half"])[:4], cut=True))
    model = model_for(fake_server)
    with pytest.raises(errors.UnavailableError):
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()


async def test_overloaded_error_event_mid_stream(fake_server: FakeServer) -> None:
    events = anthropic_wire.stream_events(["Hel"], stop=False)[:4]
    events.append(anthropic_wire.error_event("overloaded_error", "Overloaded"))
    fake_server.enqueue(Reply(200, chunks=events))
    model = model_for(fake_server)
    with pytest.raises(errors.UnavailableError) as info:
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()
    assert "Overloaded" in str(info.value) and "overloaded_error" in str(info.value)
    assert_names_call(info.value, provider="anthropic", model=MODEL, url_part="/v1/messages")


ERROR_CASES = [
    (anthropic_wire.error(400, "invalid_request_error", "temperature: range: 0..1"), errors.BadRequestError,
     "temperature: range"),
    (anthropic_wire.error(400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum"),
     errors.ContextLengthError, "prompt is too long"),
    (anthropic_wire.error(401, "authentication_error", "invalid x-api-key"), errors.AuthenticationError,
     "invalid x-api-key"),
    (anthropic_wire.error(403, "permission_error", "Your API key does not have permission to use the "
                                                   "specified resource."), errors.PermissionDeniedError,
     "does not have permission"),
    (anthropic_wire.error(404, "not_found_error", "model: claude-sonnet-9"), errors.ModelNotFoundError,
     "model: claude-sonnet-9"),
    (anthropic_wire.error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes."),
     errors.BadRequestError, "maximum allowed number of bytes"),
    (anthropic_wire.error(500, "api_error", "Internal server error"), errors.UnavailableError,
     "Internal server error"),
    (anthropic_wire.error(503, "api_error", "Service unavailable"), errors.UnavailableError,
     "Service unavailable"),
    (anthropic_wire.error(529, "overloaded_error", "Overloaded"), errors.UnavailableError, "Overloaded"),
]


@pytest.mark.parametrize(("reply", "exc_type", "provider_says"), ERROR_CASES,
                         ids=[f"{r.status}-{t.__name__}" for r, t, _ in ERROR_CASES])
async def test_http_errors_map_to_specific_types(fake_server: FakeServer, reply: Reply,
                                                 exc_type: type[errors.ProviderError], provider_says: str) -> None:
    fake_server.enqueue(reply, reply)
    model = model_for(fake_server)
    with pytest.raises(exc_type) as info:
        await model.complete(ChatRequest.of("hi"))
    assert type(info.value) is exc_type
    assert provider_says in str(info.value) and f"HTTP {reply.status}" in str(info.value)
    assert_names_call(info.value, provider="anthropic", model=MODEL, url_part="/v1/messages")
    with pytest.raises(exc_type):
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()


async def test_429_with_retry_after(fake_server: FakeServer) -> None:
    fake_server.enqueue(anthropic_wire.error(429, "rate_limit_error", "Number of request tokens has exceeded "
                                                                      "your per-minute rate limit",
                                             headers={"retry-after": "12"}))
    model = model_for(fake_server)
    with pytest.raises(errors.RateLimitError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert info.value.retry_after == 12.0 and "per-minute rate limit" in str(info.value)
    assert_names_call(info.value, provider="anthropic", model=MODEL, url_part="/v1/messages")


async def test_timeout(fake_server: FakeServer) -> None:
    fake_server.enqueue(Reply(200, {}, delay_s=1.5))
    model = model_for(fake_server, timeout_s=0.3)
    with pytest.raises(errors.ProviderTimeoutError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert_names_call(info.value, provider="anthropic", model=MODEL, url_part="/v1/messages")


async def test_connection_refused() -> None:
    model = AnthropicChatModel(make_spec("anthropic", f"http://127.0.0.1:{closed_port()}", model_id=MODEL))
    with pytest.raises(errors.ProviderConnectionError):
        await model.complete(ChatRequest.of("hi"))


@pytest.mark.parametrize("reply", [
    Reply(200, "upstream connect error", content_type="text/plain"),
    Reply(200, {"type": "message", "content": "not a list of blocks"}),
    Reply(200, {"type": "message", "role": "assistant"}),
])
async def test_malformed_body(fake_server: FakeServer, reply: Reply) -> None:
    fake_server.enqueue(reply)
    model = model_for(fake_server)
    with pytest.raises(errors.MalformedResponseError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert_names_call(info.value, provider="anthropic", model=MODEL, url_part="/v1/messages")


async def test_malformed_stream_event(fake_server: FakeServer) -> None:
    events = anthropic_wire.stream_events(["ok"])[:2]
    events.append('event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0}\n\n')
    fake_server.enqueue(Reply(200, chunks=events))
    model = model_for(fake_server)
    with pytest.raises(errors.MalformedResponseError) as info:
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()
    assert "content_block_delta" in str(info.value)


async def test_images_and_tools_translate(fake_server: FakeServer) -> None:
    fake_server.enqueue(anthropic_wire.message("Let me check.", stop_reason="tool_use",
                                               tool_uses=[("toolu_01", "get_weather", {"city": "Paris"})]))
    model = model_for(fake_server)
    request = ChatRequest(messages=(
        Message.system("You are helpful."),
        Message.user((TextPart("Where is this, and what's the weather?"),
                      ImagePart("data:image/png;base64,iVBORw0KGgo="),
                      ImagePart("https://example.com/eiffel.jpg"))),
        Message("assistant", "Checking Rome first.",
                tool_calls=(ToolCall("toolu_00", "get_weather", '{"city": "Rome"}'),)),
        Message("tool", '{"temp_c": 21}', tool_call_id="toolu_00"),
        Message.user("And Paris?"),
    ), tools=(WEATHER_TOOL,), tool_choice="required")
    result = await model.complete(request)
    await model.aclose()
    assert result.text == "Let me check." and result.finish_reason == "tool_calls"
    assert result.tool_calls == (ToolCall("toolu_01", "get_weather", '{"city": "Paris"}'),)
    sent = fake_server.last.json
    assert sent["system"] == "You are helpful."
    assert sent["tools"] == [{"name": "get_weather", "description": "Weather for a city",
                              "input_schema": WEATHER_TOOL["function"]["parameters"]}]  # type: ignore[index]
    assert sent["tool_choice"] == {"type": "any"}
    assert sent["messages"] == [
        {"role": "user", "content": [
            {"type": "text", "text": "Where is this, and what's the weather?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/eiffel.jpg"}}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Checking Rome first."},
            {"type": "tool_use", "id": "toolu_00", "name": "get_weather", "input": {"city": "Rome"}}]},
        {"role": "user", "content": [  # the tool result and the next user turn merge into one user turn
            {"type": "tool_result", "tool_use_id": "toolu_00", "content": '{"temp_c": 21}'},
            {"type": "text", "text": "And Paris?"}]},
    ]


async def test_streamed_tool_use_input_is_assembled(fake_server: FakeServer) -> None:
    fake_server.enqueue(anthropic_wire.stream(["Checking."], stop_reason="tool_use",
                                              tool_uses=[("toolu_9", "get_weather", '{"city": "Oslo"}')]))
    model = model_for(fake_server)
    chunks = [c async for c in model.stream(ChatRequest.of("weather?", tools=(WEATHER_TOOL,)))]
    await model.aclose()
    final = chunks[-1]
    assert final.finish_reason == "tool_calls"
    assert final.tool_calls == (ToolCall("toolu_9", "get_weather", '{"city": "Oslo"}'),)
    assert json.loads(final.tool_calls[0].arguments) == {"city": "Oslo"}


async def test_json_mode_adds_a_system_instruction(fake_server: FakeServer) -> None:
    fake_server.enqueue(anthropic_wire.message('{"capital": "Paris"}'))
    model = model_for(fake_server)
    result = await model.complete(ChatRequest.of("Capital of France?", system="Be brief.", json_mode=True))
    await model.aclose()
    assert json.loads(result.text) == {"capital": "Paris"}
    system = fake_server.last.json["system"]
    assert system.startswith("Be brief.") and "JSON" in system


async def test_refusal_without_text_is_content_blocked(fake_server: FakeServer) -> None:
    fake_server.enqueue(anthropic_wire.message("", stop_reason="refusal"))
    model = model_for(fake_server)
    with pytest.raises(errors.ContentBlockedError) as info:
        await model.complete(ChatRequest.of("something harmful"))
    await model.aclose()
    assert "refusal" in str(info.value)


async def test_network_switch_blocks_the_real_api() -> None:
    spec = make_spec("anthropic", AnthropicProvider.default_base_url or "", model_id=MODEL)
    with pytest.raises(errors.NetworkBlockedError):
        await AnthropicChatModel(spec).complete(ChatRequest.of("hi"))


def test_no_embeddings() -> None:
    with pytest.raises(errors.ConfigError, match="no embeddings API"):
        AnthropicProvider().embedding_model(make_spec("anthropic", "http://127.0.0.1:1", kind="embedding"))
