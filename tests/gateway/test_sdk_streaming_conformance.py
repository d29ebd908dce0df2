"""The streaming side of the SDK helpers that parse what the gateway returns: the openai SDK's
``beta.chat.completions.stream`` with a pydantic ``response_format``, and LangChain's ``bind_tools``
streamed (tool-call chunks assembled by LangChain), against a real local OpenAI-wire upstream."""

from __future__ import annotations

import json

import openai
import pydantic
import pytest

from tests.gateway.conftest import Live
from tests.servers import FakeServer, openai_wire


class City(pydantic.BaseModel):
    name: str
    country: str
    population: int


def test_openai_sdk_parse_stream(upstream_live: Live, fake_server: FakeServer) -> None:
    answer = json.dumps({"name": "Lyon", "country": "France", "population": 522250})
    fake_server.enqueue(openai_wire.stream([answer[:20], answer[20:]]))
    client = openai.OpenAI(base_url=f"{upstream_live.url}/v1", api_key=upstream_live.create_key(team="t"),
                           max_retries=0)
    with client.beta.chat.completions.stream(
            model="up", messages=[{"role": "user", "content": "Describe the second city of France."}],
            response_format=City) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_completion()
    assert "content.delta" in kinds and "content.done" in kinds
    assert final.choices[0].message.parsed == City(name="Lyon", country="France", population=522250)
    sent = fake_server.last.json
    assert sent["stream"] is True and sent["response_format"]["json_schema"]["name"] == "City"


def test_langchain_bind_tools_streamed(upstream_live: Live, fake_server: FakeServer) -> None:
    lc = pytest.importorskip("langchain_openai")
    fake_server.enqueue(openai_wire.stream([], tool_calls=[("call_1", "get_weather", '{"city": "Lyon"}')],
                                           finish_reason="tool_calls"))
    llm = lc.ChatOpenAI(model="auto", base_url=f"{upstream_live.url}/v1", api_key=upstream_live.create_key(team="t"),
                        max_retries=0)

    def get_weather(city: str) -> str:
        """Weather for a city."""
        return "sunny"

    chunks = list(llm.bind_tools([get_weather]).stream("What is the weather in the second city of France?"))
    message = chunks[0]
    for chunk in chunks[1:]:
        message = message + chunk
    assert message.tool_calls == [{"name": "get_weather", "args": {"city": "Lyon"}, "id": "call_1",
                                   "type": "tool_call"}]
    assert fake_server.last.json["stream"] is True
