"""OpenAI-compatible adapter against a local server speaking the chat-completions wire format."""

from __future__ import annotations

import time
from dataclasses import replace
from email.utils import formatdate

import pytest

from shoal import errors
from shoal.models.openai_compat import OpenAIChatModel, OpenAIEmbeddingModel, OpenAIProvider, OpenAIWire
from shoal.models.types import ChatRequest, ImagePart, Message, Pricing, TextPart, ToolCall
from tests.models.conftest import SECRET, assert_names_call, make_spec
from tests.servers import FakeServer, Reply, closed_port, openai_wire

MODEL = "gpt-4o-mini"
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def model_for(server: FakeServer, **kw: object) -> OpenAIChatModel:
    return OpenAIChatModel(make_spec("openai", f"{server.url}/v1", model_id=MODEL, **kw))  # type: ignore[arg-type]


async def test_complete_success_sends_the_wire_format(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.completion("Paris.", prompt_tokens=20, completion_tokens=3))
    model = OpenAIChatModel(replace(make_spec("openai", f"{fake_server.url}/v1", model_id=MODEL),
                                    pricing=Pricing(0.15, 0.60)))
    result = await model.complete(ChatRequest.of("Capital of France?", system="Be brief.", temperature=0.2,
                                                 max_tokens=50, stop=("\n\n",), seed=7))
    await model.aclose()
    assert result.text == "Paris."
    assert result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (20, 3)
    assert result.model == "gpt-4o-mini-2024-07-18"
    assert result.cost_usd == pytest.approx((20 * 0.15 + 3 * 0.60) / 1e6)
    assert result.provider == "openai" and result.name == "my-openai"
    req = fake_server.last
    assert (req.method, req.path) == ("POST", "/v1/chat/completions")
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    assert req.json == {"model": MODEL, "messages": [{"role": "system", "content": "Be brief."},
                                                     {"role": "user", "content": "Capital of France?"}],
                        "temperature": 0.2, "max_tokens": 50, "stop": ["\n\n"], "seed": 7}


async def test_stream_joins_deltas_and_ends_with_usage(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.stream(["The ", "capital ", "is ", "Paris."], prompt_tokens=11,
                                           completion_tokens=4))
    model = model_for(fake_server)
    chunks = [c async for c in model.stream(ChatRequest.of("Capital of France?"))]
    await model.aclose()
    assert "".join(c.delta for c in chunks) == "The capital is Paris."
    final = chunks[-1]
    assert final.finish_reason == "stop" and final.delta == ""
    assert final.usage is not None and (final.usage.prompt_tokens, final.usage.completion_tokens) == (11, 4)
    assert all(c.usage is None for c in chunks[:-1])
    body = fake_server.last.json
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert fake_server.last.headers["accept"] == "text/event-stream"


async def test_stream_split_at_every_byte_still_parses(fake_server: FakeServer) -> None:
    events = openai_wire.stream_events(["héllo ", "wörld"])
    raw = "".join(events).encode()
    fake_server.enqueue(Reply(200, chunks=[raw[i:i + 1] for i in range(len(raw))]))
    model = model_for(fake_server)
    chunks = [c async for c in model.stream(ChatRequest.of("hi"))]
    await model.aclose()
    assert "".join(c.delta for c in chunks) == "héllo wörld"


async def test_stream_ending_without_done_is_unavailable(fake_server: FakeServer) -> None:
    events = openai_wire.stream_events(["Half ", "an ", "answer"], done=False, include_usage=False)
    fake_server.enqueue(Reply(200, chunks=events[:3]))  # server closes cleanly mid-answer
    model = model_for(fake_server)
    got: list[str] = []
    with pytest.raises(errors.UnavailableError) as info:
        async for chunk in model.stream(ChatRequest.of("hi")):
            got.append(chunk.delta)
    await model.aclose()
    assert "".join(got) == "Half an "  # role chunk, then two deltas
    assert "[DONE]" in str(info.value) and "incomplete" in str(info.value)
    assert_names_call(info.value, provider="openai", model=MODEL, url_part="/v1/chat/completions")


async def test_stream_connection_dropped_mid_body_is_unavailable(fake_server: FakeServer) -> None:
    events = openai_wire.stream_events(["Half ", "an ", "answer"])
    fake_server.enqueue(Reply(200, chunks=events[:3], cut=True))
    model = model_for(fake_server)
    with pytest.raises(errors.UnavailableError) as info:
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()
    assert "connection was dropped" in str(info.value)
    assert_names_call(info.value, provider="openai", model=MODEL, url_part="/v1/chat/completions")


