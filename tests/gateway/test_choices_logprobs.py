"""``n > 1`` and ``logprobs`` through the gateway: passed through to an OpenAI-compatible upstream (a
real local server), generated n times by models that cost only local compute (scripted here; the
embedded model in tests/local), and a 400 naming the parameter wherever a model cannot serve them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.gateway.conftest import Live, live_gateway, make_settings
from tests.servers import FakeServer, Reply

USER = [{"role": "user", "content": "Name a colour."}]


def _lp(token: str, logprob: float) -> dict[str, Any]:
    alt = {"token": token.upper(), "logprob": logprob - 1.5, "bytes": list(token.upper().encode())}
    return {"token": token, "logprob": logprob, "bytes": list(token.encode()),
            "top_logprobs": [{"token": token, "logprob": logprob, "bytes": list(token.encode())}, alt]}


def _choices_reply(texts: list[str]) -> Reply:
    return Reply(200, {
        "id": "chatcmpl-n", "object": "chat.completion", "created": int(time.time()), "model": "gpt-4o-mini",
        "choices": [{"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": t},
                     "logprobs": {"content": [_lp(t, -0.25 * (i + 1))], "refusal": None}}
                    for i, t in enumerate(texts)],
        "usage": {"prompt_tokens": 9, "completion_tokens": len(texts), "total_tokens": 9 + len(texts)}})


def _stream_reply(tokens: list[str]) -> Reply:
    def event(delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> str:
        return "data: " + json.dumps({"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1,
                                      "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": delta,
                                                                           "finish_reason": finish,
                                                                           "logprobs": logprobs}]}) + "\n\n"
    chunks = [event({"role": "assistant", "content": ""})]
    chunks += [event({"content": t}, logprobs={"content": [_lp(t, -0.5)]}) for t in tokens]
    chunks += [event({}, "stop"), "data: [DONE]\n\n"]
    return Reply(200, chunks=chunks)


@pytest.fixture
def upstream_live(fake_server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("UPSTREAM_KEY", "sk-test-upstream")
    models = {"up": {"provider": "openai", "base_url": f"{fake_server.url}/v1", "model": "gpt-4o-mini",
                     "api_key": "env:UPSTREAM_KEY", "input_price": 1.0, "output_price": 2.0},
              "claude": {"provider": "anthropic", "base_url": fake_server.url, "model": "claude-test",
                         "api_key": "env:UPSTREAM_KEY"},
              "scripted": {"provider": "testing", "locality": "external", "input_price": 1.0, "output_price": 2.0,
                           "options": {"responses": ["red", "green", "blue"]}}}
    with live_gateway(make_settings(tmp_path, models=models, default_model="up")) as live:
        yield live


def _client(live: Live) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=live.create_key(team="t"), max_retries=0)


def test_n_and_logprobs_pass_through_to_an_openai_upstream(upstream_live: Live, fake_server: FakeServer) -> None:
    fake_server.enqueue(_choices_reply(["red", "blue"]))
    done = _client(upstream_live).chat.completions.create(model="up", messages=USER, n=2, logprobs=True,
                                                          top_logprobs=2)  # type: ignore[arg-type]
    sent = fake_server.last.json
    assert (sent["n"], sent["logprobs"], sent["top_logprobs"]) == (2, True, 2)
    assert [(c.index, c.message.content) for c in done.choices] == [(0, "red"), (1, "blue")]
    for choice, expected in zip(done.choices, (-0.25, -0.5), strict=True):
        assert choice.logprobs is not None and choice.logprobs.content is not None
        token = choice.logprobs.content[0]
        assert token.logprob == expected and [t.token for t in token.top_logprobs] == [
            choice.message.content, (choice.message.content or "").upper()]
    assert done.usage is not None and done.usage.completion_tokens == 2


def test_streamed_logprobs_pass_through(upstream_live: Live, fake_server: FakeServer) -> None:
    fake_server.enqueue(_stream_reply(["dark ", "red"]))
    chunks = list(_client(upstream_live).chat.completions.create(model="up", messages=USER, stream=True,
                                                                 logprobs=True))
    with_lp = [c for c in chunks if c.choices and c.choices[0].logprobs is not None]
    assert [c.choices[0].logprobs.content[0].token for c in with_lp] == ["dark ", "red"]  # type: ignore[union-attr,index]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "dark red"
    assert fake_server.last.json["logprobs"] is True


def test_n_choices_from_a_model_that_generates_them_in_turn(upstream_live: Live) -> None:
    client = _client(upstream_live)
    raw = client.chat.completions.with_raw_response.create(model="scripted", messages=USER, n=3)
    done = raw.parse()
    assert [c.message.content for c in done.choices] == ["red", "green", "blue"]
    assert [c.index for c in done.choices] == [0, 1, 2] and all(c.logprobs is None for c in done.choices)
    assert done.usage is not None and done.usage.completion_tokens == 3 and done.usage.prompt_tokens == 3 * 4  # 'Name a colour.': 4 tokens
    upstream_live.store.flush()
    record = upstream_live.store.get_request(raw.headers["x-shoal-request-id"])
    # Three calls, each reading the prompt: that is what was spent and charged.
    assert (record.prompt_tokens, record.completion_tokens) == (12, 3)
    assert record.cost_usd == pytest.approx((12 * 1.0 + 3 * 2.0) / 1e6)
    legacy = client.completions.create(model="scripted", prompt="Name a colour:", n=2)
    assert [c.text for c in legacy.choices] == ["red", "green"]


def _error(live: Live, body: dict[str, Any], path: str = "/v1/chat/completions") -> tuple[int, dict[str, Any]]:
    key = live.create_key(team="t")
    r = httpx.post(f"{live.url}{path}", json=body, headers={"authorization": f"Bearer {key}"}, timeout=30)
    return r.status_code, r.json()["error"]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_what_a_model_cannot_return_is_a_400_naming_it(upstream_live: Live, fake_server: FakeServer,
                                                       stream: bool) -> None:
    before = len(fake_server.requests)
    status, err = _error(upstream_live, {"model": "scripted", "messages": USER, "logprobs": True, "stream": stream})
    assert status == 400 and err["message"].startswith("logprobs:") and "'scripted'" in err["message"], err
    status, err = _error(upstream_live, {"model": "claude", "messages": USER, "logprobs": True, "stream": stream})
    assert status == 400 and err["message"].startswith("logprobs:") and "'claude'" in err["message"], err
    if not stream:
        # Anthropic returns one answer per call: n paid calls would pay for the prompt n times.
        status, err = _error(upstream_live, {"model": "claude", "messages": USER, "n": 2})
        assert status == 400 and err["message"].startswith("n:") and "'claude'" in err["message"], err
    assert len(fake_server.requests) == before  # nothing was sent upstream


@pytest.mark.parametrize(("body", "param"), [
    ({"n": 2, "stream": True}, "n"),
    ({"n": 0}, "n"),
    ({"n": 17}, "n"),
    ({"top_logprobs": 3}, "top_logprobs"),
    ({"logprobs": True, "top_logprobs": 21}, "top_logprobs"),
    ({"logprobs": "yes"}, "logprobs"),
])
def test_bad_choice_options_are_400s(upstream_live: Live, body: dict[str, Any], param: str) -> None:
    status, err = _error(upstream_live, {"model": "up", "messages": USER, **body})
    assert status == 400 and err["param"] == param, err


def test_legacy_completions_refuse_their_own_logprobs_and_streamed_n(upstream_live: Live) -> None:
    for body, param in (({"logprobs": 2}, "logprobs"), ({"n": 2, "stream": True}, "n"),
                        ({"n": 2, "best_of": 3}, "best_of")):
        status, err = _error(upstream_live, {"model": "scripted", "prompt": "Name a colour:", **body},
                             "/v1/completions")
        assert status == 400 and err["param"] == param, err


@pytest.mark.local_model
def test_the_embedded_model_returns_logprobs_and_n_choices_through_the_gateway(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    models = {"lp": {"provider": "llama_cpp", "options": {"logprobs": True, "n_ctx": 512}}}
    with live_gateway(make_settings(tmp_path, models=models, default_model="lp")) as live:
        client = _client(live)
        done = client.chat.completions.create(model="lp", messages=[{"role": "user", "content": "Say hello."}],
                                              max_tokens=6, temperature=0, logprobs=True, top_logprobs=2)
        content = done.choices[0].logprobs.content  # type: ignore[union-attr]
        assert content and "".join(t.token for t in content) == done.choices[0].message.content
        assert all(t.logprob <= 0 and t.top_logprobs for t in content)
        two = client.chat.completions.create(model="lp", messages=[{"role": "user", "content": "Say hello."}],
                                             max_tokens=4, n=2)
        assert len(two.choices) == 2
