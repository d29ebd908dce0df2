"""No request field reaches an external model unscanned.

A real gateway in front of a real local OpenAI-wire upstream (the external model) and a self-hosted
model that is down. For every field a client can put text in — on the OpenAI and the Anthropic
endpoint, streaming or not, and embeddings inputs — the same request is sent twice: once with a
harmless marker (which must arrive upstream: proof that the field is really forwarded, so the
test can fail) and once with a labelled SSN (which must not: the scan saw it, pinned the request to
the self-hosted model, and that model being down means an error — never the external model).
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from shoal.wiring import catalog as build_catalog
from tests.gateway.conftest import Live, live_gateway, make_settings, routed_pipeline
from tests.servers import FakeServer, Received, Reply, openai_wire

Build = Callable[[str], dict[str, Any]]
_ssns = (f"{a}-{b:02d}-{c:04d}" for a, b, c in zip(itertools.count(201), itertools.count(11),
                                                      itertools.count(3101), strict=False))
_benign = (f"order number {n} for blue paint" for n in itertools.count(7301))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _tool(description: str = "Look up an order", prop: str = "The order id") -> dict[str, Any]:
    return {"type": "function", "function": {"name": "lookup", "description": description, "parameters": {
        "type": "object", "properties": {"id": {"type": "string", "description": prop}}, "required": ["id"]}}}


def _call(arguments: str) -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": arguments}}


def _chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "auto", "messages": list(messages), **extra}


USER = {"role": "user", "content": "Please help."}

# field → (request body with ``s`` in that field, what of ``s`` shows on the wire to the upstream)
OPENAI_FIELDS: dict[str, tuple[Build, Callable[[str], str]]] = {
    "system": (lambda s: _chat({"role": "system", "content": s}, USER), str),
    "developer": (lambda s: _chat({"role": "developer", "content": s}, USER), str),
    "user": (lambda s: _chat({"role": "user", "content": s}), str),
    "user text part": (lambda s: _chat({"role": "user", "content": [{"type": "text", "text": "Hi."},
                                                                     {"type": "text", "text": s}]}), str),
    "message name": (lambda s: _chat({"role": "user", "content": "Hi.", "name": s}), str),
    "assistant": (lambda s: _chat(USER, {"role": "assistant", "content": s}, USER), str),
    "tool call arguments": (lambda s: _chat(USER, {"role": "assistant", "content": None,
                                                   "tool_calls": [_call(orjson.dumps({"note": s}).decode())]},
                                            {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
                                            tools=[_tool()]), str),
    "tool result": (lambda s: _chat(USER, {"role": "assistant", "content": None,
                                           "tool_calls": [_call('{"id": "7"}')]},
                                    {"role": "tool", "tool_call_id": "call_1", "content": s},
                                    tools=[_tool()]), str),
    "tool description": (lambda s: _chat(USER, tools=[_tool(description=s)]), str),
    "tool parameters": (lambda s: _chat(USER, tools=[_tool(prop=s)]), str),
    "image url": (lambda s: _chat({"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "https://img.example.com/x.png?note=" + quote(s)}}]}),
        quote),
    "image data url (text)": (lambda s: _chat({"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:text/plain;base64," + _b64(s)}}]}), _b64),
    "legacy functions": (lambda s: _chat(USER, functions=[{"name": "lookup", "description": s,
                                                           "parameters": {"type": "object"}}]), str),
    "legacy function_call": (lambda s: _chat(USER, {"role": "assistant", "content": None, "function_call": {
        "name": "lookup", "arguments": orjson.dumps({"note": s}).decode()}}, {"role": "function", "name": "lookup",
                                                                 "content": "ok"}), str),
    "legacy function result": (lambda s: _chat(USER, {"role": "assistant", "content": None, "function_call": {
        "name": "lookup", "arguments": "{}"}}, {"role": "function", "name": "lookup", "content": s}), str),
    "stop sequence": (lambda s: _chat(USER, stop=[s]), str),
}

ATOOL = {"name": "lookup", "description": "Look up an order", "input_schema": {"type": "object"}}


def _msgs(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "auto", "max_tokens": 50, "messages": list(messages), **extra}


AUSER = {"role": "user", "content": "Please help."}
USE = {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"id": "7"}}

ANTHROPIC_FIELDS: dict[str, tuple[Build, Callable[[str], str]]] = {
    "system": (lambda s: _msgs(AUSER, system=s), str),
    "system blocks": (lambda s: _msgs(AUSER, system=[{"type": "text", "text": "Be brief."},
                                                     {"type": "text", "text": s}]), str),
    "user": (lambda s: _msgs({"role": "user", "content": s}), str),
    "user text block": (lambda s: _msgs({"role": "user", "content": [{"type": "text", "text": s}]}), str),
    "assistant": (lambda s: _msgs(AUSER, {"role": "assistant", "content": s}, AUSER), str),
    "tool_use input": (lambda s: _msgs(AUSER, {"role": "assistant", "content": [
        {**USE, "input": {"note": s}}]}, {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]}, tools=[ATOOL]), str),
    "tool_result text": (lambda s: _msgs(AUSER, {"role": "assistant", "content": [USE]}, {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": s}]}, tools=[ATOOL]), str),
    "tool_result blocks": (lambda s: _msgs(AUSER, {"role": "assistant", "content": [USE]}, {
        "role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                     "content": [{"type": "text", "text": s}]}]}, tools=[ATOOL]), str),
    "tool description": (lambda s: _msgs(AUSER, tools=[{**ATOOL, "description": s}]), str),
    "tool input_schema": (lambda s: _msgs(AUSER, tools=[{**ATOOL, "input_schema": {
        "type": "object", "properties": {"id": {"type": "string", "description": s}}}}]), str),
    "image url": (lambda s: _msgs({"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://img.example.com/x.png?note=" + quote(s)}},
        {"type": "text", "text": "What is this?"}]}), quote),
    "image base64 (text)": (lambda s: _msgs({"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "text/plain", "data": _b64(s)}},
        {"type": "text", "text": "What is this?"}]}), _b64),
    "stop_sequences": (lambda s: _msgs(AUSER, stop_sequences=[s]), str),
}


RTOOL = {"type": "function", "name": "lookup", "description": "Look up an order",
         "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}


def _resp(*items: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "auto", "input": list(items), **extra}


RUSER = {"role": "user", "content": "Please help."}
RCALL = {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": '{"id": "7"}'}

RESPONSES_FIELDS: dict[str, tuple[Build, Callable[[str], str]]] = {
    "input string": (lambda s: {"model": "auto", "input": s}, str),
    "instructions": (lambda s: _resp(RUSER, instructions=s), str),
    "developer message": (lambda s: _resp({"role": "developer", "content": s}, RUSER), str),
    "input_text part": (lambda s: _resp({"role": "user", "content": [{"type": "input_text", "text": "Hi."},
                                                                     {"type": "input_text", "text": s}]}), str),
    "assistant output_text": (lambda s: _resp(RUSER, {"type": "message", "role": "assistant", "content": [
        {"type": "output_text", "text": s, "annotations": []}]}, RUSER), str),
    "function_call arguments": (lambda s: _resp(RUSER, {**RCALL, "arguments": orjson.dumps({"note": s}).decode()},
                                                {"type": "function_call_output", "call_id": "call_1", "output": "ok"},
                                                tools=[RTOOL]), str),
    "function_call_output": (lambda s: _resp(RUSER, RCALL, {"type": "function_call_output", "call_id": "call_1",
                                                            "output": s}, tools=[RTOOL]), str),
    "tool description": (lambda s: _resp(RUSER, tools=[{**RTOOL, "description": s}]), str),
    "tool parameters": (lambda s: _resp(RUSER, tools=[{**RTOOL, "parameters": {
        "type": "object", "properties": {"id": {"type": "string", "description": s}}}}]), str),
    "input_image url": (lambda s: _resp({"role": "user", "content": [
        {"type": "input_text", "text": "What is this?"},
        {"type": "input_image", "image_url": "https://img.example.com/x.png?note=" + quote(s)}]}), quote),
    "text.format schema": (lambda s: _resp(RUSER, text={"format": {
        "type": "json_schema", "name": "answer", "schema": {"type": "object", "properties": {
            "id": {"type": "string", "description": s}}}}}), str),
}


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeServer]:
    def answer(received: Received) -> Reply:
        if received.path.endswith("/embeddings"):
            return openai_wire.embeddings([[0.1, 0.2]] * len(received.json["input"]))
        if received.json.get("stream"):
            return openai_wire.stream(["fine", "."])
        return openai_wire.completion("fine.")

    with FakeServer(answer) as server:
        yield server


@pytest.fixture(scope="module")
def live(upstream: FakeServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp_path: Path = tmp_path_factory.mktemp("every-field")
    down = f"http://127.0.0.1:{_closed_port()}/v1"
    models = {
        "frontier": {"provider": "openai", "model": "gpt-4o-mini", "base_url": f"{upstream.url}/v1",
                     "locality": "external", "timeout": 5,
                     "capabilities": ["streaming", "tools", "vision", "json"]},
        "onprem": {"provider": "openai", "model": "llama", "base_url": down, "locality": "self_hosted",
                   "timeout": 2, "capabilities": ["streaming", "tools", "vision", "json"]},
        "embedder": {"provider": "openai", "kind": "embedding", "model": "text-embedding-3-small",
                     "base_url": f"{upstream.url}/v1", "locality": "external"},
    }
    settings = make_settings(tmp_path, models=models, default_model="frontier",
                             routing={"retries": {"max_attempts": 1, "backoff_s": 0},
                                      "privacy": {"models": ["onprem"]}})
    catalog = build_catalog(settings, check=False)
    with live_gateway(settings, catalog=catalog, pipeline=routed_pipeline(settings, catalog)) as gw:
        yield gw


def _send(live: Live, path: str, body: dict[str, Any], key: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}", "x-api-key": key, "anthropic-version": "2023-06-01"}
    return httpx.post(f"{live.url}{path}", json=body, headers=headers, timeout=30)


def _upstream_saw(upstream: FakeServer, needle: str, since: int) -> bool:
    return any(needle in r.body.decode("utf-8", "replace") for r in upstream.requests[since:])


def _check(live: Live, upstream: FakeServer, path: str, build: Build, wire: Callable[[str], str],
           stream: bool) -> None:
    key = live.create_key(team="t")
    benign = next(_benign)
    before = len(upstream.requests)
    ok = _send(live, path, {**build(benign), "stream": stream}, key)
    assert ok.status_code == 200, ok.text
    assert _upstream_saw(upstream, wire(benign), before), "the field is not forwarded: the test would prove nothing"
    secret = f"employee SSN: {next(_ssns)}"
    before = len(upstream.requests)
    refused = _send(live, path, {**build(secret), "stream": stream}, key)
    assert len(upstream.requests) == before, f"the external model received the request: {refused.text[:300]}"
    assert refused.status_code != 200, (refused.headers, refused.text[:500])
    assert not _upstream_saw(upstream, wire(secret), 0)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("field", list(OPENAI_FIELDS))
def test_openai_endpoint_scans_every_field(live: Live, upstream: FakeServer, field: str, stream: bool) -> None:
    build, wire = OPENAI_FIELDS[field]
    _check(live, upstream, "/v1/chat/completions", build, wire, stream)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("field", list(ANTHROPIC_FIELDS))
def test_anthropic_endpoint_scans_every_field(live: Live, upstream: FakeServer, field: str, stream: bool) -> None:
    build, wire = ANTHROPIC_FIELDS[field]
    _check(live, upstream, "/v1/messages", build, wire, stream)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("field", list(RESPONSES_FIELDS))
def test_responses_endpoint_scans_every_field(live: Live, upstream: FakeServer, field: str, stream: bool) -> None:
    build, wire = RESPONSES_FIELDS[field]
    _check(live, upstream, "/v1/responses", build, wire, stream)


def test_embeddings_inputs_are_scanned(live: Live, upstream: FakeServer) -> None:
    key = live.create_key(team="t")
    benign = next(_benign)
    before = len(upstream.requests)
    ok = _send(live, "/v1/embeddings", {"model": "embedder", "input": ["hello", benign]}, key)
    assert ok.status_code == 200, ok.text
    assert _upstream_saw(upstream, benign, before)
    secret = f"employee SSN: {next(_ssns)}"
    before = len(upstream.requests)
    refused = _send(live, "/v1/embeddings", {"model": "embedder", "input": ["hello", secret]}, key)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "policy_refused"
    assert len(upstream.requests) == before


@pytest.mark.parametrize("evasion", [
    "SSN: 2\u200b0\u200b1-4\u200b7-3\u200b1\u200b5\u200b9",  # zero-width spaces
    "SSN: \u202e201-47-3159\u202c",  # bidi override
    "SSN: \uff12\uff10\uff11-\uff14\uff17-\uff13\uff11\uff15\uff19",  # full-width digits
    "my SSN is two oh one four seven three one five nine",  # spelled out
    "My SSN is 123-45-6789",  # a known-invalid number: the intent still counts
])
def test_evasions_do_not_reach_the_external_model(live: Live, upstream: FakeServer, evasion: str) -> None:
    key = live.create_key(team="t")
    before = len(upstream.requests)
    response = _send(live, "/v1/chat/completions", _chat({"role": "user", "content": evasion}), key)
    assert len(upstream.requests) == before and response.status_code != 200
