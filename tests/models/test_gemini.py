"""Gemini adapter against a local server speaking generateContent / streamGenerateContent?alt=sse."""

from __future__ import annotations

import pytest

from shoal import errors
from shoal.models.gemini import GeminiChatModel, GeminiEmbeddingModel, GeminiProvider
from shoal.models.types import ChatRequest, ImagePart, Message, TextPart, ToolCall
from tests.models.conftest import SECRET, assert_names_call, make_spec
from tests.servers import FakeServer, Reply, closed_port, gemini_wire

MODEL = "gemini-2.5-flash"
GENERATE = f"/v1beta/models/{MODEL}:generateContent"
STREAM = f"/v1beta/models/{MODEL}:streamGenerateContent"
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def model_for(server: FakeServer, **kw: object) -> GeminiChatModel:
    return GeminiChatModel(make_spec("gemini", f"{server.url}/v1beta", model_id=MODEL, **kw))  # type: ignore[arg-type]


async def test_complete_success_sends_the_wire_format(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.response("Paris.", prompt_tokens=14, candidates_tokens=2))
    model = model_for(fake_server)
    result = await model.complete(ChatRequest(messages=(
        Message.system("Be brief."), Message.user("Capital of France?"), Message.assistant("Paris."),
        Message.user("And of Italy?")), temperature=0.3, top_p=0.8, max_tokens=64, stop=("END",), seed=3))
    await model.aclose()
    assert result.text == "Paris." and result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (14, 2)
    assert result.model == MODEL
    req = fake_server.last
    assert (req.method, req.path) == ("POST", GENERATE) and req.query == {}
    assert req.headers["x-goog-api-key"] == SECRET
    assert req.json == {
        "contents": [{"role": "user", "parts": [{"text": "Capital of France?"}]},
                     {"role": "model", "parts": [{"text": "Paris."}]},
                     {"role": "user", "parts": [{"text": "And of Italy?"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {"temperature": 0.3, "topP": 0.8, "maxOutputTokens": 64, "stopSequences": ["END"],
                             "seed": 3}}


async def test_stream_joins_deltas_and_ends_with_usage(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.stream(["The capital", " is", " Paris."], prompt_tokens=10,
                                           candidates_tokens=5, finish_reason="MAX_TOKENS"))
    model = model_for(fake_server)
    chunks = [c async for c in model.stream(ChatRequest.of("Capital of France?"))]
    await model.aclose()
    assert "".join(c.delta for c in chunks) == "The capital is Paris."
    final = chunks[-1]
    assert final.finish_reason == "length"
    assert final.usage is not None and (final.usage.prompt_tokens, final.usage.completion_tokens) == (10, 5)
    assert fake_server.last.path == STREAM and fake_server.last.query == {"alt": ["sse"]}


async def test_stream_without_finish_reason_is_unavailable(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.stream(["Half", " an"], finish=False))
    model = model_for(fake_server)
    got: list[str] = []
    with pytest.raises(errors.UnavailableError) as info:
        async for chunk in model.stream(ChatRequest.of("hi")):
            got.append(chunk.delta)
    await model.aclose()
    assert "".join(got) == "Half an"
    assert "finishReason" in str(info.value)
    assert_names_call(info.value, provider="gemini", model=MODEL, url_part=STREAM)


async def test_stream_connection_dropped(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.stream(["Half", " an"], finish=False, cut=True))
    model = model_for(fake_server)
    with pytest.raises(errors.UnavailableError):
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()


ERROR_CASES = [
    (gemini_wire.error(400, "Invalid JSON payload received. Unknown name \"foo\".", "INVALID_ARGUMENT"),
     errors.BadRequestError, "Invalid JSON payload"),
    (gemini_wire.error(400, "The input token count (1200000) exceeds the maximum number of tokens allowed "
                            "(1048576).", "INVALID_ARGUMENT"), errors.ContextLengthError, "input token count"),
    (gemini_wire.key_invalid(), errors.AuthenticationError, "API key not valid"),
    (gemini_wire.error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"),
     errors.AuthenticationError, "invalid authentication credentials"),
    (gemini_wire.error(403, "Method doesn't allow unregistered callers.", "PERMISSION_DENIED"),
     errors.PermissionDeniedError, "unregistered callers"),
    (gemini_wire.error(404, "models/gemini-9 is not found for API version v1beta, or is not supported for "
                            "generateContent.", "NOT_FOUND"), errors.ModelNotFoundError, "is not found"),
    (gemini_wire.error(500, "An internal error has occurred.", "INTERNAL"), errors.UnavailableError,
     "internal error"),
    (gemini_wire.error(503, "The model is overloaded. Please try again later.", "UNAVAILABLE"),
     errors.UnavailableError, "overloaded"),
    (gemini_wire.error(504, "Deadline expired before operation could complete.", "DEADLINE_EXCEEDED"),
     errors.ProviderTimeoutError, "Deadline expired"),
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
    assert_names_call(info.value, provider="gemini", model=MODEL, url_part=GENERATE)
    with pytest.raises(exc_type):
        async for _ in model.stream(ChatRequest.of("hi")):
            pass
    await model.aclose()


async def test_429_retry_delay_from_retry_info(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.error(429, "You exceeded your current quota, please check your plan and "
                                               "billing details.", "RESOURCE_EXHAUSTED",
                                          details=[gemini_wire.retry_info("22s")]))
    model = model_for(fake_server)
    with pytest.raises(errors.RateLimitError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert info.value.retry_after == 22.0 and "exceeded your current quota" in str(info.value)
    assert_names_call(info.value, provider="gemini", model=MODEL, url_part=GENERATE)


async def test_429_retry_after_header_wins(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.error(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED",
                                          details=[gemini_wire.retry_info("22s")], headers={"retry-after": "3"}))
    model = model_for(fake_server)
    with pytest.raises(errors.RateLimitError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert info.value.retry_after == 3.0


async def test_error_body_wrapped_in_a_list(fake_server: FakeServer) -> None:
    # streamGenerateContent without alt=sse answers errors as a JSON array; accept both shapes
    fake_server.enqueue(Reply(404, [{"error": {"code": 404, "message": "models/x is not found",
                                               "status": "NOT_FOUND"}}]))
    model = model_for(fake_server)
    with pytest.raises(errors.ModelNotFoundError, match="models/x is not found"):
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()


async def test_timeout(fake_server: FakeServer) -> None:
    fake_server.enqueue(Reply(200, {}, delay_s=1.5))
    model = model_for(fake_server, timeout_s=0.3)
    with pytest.raises(errors.ProviderTimeoutError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert_names_call(info.value, provider="gemini", model=MODEL, url_part=GENERATE)


async def test_connection_refused() -> None:
    model = GeminiChatModel(make_spec("gemini", f"http://127.0.0.1:{closed_port()}/v1beta", model_id=MODEL))
    with pytest.raises(errors.ProviderConnectionError):
        await model.complete(ChatRequest.of("hi"))


@pytest.mark.parametrize("reply", [
    Reply(200, "<!DOCTYPE html><title>Error 502</title>", content_type="text/html"),
    Reply(200, {"candidates": []}),
    Reply(200, {"candidates": [{"content": {"parts": [{"functionCall": {"args": {}}}]}}]}),
])
async def test_malformed_body(fake_server: FakeServer, reply: Reply) -> None:
    fake_server.enqueue(reply)
    model = model_for(fake_server)
    with pytest.raises(errors.MalformedResponseError) as info:
        await model.complete(ChatRequest.of("hi"))
    await model.aclose()
    assert_names_call(info.value, provider="gemini", model=MODEL, url_part=GENERATE)


async def test_prompt_blocked(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.blocked("SAFETY"), gemini_wire.blocked_stream("PROHIBITED_CONTENT"))
    model = model_for(fake_server)
    with pytest.raises(errors.ContentBlockedError) as info:
        await model.complete(ChatRequest.of("something harmful"))
    assert "blockReason: SAFETY" in str(info.value)
    assert_names_call(info.value, provider="gemini", model=MODEL, url_part=GENERATE)
    with pytest.raises(errors.ContentBlockedError, match="PROHIBITED_CONTENT"):
        async for _ in model.stream(ChatRequest.of("something harmful")):
            pass
    await model.aclose()


async def test_answer_stopped_for_safety(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.response(None, finish_reason="SAFETY"),
                        gemini_wire.response("Partial answer", finish_reason="SAFETY"))
    model = model_for(fake_server)
    with pytest.raises(errors.ContentBlockedError, match="finishReason: SAFETY"):
        await model.complete(ChatRequest.of("hi"))
    partial = await model.complete(ChatRequest.of("hi"))  # some text came back: keep it, flag it
    await model.aclose()
    assert partial.text == "Partial answer" and partial.finish_reason == "content_filter"


async def test_images_tools_and_tool_results(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.response(None, function_calls=[("get_weather", {"city": "Paris"})]))
    model = model_for(fake_server)
    request = ChatRequest(messages=(
        Message.user((TextPart("Where is this?"), ImagePart("data:image/jpeg;base64,/9j/4AAQ"),
                      ImagePart("https://example.com/eiffel.png"))),
        Message("assistant", "", tool_calls=(ToolCall("call_0", "get_weather", '{"city": "Rome"}'),)),
        Message("tool", '{"temp_c": 21}', tool_call_id="call_0"),
        Message("tool", "sunny", tool_call_id="call_0"),
    ), tools=(WEATHER_TOOL,), tool_choice={"type": "function", "function": {"name": "get_weather"}})
    result = await model.complete(request)
    await model.aclose()
    assert result.finish_reason == "tool_calls" and result.text == ""
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("get_weather", '{"city": "Paris"}')]
    assert result.tool_calls[0].id
    sent = fake_server.last.json
    assert sent["contents"] == [
        {"role": "user", "parts": [{"text": "Where is this?"},
                                   {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}},
                                   {"fileData": {"mimeType": "image/png",
                                                 "fileUri": "https://example.com/eiffel.png"}}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}]},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}},
            {"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}}]},
    ]
    assert sent["tools"] == [{"functionDeclarations": [{
        "name": "get_weather", "description": "Weather for a city",
        "parameters": WEATHER_TOOL["function"]["parameters"]}]}]  # type: ignore[index]
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "ANY",
                                                            "allowedFunctionNames": ["get_weather"]}}


async def test_streamed_function_call(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.stream(["Checking"], function_calls=[("get_weather", {"city": "Oslo"})]))
    model = model_for(fake_server)
    chunks = [c async for c in model.stream(ChatRequest.of("weather?", tools=(WEATHER_TOOL,)))]
    await model.aclose()
    final = chunks[-1]
    assert final.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in final.tool_calls] == [("get_weather", '{"city": "Oslo"}')]


async def test_json_mode(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.response('{"capital": "Paris"}'))
    model = model_for(fake_server)
    result = await model.complete(ChatRequest.of("Capital of France?", json_mode=True))
    await model.aclose()
    assert result.text == '{"capital": "Paris"}'
    assert fake_server.last.json["generationConfig"] == {"responseMimeType": "application/json"}


async def test_embeddings(fake_server: FakeServer) -> None:
    fake_server.enqueue(gemini_wire.embeddings([[0.1, 0.2], [0.3, 0.4]]))
    spec = make_spec("gemini", f"{fake_server.url}/v1beta", model_id="text-embedding-004", kind="embedding",
                     task_type="RETRIEVAL_DOCUMENT")
    model = GeminiProvider().embedding_model(spec)
    assert isinstance(model, GeminiEmbeddingModel)
    result = await model.embed(["a", "b"])
    await model.aclose()
    assert result.vectors == [[0.1, 0.2], [0.3, 0.4]]
    req = fake_server.last
    assert req.path == "/v1beta/models/text-embedding-004:batchEmbedContents"
    assert req.json == {"requests": [
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": t}]},
         "taskType": "RETRIEVAL_DOCUMENT"} for t in ("a", "b")]}


async def test_network_switch_blocks_the_real_api() -> None:
    spec = make_spec("gemini", GeminiProvider.default_base_url or "", model_id=MODEL)
    with pytest.raises(errors.NetworkBlockedError, match="generativelanguage.googleapis.com"):
        await GeminiChatModel(spec).complete(ChatRequest.of("hi"))
