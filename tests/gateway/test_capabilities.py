"""Conformance: requests that need tools, images, JSON or a long context, sent with ``auto``, are
served by a model that can, or refused with a 4xx naming what is missing — streaming and not,
on both endpoints, and never a 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.gateway.conftest import Live, live_gateway, make_settings

PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
       "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
TOOLS = [{"type": "function", "function": {"name": "lookup", "description": "find a thing",
                                           "parameters": {"type": "object", "properties": {}}}}]
BOTH = {
    # Redefined so the embedded model (free, 4,096 tokens) is not the cheapest fit here.
    "local": {"provider": "testing", "locality": "self_hosted", "capabilities": ["streaming"], "context_window": 300,
              "options": {"responses": ["local answer"]}},
    "small": {"provider": "testing", "locality": "external", "input_price": 0.1, "output_price": 0.1,
              "capabilities": ["streaming"], "context_window": 300, "options": {"responses": ["small answer"]}},
    "big": {"provider": "testing", "locality": "external", "input_price": 5.0, "output_price": 10.0,
            "capabilities": ["streaming", "tools", "vision", "json"], "context_window": 2000,
            "options": {"responses": ["big answer"]}},
}
LONG = "word " * 4000  # ~5,000 tokens by any tokenizer: more than either window

CASES: dict[str, dict[str, Any]] = {
    "tools": {"messages": [{"role": "user", "content": "look it up"}], "tools": TOOLS},
    "image": {"messages": [{"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                                        {"type": "image_url", "image_url": {"url": PNG}}]}]},
    "json": {"messages": [{"role": "user", "content": "answer in JSON"}], "response_format": {"type": "json_object"}},
    "context": {"messages": [{"role": "user", "content": "summarise: " + "word " * 300}]},
}
MISSING = {"tools": "tools", "image": "vision", "json": "json"}


def _post(live: Live, key: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{live.url}/v1/chat/completions", json=body, timeout=30,
                      headers={"authorization": f"Bearer {key}"})


def _answer(r: httpx.Response, stream: bool) -> str:
    if not stream:
        return str(r.json()["choices"][0]["message"]["content"])
    events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e.get("choices"))


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with live_gateway(make_settings(tmp_path_factory.mktemp("caps"), models=BOTH, default_model="small")) as gw:
        yield gw


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_auto_routes_to_a_model_that_can_serve_it(both: Live, case: str, stream: bool) -> None:
    key = both.create_key(team="t")
    r = _post(both, key, {"model": "auto", "stream": stream, **CASES[case]})
    assert r.status_code == 200, r.text
    assert r.headers["x-shoal-model"] == "big"
    assert "capability:small→big" in unquote(r.headers["x-shoal-route-reasons"])
    assert _answer(r, stream) == "big answer"


def test_a_plain_request_stays_on_the_cheap_model(both: Live) -> None:
    r = _post(both, both.create_key(team="t"), {"model": "auto", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200 and r.headers["x-shoal-model"] == "small"


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("endpoint", ["chat", "messages"])
def test_a_prompt_longer_than_every_window_is_a_400_naming_the_limits(both: Live, stream: bool,
                                                                      endpoint: str) -> None:
    key = both.create_key(team="t")
    if endpoint == "chat":
        r = _post(both, key, {"model": "auto", "stream": stream, "messages": [{"role": "user", "content": LONG}]})
    else:
        r = httpx.post(f"{both.url}/v1/messages", timeout=30, headers={"x-api-key": key}, json={
            "model": "auto", "stream": stream, "max_tokens": 50, "messages": [{"role": "user", "content": LONG}]})
    assert r.status_code == 400, r.text
    message = json.dumps(r.json())
    assert "small: context window 300 tokens" in message and "big: context window 2000 tokens" in message
    assert "Traceback" not in message


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("case", ["tools", "image", "json"])
def test_no_capable_model_is_a_400_naming_the_capability(tmp_path: Path, case: str, stream: bool) -> None:
    settings = make_settings(tmp_path, models={"small": BOTH["small"], "local": BOTH["local"]}, default_model="small")
    with live_gateway(settings) as live:
        r = _post(live, live.create_key(team="t"), {"model": "auto", "stream": stream, **CASES[case]})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "unsupported_request"
    assert f"no {MISSING[case]} support" in error["message"] and "small" in error["message"]


def test_pinning_a_model_that_cannot_serve_it_says_which_can(both: Live) -> None:
    r = _post(both, both.create_key(team="t"), {"model": "small", **CASES["tools"]})
    assert r.status_code == 400
    assert "no tools support" in r.text and "models that can: big" in r.text
