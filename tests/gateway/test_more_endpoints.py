"""``/v1/completions`` (the legacy completions API, LlamaIndex OpenAILike's default) and Anthropic's
``/v1/messages/count_tokens``, through the official SDKs."""

from __future__ import annotations

import anthropic
import openai

from tests.gateway.conftest import Live


def test_completions_api_non_streaming_and_streaming(live: Live) -> None:
    # With the default privacy scan: the sensitivity model before v3 scored this sentence prefix as
    # personal data and pinned it to the self-hosted echo model (the answer came back as the prompt).
    key = live.create_key(team="search")
    client = openai.OpenAI(base_url=f"{live.url}/v1", api_key=key, max_retries=0)
    done = client.completions.create(model="cheap", prompt="The capital of France is", max_tokens=20)
    assert done.object == "text_completion"
    assert done.choices[0].text == "The capital of France is Paris." and done.choices[0].finish_reason == "stop"
    assert done.usage is not None and done.usage.completion_tokens > 0
    parts = [c.choices[0].text for c in client.completions.create(
        model="cheap", prompt="The capital of France is", stream=True) if c.choices]
    assert "".join(parts) == "The capital of France is Paris."
    live.store.flush()
    records = [r for r in live.store.query_requests() if r.endpoint == "completions"]
    assert len(records) == 2 and all(r.served_model == "cheap" and r.cost_usd > 0 for r in records)


def test_completions_api_refuses_what_it_cannot_do_with_a_400(live: Live) -> None:
    client = openai.OpenAI(base_url=f"{live.url}/v1", api_key=live.create_key(team="t"), max_retries=0)
    for extra in ({"logprobs": 2}, {"echo": True}, {"suffix": "end"}):
        try:
            client.completions.create(model="cheap", prompt="hi", **extra)  # type: ignore[call-overload]
        except openai.BadRequestError as exc:
            assert next(iter(extra)) in str(exc)
        else:
            raise AssertionError(f"{extra} was accepted")


def test_anthropic_count_tokens(live: Live) -> None:
    client = anthropic.Anthropic(base_url=live.url, api_key=live.create_key(team="t"), max_retries=0)
    short = client.messages.count_tokens(model="cheap", messages=[{"role": "user", "content": "hi"}])
    long = client.messages.count_tokens(model="cheap", system="Be brief.",
                                        messages=[{"role": "user", "content": "word " * 400}])
    assert 0 < short.input_tokens < 10 and 400 <= long.input_tokens <= 700
    try:
        client.messages.count_tokens(model="cheap", messages=[])
    except anthropic.BadRequestError:
        pass
    else:
        raise AssertionError("an empty message list was counted")
