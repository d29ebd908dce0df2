"""``POST /v1/responses`` (the OpenAI Responses API) through the official ``openai`` SDK, against the
real gateway: scripted models, and a real local OpenAI-wire upstream where tool calls must reach a
provider and come back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pydantic
import pytest

from tests.gateway.conftest import Live, live_gateway, make_settings
from tests.servers import FakeServer, Reply, openai_wire

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def _client(live: Live, team: str = "t") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=live.create_key(team=team), max_retries=0)


def test_text_input_with_instructions(live: Live) -> None:
    client = _client(live, "search")
    raw = client.responses.with_raw_response.create(model="cheap", input="What is the capital of France?",
                                                    instructions="Answer in one sentence.")
    response = raw.parse()
    assert response.object == "response" and response.status == "completed"
    assert response.output_text == "The capital of France is Paris."
    assert response.output[0].type == "message" and response.output[0].role == "assistant"
    assert response.instructions == "Answer in one sentence."
    assert response.usage is not None and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert raw.headers["x-shoal-model"] == "cheap"
    sent = live.catalog.chat_model("cheap").requests[-1]  # type: ignore[attr-defined]
    assert [(m.role, m.text) for m in sent.messages] == [("system", "Answer in one sentence."),
                                                        ("user", "What is the capital of France?")]
    live.store.flush()
    record = next(r for r in live.store.query_requests() if r.endpoint == "responses")
    assert response.id == f"resp_{record.request_id}" == f"resp_{raw.headers['x-shoal-request-id']}"
    assert record.served_model == "cheap" and record.cost_usd > 0 and record.team == "search"
    assert record.completion_tokens == response.usage.output_tokens


def test_message_list_input_keeps_roles_and_parts(live: Live) -> None:
    client = _client(live)
    response = client.responses.create(model="cheap", input=[
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "input_text", "text": "Capital"}, {"type": "input_text", "text": " of France?"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Paris.", "annotations": []}]},
        {"role": "user", "content": "And of Italy?"}])
    assert response.output_text == "The capital of France is Paris."
    sent = live.catalog.chat_model("cheap").requests[-1]  # type: ignore[attr-defined]
    assert [(m.role, m.text) for m in sent.messages] == [
        ("system", "Be brief."), ("user", "Capital of France?"), ("assistant", "Paris."), ("user", "And of Italy?")]


EXPECTED_EVENTS = ["response.created", "response.in_progress", "response.output_item.added",
                   "response.content_part.added", *["response.output_text.delta"] * 6, "response.output_text.done",
                   "response.content_part.done", "response.output_item.done", "response.completed"]


def test_streaming_event_sequence_with_the_stream_helper(live: Live) -> None:
    client = _client(live)
    with client.responses.stream(model="cheap", input=[{"role": "user", "content": "Capital of France?"}],
                                 instructions="Be brief.") as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert [e.type for e in events] == EXPECTED_EVENTS
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == \
        "The capital of France is Paris."
    assert final.output_text == "The capital of France is Paris." and final.status == "completed"
    assert final.usage is not None and final.usage.output_tokens > 0
    assert final.id == events[0].response.id  # type: ignore[union-attr]
    live.store.flush()
    record = next(r for r in live.store.query_requests() if r.endpoint == "responses")
    assert record.stream and final.id == f"resp_{record.request_id}" and record.cost_usd > 0


def test_stream_true_yields_the_raw_events(live: Live) -> None:
    client = _client(live)
    events = list(client.responses.create(model="cheap", input="Capital of France?", stream=True))
    assert [e.type for e in events] == EXPECTED_EVENTS
    done = events[-1]
    assert done.type == "response.completed" and done.response.output_text == "The capital of France is Paris."


def test_max_output_tokens_cut_is_incomplete(tmp_path: Path) -> None:
    # The scripted model says it stopped on the length limit: the response is 'incomplete'.
    models = {"m": {"provider": "testing", "locality": "external", "options": {"responses": ["cut short"]}}}
    with live_gateway(make_settings(tmp_path, models=models, default_model="m")) as live:
        model = live.catalog.chat_model("m")
        from shoal.models.types import Completion, Usage

        model.responses = [Completion("cut short", "m", finish_reason="length", usage=Usage(3, 2))]  # type: ignore[attr-defined]
        client = _client(live)
        response = client.responses.create(model="m", input="Write a long essay.", max_output_tokens=2)
        assert response.status == "incomplete" and response.incomplete_details is not None
        assert response.incomplete_details.reason == "max_output_tokens" and response.max_output_tokens == 2
        events = list(client.responses.create(model="m", input="Write a long essay.", max_output_tokens=2,
                                              stream=True))
        assert events[-1].type == "response.incomplete"
    assert [r.max_tokens for r in model.requests] == [2, 2]  # type: ignore[attr-defined]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_function_tools_round_trip(upstream_live: Live, fake_server: FakeServer, stream: bool) -> None:
    call = [("call_7", "get_weather", '{"city": "Lyon"}')]
    if stream:
        fake_server.enqueue(openai_wire.stream([], tool_calls=call, finish_reason="tool_calls"),
                            openai_wire.stream(["It is ", "sunny in Lyon."]))
    else:
        fake_server.enqueue(openai_wire.completion(None, tool_calls=call, finish_reason="tool_calls"),
                            openai_wire.completion("It is sunny in Lyon."))
    client = _client(upstream_live)
    question: list[Any] = [{"role": "user", "content": "Weather in the second city of France?"}]

    def ask(items: list[Any]) -> Any:
        if not stream:
            return client.responses.create(model="auto", input=items, tools=[WEATHER], tool_choice="auto")
        with client.responses.stream(model="auto", input=items, tools=[WEATHER], tool_choice="auto") as s:
            for _ in s:
                pass
            return s.get_final_response()

    first = ask(question)
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].call_id == "call_7"
    assert json.loads(calls[0].arguments) == {"city": "Lyon"} and calls[0].status == "completed"
    sent = fake_server.requests[0].json
    assert sent["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city", "parameters": WEATHER["parameters"]}}]
    assert sent["tool_choice"] == "auto"
    # The SDK's own output items go back in as input, followed by the function's result.
    second = ask([*question, *[item.model_dump(exclude_none=True) for item in first.output],
                  {"type": "function_call_output", "call_id": "call_7", "output": "sunny, 24 C"}])
    assert second.output_text == "It is sunny in Lyon."
    messages = fake_server.requests[1].json["messages"]
    assert messages[1]["role"] == "assistant" and messages[1]["tool_calls"] == [
        {"id": "call_7", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Lyon"}'}}]
    assert messages[2] == {"role": "tool", "tool_call_id": "call_7", "content": "sunny, 24 C"}


class City(pydantic.BaseModel):
    name: str
    country: str
    population: int


def test_responses_parse_passes_the_json_schema(upstream_live: Live, fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.completion(json.dumps({"name": "Lyon", "country": "France", "population": 522250})))
    client = _client(upstream_live)
    response = client.responses.parse(model="up", input="Describe the second city of France.", text_format=City)
    assert response.output_parsed == City(name="Lyon", country="France", population=522250)
    fmt = fake_server.last.json["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "City"
    assert set(fmt["json_schema"]["schema"]["properties"]) == {"name", "country", "population"}


@pytest.mark.parametrize(("extra", "param"), [
    ({"previous_response_id": "resp_123"}, "previous_response_id"),
    ({"background": True}, "background"),
    ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
    ({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "file-1"}]}]}, "input[0].content[0].type"),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type"),
    ({"reasoning": {"effort": "high"}}, "reasoning"),
    ({"truncation": "auto"}, "truncation"),
    ({"include": ["file_search_call.results"]}, "include"),
])
def test_what_the_gateway_cannot_do_is_a_400_naming_it(live: Live, extra: dict[str, Any], param: str) -> None:
    client = _client(live)
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(**{"model": "cheap", "input": "hi", **extra})
    body = info.value.body
    assert isinstance(body, dict) and body.get("param") == param, body
    assert param.split("[")[0].split(".")[0] in info.value.message


def test_upstream_errors_keep_their_status_streaming_and_not(tmp_path: Path) -> None:
    models = {"long": {"provider": "testing", "locality": "external", "options": {"fail_with": "context_length"}}}
    with live_gateway(make_settings(tmp_path, models=models, default_model="long")) as live:
        client = _client(live)
        with pytest.raises(openai.BadRequestError) as plain:
            client.responses.create(model="long", input="hi")
        with pytest.raises(openai.BadRequestError) as streamed:
            list(client.responses.create(model="long", input="hi", stream=True))
    for exc in (plain.value, streamed.value):
        assert isinstance(exc.body, dict) and exc.body.get("code") == "context_length_exceeded"


def test_bad_json_shapes_are_400s_not_500s(live: Live) -> None:
    key = live.create_key(team="t")
    for body in ({"model": "cheap"}, {"model": "cheap", "input": []}, {"model": "cheap", "input": 5},
                 {"model": "cheap", "input": [{"role": "boss", "content": "x"}]},
                 {"model": "cheap", "input": [{"type": "function_call", "name": "f"}]},
                 {"model": "cheap", "input": "x", "text": {"format": {"type": "json_schema"}}},
                 {"model": "cheap", "input": "x", "tool_choice": {"type": "file_search"}},
                 {"model": "cheap", "input": "x", "metadata": {"k": 5}}):
        r = httpx.post(f"{live.url}/v1/responses", json=body, headers={"authorization": f"Bearer {key}"})
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"]["code"] == "invalid_request"


def _lp(token: str) -> dict[str, Any]:
    return {"token": token, "logprob": -0.125, "bytes": list(token.encode()),
            "top_logprobs": [{"token": token, "logprob": -0.125, "bytes": list(token.encode())}]}


def test_logprobs_on_request_streaming_and_not(upstream_live: Live, fake_server: FakeServer) -> None:
    reply = openai_wire.completion("Lyon")
    reply.body["choices"][0]["logprobs"] = {"content": [_lp("Ly"), _lp("on")], "refusal": None}
    fake_server.enqueue(reply)
    client = _client(upstream_live)
    response = client.responses.create(model="up", input="Second city of France?", top_logprobs=1,
                                       include=["message.output_text.logprobs"])
    part = response.output[0].content[0]  # type: ignore[union-attr]
    assert part.type == "output_text" and [t.token for t in part.logprobs or []] == ["Ly", "on"]
    assert (fake_server.last.json["logprobs"], fake_server.last.json["top_logprobs"]) == (True, 1)
    chunks = openai_wire.stream_events(["Ly", "on"])
    chunks[1:3] = [c.replace('"logprobs": null', f'"logprobs": {{"content": [{json.dumps(_lp(t))}]}}')
                   for c, t in zip(chunks[1:3], ("Ly", "on"), strict=True)]
    fake_server.enqueue(Reply(200, chunks=chunks))
    with client.responses.stream(model="up", input="Second city of France?",
                                 include=["message.output_text.logprobs"]) as stream:
        deltas = [e for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert [t.token for e in deltas for t in e.logprobs] == ["Ly", "on"]
    done = final.output[0].content[0]  # type: ignore[union-attr]
    assert done.type == "output_text" and [t.token for t in done.logprobs or []] == ["Ly", "on"]


def test_logprobs_from_a_model_without_them_is_a_400(live: Live) -> None:
    with pytest.raises(openai.BadRequestError, match="logprobs"):
        _client(live).responses.create(model="cheap", input="hi", include=["message.output_text.logprobs"])


def test_a_stream_cut_after_output_ends_in_an_error_event(upstream_live: Live, fake_server: FakeServer) -> None:
    fake_server.enqueue(openai_wire.stream(["Hello", " wor"], cut=True, done=False))
    seen: list[str] = []
    with pytest.raises(openai.APIError) as info:
        for event in _client(upstream_live).responses.create(model="up", input="Say hello.", stream=True):
            seen.append(event.type)
    assert seen[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert "response.completed" not in seen and info.value.body is not None
    upstream_live.store.flush()
    record = next(r for r in upstream_live.store.query_requests() if r.endpoint == "responses")
    assert record.status >= 500 and record.response_text == "Hello wor"


def test_budgets_hold_on_the_responses_endpoint(tmp_path: Path) -> None:
    # "cheap" costs 1 $/Mtok in and 2 $/Mtok out: each answer here costs ~0.00002 $.
    settings = make_settings(tmp_path, gateway={"teams": {"search": {"usd_per_day": 0.00003}}})
    with live_gateway(settings) as live:
        client = _client(live, "search")
        client.responses.create(model="cheap", input="Capital of France?")
        client.responses.create(model="cheap", input="Capital of France?")
        with pytest.raises(openai.RateLimitError) as info:
            client.responses.create(model="cheap", input="Capital of France?")
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "budget_exceeded_day"
