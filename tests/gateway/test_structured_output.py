"""``response_format: json_schema`` reaches the upstream as a schema (not downgraded to
``json_object``), so the openai SDK's ``beta.chat.completions.parse`` works through the gateway."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pydantic
import pytest

from tests.gateway.conftest import live_gateway, make_settings
from tests.servers import FakeServer, openai_wire


class City(pydantic.BaseModel):
    name: str
    country: str
    population: int


def test_openai_sdk_parse_passes_the_schema_upstream(fake_server: FakeServer, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPSTREAM_KEY", "sk-test-upstream")
    answer = json.dumps({"name": "Paris", "country": "France", "population": 2102650})
    fake_server.enqueue(openai_wire.completion(answer, prompt_tokens=30, completion_tokens=20))
    models = {"up": {"provider": "openai", "base_url": f"{fake_server.url}/v1", "model": "gpt-4o-mini",
                     "api_key": "env:UPSTREAM_KEY", "capabilities": ["streaming", "json", "tools"]}}
    with live_gateway(make_settings(tmp_path, models=models, default_model="up")) as live:
        client = openai.OpenAI(base_url=f"{live.url}/v1", api_key=live.create_key(team="t"), max_retries=0)
        completion = client.beta.chat.completions.parse(
            model="up", messages=[{"role": "user", "content": "Describe the largest city in France."}], response_format=City)
    parsed = completion.choices[0].message.parsed
    assert parsed == City(name="Paris", country="France", population=2102650)
    sent = fake_server.last.json
    assert sent["response_format"]["type"] == "json_schema"
    schema = sent["response_format"]["json_schema"]
    assert schema["name"] == "City" and schema["strict"] is True
    assert set(schema["schema"]["properties"]) == {"name", "country", "population"}


def test_a_schema_that_is_not_an_object_is_a_400(tmp_path: Path) -> None:
    import httpx

    with live_gateway(make_settings(tmp_path)) as live:
        r = httpx.post(f"{live.url}/v1/chat/completions", headers={"authorization": f"Bearer {live.create_key()}"},
                       json={"model": "cheap", "messages": [{"role": "user", "content": "hi"}],
                             "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": 5}}})
    assert r.status_code == 400 and "response_format.json_schema.schema" in r.text


def test_langchain_bind_tools_and_with_structured_output(fake_server: FakeServer, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    lc = pytest.importorskip("langchain_openai")
    monkeypatch.setenv("UPSTREAM_KEY", "sk-test-upstream")
    fake_server.enqueue(openai_wire.completion(None, tool_calls=[("call_1", "get_weather", '{"city": "Lyon"}')],
                                               finish_reason="tool_calls"))
    fake_server.enqueue(openai_wire.completion(json.dumps({"name": "Lyon", "country": "France", "population": 522250})))
    models = {"up": {"provider": "openai", "base_url": f"{fake_server.url}/v1", "model": "gpt-4o-mini",
                     "api_key": "env:UPSTREAM_KEY", "capabilities": ["streaming", "json", "tools"]}}
    with live_gateway(make_settings(tmp_path, models=models, default_model="up")) as live:
        llm = lc.ChatOpenAI(model="auto", base_url=f"{live.url}/v1", api_key=live.create_key(team="t"),
                            max_retries=0)

        def get_weather(city: str) -> str:
            """Weather for a city."""
            return "sunny"

        message = llm.bind_tools([get_weather]).invoke("What is the weather in the second city of France?")
        assert message.tool_calls[0]["name"] == "get_weather" and message.tool_calls[0]["args"] == {"city": "Lyon"}
        assert fake_server.requests[0].json["tools"][0]["function"]["name"] == "get_weather"
        city = llm.with_structured_output(City).invoke("Describe the second city of France.")
    assert city == City(name="Lyon", country="France", population=522250)
    assert fake_server.requests[1].json["response_format"]["type"] == "json_schema"
