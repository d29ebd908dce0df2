"""LlamaIndex's ``OpenAILike`` with its default settings (``is_chat_model=False``: the legacy
``/v1/completions`` endpoint) against the real gateway."""

from __future__ import annotations

import asyncio

import pytest

from tests.gateway.conftest import Live

ANSWER = "The capital of France is Paris."


def test_openai_like_with_default_settings(live: Live) -> None:
    openai_like = pytest.importorskip("llama_index.llms.openai_like")
    from llama_index.core.llms import ChatMessage

    llm = openai_like.OpenAILike(model="cheap", api_base=f"{live.url}/v1", api_key=live.create_key(team="li"),
                                 max_retries=0)
    assert llm.complete("What is the capital of France?").text == ANSWER
    assert "".join(r.delta or "" for r in llm.stream_complete("What is the capital of France?")) == ANSWER
    reply = llm.chat([ChatMessage(role="system", content="Be brief."),
                      ChatMessage(role="user", content="What is the capital of France?")])
    assert reply.message.content == ANSWER
    assert asyncio.run(llm.acomplete("What is the capital of France?")).text == ANSWER
    live.store.flush()
    records = [r for r in live.store.query_requests() if r.team == "li"]
    assert len(records) == 4 and {r.endpoint for r in records} == {"completions"}
    assert all(r.served_model == "cheap" and r.status == 200 and r.cost_usd > 0 for r in records)
    # The chat was flattened into one prompt: both turns reached the model (and the privacy scan).
    sent = live.catalog.chat_model("cheap").requests  # type: ignore[attr-defined]
    assert any("Be brief." in r.messages[0].text and "capital of France" in r.messages[0].text for r in sent)