ERROR_CASES = [
    (openai_wire.error(400, "Invalid value for 'temperature': must be <= 2."), errors.BadRequestError,
     "must be <= 2"),
    (openai_wire.error(400, "This model's maximum context length is 128000 tokens. However, your messages "
                            "resulted in 130000 tokens.", code="context_length_exceeded"),
     errors.ContextLengthError, "maximum context length is 128000"),
    (Reply(400, {"error": {"code": 400, "message": "the request exceeds the available context size, try "
                                                   "increasing it", "type": "exceed_context_size_error",
                           "n_prompt_tokens": 5000, "n_ctx": 4096}}),  # llama.cpp server
     errors.ContextLengthError, "exceeds the available context size"),
    (openai_wire.error(401, "Incorrect API key provided: sk-test-***789.", code="invalid_api_key"),
     errors.AuthenticationError, "Incorrect API key provided"),
    (openai_wire.error(403, "Project does not have access to model gpt-4o-mini", code="model_not_found"),
     errors.PermissionDeniedError, "does not have access"),
    (openai_wire.error(404, "The model `gpt-4o-mini` does not exist or you do not have access to it.",
                       code="model_not_found"), errors.ModelNotFoundError, "does not exist"),
    (openai_wire.error(413, "Request too large for gpt-4o-mini: too many tokens in prompt"),
     errors.ContextLengthError, "Request too large"),
    (openai_wire.error(500, "The server had an error while processing your request.", type="server_error"),
     errors.UnavailableError, "server had an error"),
    (openai_wire.error(502, "Bad gateway.", type="server_error"), errors.UnavailableError, "Bad gateway"),
    (openai_wire.error(503, "The engine is currently overloaded, please try again later.",
                       type="server_error"), errors.UnavailableError, "overloaded"),
    (Reply(504, "<html>Gateway Timeout</html>", content_type="text/html"), errors.ProviderTimeoutError,
     "Gateway Timeout"),
    (Reply(408, {"error": {"message": "Request timed out.", "type": "timeout"}}), errors.ProviderTimeoutError,
     "Request timed out"),
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
    assert provider_says in str(info.value)
    assert info.value.status == reply.status and f"HTTP {reply.status}" in str(info.value)
    assert_names_call(info.value, provider="openai", model=MODEL, url_part="/v1/chat/completions")
    # the same error arrives before a stream starts
    with pytest.raises(exc_type):
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()


@pytest.mark.parametrize(("headers", "expected"), [
    ({"retry-after": "7"}, 7.0),
    ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
    ({"retry-after": "http-date+30"}, 30.0),
])
async def test_429_carries_retry_after(fake_server: FakeServer, headers: dict[str, str], expected: float) -> None:
    if headers.get("retry-after") == "http-date+30":  # built now, not at collection time
        headers = {"retry-after": formatdate(time.time() + 30, usegmt=True)}
    fake_server.enqueue(openai_wire.error(429, "Rate limit reached for gpt-4o-mini on requests per min (RPM).",
                                          type="requests", code="rate_limit_exceeded", headers=headers))
    model = model_for(fake_server)
    with pytest.raises(errors.RateLimitError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert info.value.retry_after == pytest.approx(expected, abs=1.5)
    assert "Rate limit reached" in str(info.value) and "retry after" in str(info.value)
    assert_names_call(info.value, provider="openai", model=MODEL, url_part="/v1/chat/completions")


async def test_insufficient_quota_says_retrying_will_not_help(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.error(429, "You exceeded your current quota.", type="insufficient_quota",
                                          code="insufficient_quota"))
    model = model_for(fake_server)
    with pytest.raises(errors.RateLimitError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert "billing" in str(info.value)


async def test_key_echoed_by_the_server_is_redacted(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.error(401, f"Incorrect API key provided: {SECRET}."))
    model = model_for(fake_server)
    with pytest.raises(errors.AuthenticationError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert SECRET not in str(info.value) and "***" in str(info.value)


async def test_timeout_when_server_is_slower_than_spec(fake_server: FakeServer) -> None:
    fake_server.enqueue(Reply(200, {"choices": []}, delay_s=1.5))
    model = model_for(fake_server, timeout_s=0.3)
    with pytest.raises(errors.ProviderTimeoutError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert "0.3 s" in str(info.value)
    assert_names_call(info.value, provider="openai", model=MODEL, url_part="/v1/chat/completions")


async def test_stream_stalling_between_chunks_times_out(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.stream(["a", "b", "c"], chunk_delay_s=1.0))
    model = model_for(fake_server, timeout_s=0.3)
    with pytest.raises(errors.ProviderTimeoutError):
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()


async def test_connection_refused() -> None:
    model = OpenAIChatModel(make_spec("openai", f"http://127.0.0.1:{closed_port()}/v1", model_id=MODEL))
    with pytest.raises(errors.ProviderConnectionError) as info:
        await model.complete(ChatRequest.of("hi"))
    assert "cannot connect" in str(info.value) and "base_url" in str(info.value)
    assert_names_call(info.value, provider="openai", model=MODEL, url_part="/v1/chat/completions")


@pytest.mark.parametrize("reply", [
    Reply(200, "<html><body>Welcome to nginx!</body></html>", content_type="text/html"),
    Reply(200, {"id": "x", "object": "chat.completion"}),  # JSON, but no choices
    Reply(200, {"choices": [{"message": {"content": 42}}]}),
    Reply(200, ["not", "an", "object"]),
])
async def test_malformed_body(fake_server: FakeServer, reply: Reply) -> None:
    fake_server.enqueue(reply)
    model = model_for(fake_server)
    with pytest.raises(errors.MalformedResponseError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert_names_call(info.value, provider="openai", model=MODEL, url_part="/v1/chat/completions")


async def test_malformed_stream_chunk(fake_server: FakeServer) -> None:
    fake_server.enqueue(Reply(200, chunks=openai_wire.stream_events(["ok"])[:2] + ["data: {not json\n\n"]))
    model = model_for(fake_server)
    with pytest.raises(errors.MalformedResponseError) as info:
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()
    assert "not JSON" in str(info.value)


async def test_404_with_html_body_points_at_base_url(fake_server: FakeServer) -> None:
    fake_server.enqueue(Reply(404, "404 page not found", content_type="text/plain"))
    model = OpenAIChatModel(make_spec("openai", fake_server.url, model_id=MODEL))  # forgot the /v1
    with pytest.raises(errors.ModelNotFoundError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert "/v1" in str(info.value) and "404 page not found" in str(info.value)


async def test_error_inside_a_stream(fake_server: FakeServer) -> None:
    # vLLM reports failures after the stream started as a data event with an error object
    events = openai_wire.stream_events(["Hel"])[:2]
    events.append('data: {"error": {"object": "error", "message": "KV cache exhausted", '
                  '"type": "InternalServerError", "code": 500}}\n\n')
    fake_server.enqueue(Reply(200, chunks=events))
    model = model_for(fake_server)
    with pytest.raises(errors.UnavailableError) as info:
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()
    assert "KV cache exhausted" in str(info.value)


async def test_images_and_tools_pass_through(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.completion(None, finish_reason="tool_calls",
                                               tool_calls=[("call_abc", "get_weather", '{"city": "Paris"}')]))
    model = model_for(fake_server)
    request = ChatRequest(messages=(
        Message.user((TextPart("What is in this image, and the weather there?"),
                      ImagePart("data:image/png;base64,iVBORw0KGgo=", detail="low"),
                      ImagePart("https://example.com/eiffel.jpg"))),
        Message("assistant", "", tool_calls=(ToolCall("call_0", "get_weather", '{"city": "Rome"}'),)),
        Message("tool", '{"temp_c": 21}', tool_call_id="call_0"),
    ), tools=(WEATHER_TOOL,), tool_choice="auto")
    result = await model.complete(request)
    await model.aclose()
    assert result.finish_reason == "tool_calls" and result.text == ""
    assert result.tool_calls == (ToolCall("call_abc", "get_weather", '{"city": "Paris"}'),)
    sent = fake_server.last.json
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "What is in this image, and the weather there?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/eiffel.jpg"}}]
    assert sent["messages"][1] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}]}
    assert sent["messages"][2] == {"role": "tool", "content": '{"temp_c": 21}', "tool_call_id": "call_0"}
    assert sent["tools"] == [WEATHER_TOOL] and sent["tool_choice"] == "auto"


async def test_streamed_tool_call_fragments_are_joined(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.stream([], finish_reason="tool_calls",
                                           tool_calls=[("call_1", "get_weather", '{"city": "Oslo"}')]))
    model = model_for(fake_server)
    chunks = [c async for c in model.stream(ChatRequest.of("weather?", tools=(WEATHER_TOOL,)))]
    await model.aclose()
    final = chunks[-1]
    assert final.finish_reason == "tool_calls"
    assert final.tool_calls == (ToolCall("call_1", "get_weather", '{"city": "Oslo"}'),)


async def test_json_mode(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.completion('{"capital": "Paris"}'))
    model = model_for(fake_server)
    result = await model.complete(ChatRequest.of("Capital of France as JSON", json_mode=True))
    await model.aclose()
    assert result.text == '{"capital": "Paris"}'
    assert fake_server.last.json["response_format"] == {"type": "json_object"}


async def test_local_server_needs_no_key_and_extra_options(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.completion("hi"))
    spec = make_spec("openai", f"{fake_server.url}/v1", model_id="Qwen/Qwen2.5-7B-Instruct", api_key=None,
                     extra_body={"top_k": 20}, headers={"HTTP-Referer": "https://shoal.example"})
    model = OpenAIChatModel(spec)
    await model.complete(ChatRequest.of("hello", max_tokens=5))
    await model.aclose()
    req = fake_server.last
    assert "authorization" not in req.headers
    assert req.headers["http-referer"] == "https://shoal.example"
    assert req.json["top_k"] == 20 and req.json["max_tokens"] == 5


def test_official_openai_gets_max_completion_tokens() -> None:
    spec = make_spec("openai", "https://api.openai.com/v1", model_id="gpt-5-mini")
    body = OpenAIWire(spec).chat_body(ChatRequest.of("hi", max_tokens=9), stream=False)
    assert body["max_completion_tokens"] == 9 and "max_tokens" not in body


async def test_client_is_reused_and_recreated_after_aclose(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.completion("one"), openai_wire.completion("two"),
                        openai_wire.completion("three"))
    model = model_for(fake_server)
    await model.complete(ChatRequest.of("1"))
    client = model.transport.client()
    await model.complete(ChatRequest.of("2"))
    assert model.transport.client() is client
    await model.aclose()
    assert client.is_closed
    assert (await model.complete(ChatRequest.of("3"))).text == "three"
    await model.aclose()


async def test_network_switch_blocks_a_real_provider() -> None:
    model = OpenAIChatModel(make_spec("openai", "https://api.openai.com/v1", model_id=MODEL))
    with pytest.raises(errors.NetworkBlockedError) as info:
        await model.complete(ChatRequest.of("hi"))
    assert "api.openai.com" in str(info.value)
    with pytest.raises(errors.NetworkBlockedError):
        async for _ in model.stream(ChatRequest.of("hi")):
            pass


async def test_embeddings_in_input_order(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.embeddings([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], prompt_tokens=6,
                                               shuffled=True))
    spec = replace(make_spec("openai", f"{fake_server.url}/v1", model_id="text-embedding-3-small",
                             kind="embedding", dimensions=2), pricing=Pricing(0.02, 0.0))
    model = OpenAIProvider().embedding_model(spec)
    assert isinstance(model, OpenAIEmbeddingModel)
    result = await model.embed(["a", "b", "c"])
    await model.aclose()
    assert result.vectors == [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
    assert result.usage.prompt_tokens == 6 and result.cost_usd == pytest.approx(6 * 0.02 / 1e6)
    assert fake_server.last.path == "/v1/embeddings"
    assert fake_server.last.json == {"model": "text-embedding-3-small", "input": ["a", "b", "c"],
                                     "encoding_format": "float", "dimensions": 2}


async def test_embeddings_count_mismatch_is_malformed(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.embeddings([[0.1]]))
    model = OpenAIEmbeddingModel(make_spec("openai", f"{fake_server.url}/v1", model_id="e", kind="embedding"))
    with pytest.raises(errors.MalformedResponseError) as info:
        await model.embed(["a", "b"])
    await model.aclose()
    assert "asked for 2 embeddings, got 1" in str(info.value)


async def test_embeddings_errors_are_mapped(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.error(400, "This model's maximum context length is 8192 tokens",
                                          code="context_length_exceeded"))
    model = OpenAIEmbeddingModel(make_spec("openai", f"{fake_server.url}/v1", model_id="e", kind="embedding"))
    with pytest.raises(errors.ContextLengthError):
        await model.embed(["a" * 10])
    await model.aclose()


async def test_stopping_a_stream_early_leaves_the_model_usable(fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.stream(["one ", "two ", "three"], chunk_delay_s=0.05),
                        openai_wire.completion("next"))
    model = model_for(fake_server)
    stream = model.stream(ChatRequest.of("count"))
    first = await stream.__anext__()
    await stream.aclose()  # type: ignore[attr-defined]
    assert first.delta == "one "
    assert (await model.complete(ChatRequest.of("again"))).text == "next"
    await model.aclose()
