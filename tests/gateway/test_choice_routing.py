"""Conformance: requests for several choices (``n > 1``) or log probabilities, sent with ``auto``, are
served by a model that can return them, or refused with a 4xx naming what is missing and the models
tried — streaming and not, on /v1/chat/completions, /v1/responses and /v1/completions. A sensitive
request that no self-hosted model can serve this way hears that reason, not the privacy refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.gateway.conftest import Live, live_gateway, make_settings

MODELS = {
    # The cheapest model returns one choice and no logprobs (like a paid API billed per call);
    # `mid` generates n answers in turn; only `rich` has token probabilities.
    "cheap": {"provider": "testing", "locality": "external", "input_price": 0.1, "output_price": 0.1,
              "options": {"responses": ["cheap answer"], "one_choice": True}},
    "mid": {"provider": "testing", "locality": "external", "input_price": 1.0, "output_price": 1.0,
            "options": {"responses": ["mid one", "mid two"]}},
    "rich": {"provider": "testing", "locality": "external", "input_price": 5.0, "output_price": 10.0,
             "options": {"responses": ["rich answer"], "logprobs": True}},
    # Redefined so the embedded model (free, n by generating in turn) is not the cheapest fit.
    "local": {"provider": "testing", "locality": "self_hosted", "options": {"responses": ["local answer"],
                                                                           "one_choice": True}},
}
USER = [{"role": "user", "content": "Name a colour."}]
SECRET = [{"role": "user", "content": "Email jane.doe@examplemail.com her new salary: 120000 EUR, IBAN "
                                      "DE75512108001245126199."}]


def _post(live: Live, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{live.url}{path}", json=body, timeout=30,
                      headers={"authorization": f"Bearer {live.create_key(team='t')}"})


def _events(r: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]


def _reasons(r: httpx.Response) -> str:
    return unquote(r.headers["x-shoal-route-reasons"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with live_gateway(make_settings(tmp_path_factory.mktemp("choices"), models=MODELS,
                                    default_model="cheap")) as gw:
        yield gw


@pytest.fixture(scope="module")
def unable(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Only models that return one choice without logprobs."""
    models = {"cheap": MODELS["cheap"], "local": MODELS["local"]}
    with live_gateway(make_settings(tmp_path_factory.mktemp("unable"), models=models,
                                    default_model="cheap")) as gw:
        yield gw


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_logprobs_with_auto_go_to_a_model_that_has_them(live: Live, stream: bool) -> None:
    r = _post(live, "/v1/chat/completions", {"model": "auto", "messages": USER, "logprobs": True,
                                             "top_logprobs": 1, "stream": stream})
    assert r.status_code == 200, r.text
    assert r.headers["x-shoal-model"] == "rich"
    assert "capability:cheap→rich(no logprobs support)" in _reasons(r)
    if stream:
        choices = [e["choices"][0] for e in _events(r) if e.get("choices")]
        assert "".join(c["delta"].get("content") or "" for c in choices) == "rich answer"
        tokens = [t["token"] for c in choices for t in (c.get("logprobs") or {}).get("content") or ()]
    else:
        choice = r.json()["choices"][0]
        assert choice["message"]["content"] == "rich answer"
        tokens = [t["token"] for t in choice["logprobs"]["content"]]
    assert "".join(tokens) == "rich answer"


def test_n_with_auto_goes_to_a_model_that_returns_several(live: Live) -> None:
    r = _post(live, "/v1/chat/completions", {"model": "auto", "messages": USER, "n": 2})
    assert r.status_code == 200, r.text
    assert r.headers["x-shoal-model"] == "mid" and "capability:cheap→mid(no n > 1 support)" in _reasons(r)
    assert [c["message"]["content"] for c in r.json()["choices"]] == ["mid one", "mid two"]
    legacy = _post(live, "/v1/completions", {"model": "auto", "prompt": "Name a colour:", "n": 2})
    assert legacy.status_code == 200, legacy.text
    assert legacy.headers["x-shoal-model"] == "mid" and len(legacy.json()["choices"]) == 2


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_responses_logprobs_with_auto_go_to_a_model_that_has_them(live: Live, stream: bool) -> None:
    r = _post(live, "/v1/responses", {"model": "auto", "input": "Name a colour.", "stream": stream,
                                      "include": ["message.output_text.logprobs"]})
    assert r.status_code == 200, r.text
    assert r.headers["x-shoal-model"] == "rich"
    if stream:
        deltas = [e for e in _events(r) if e.get("type") == "response.output_text.delta"]
        assert "".join(d["delta"] for d in deltas) == "rich answer"
        assert [t["token"] for d in deltas for t in d["logprobs"]] == ["rich ", "answer"]
    else:
        part = r.json()["output"][0]["content"][0]
        assert part["text"] == "rich answer" and [t["token"] for t in part["logprobs"]] == ["rich ", "answer"]


def test_a_plain_request_stays_on_the_cheapest_model(live: Live) -> None:
    r = _post(live, "/v1/chat/completions", {"model": "auto", "messages": USER})
    assert r.status_code == 200 and r.headers["x-shoal-model"] == "cheap"


def _refusal(r: httpx.Response, missing: str) -> None:
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "unsupported_request", error
    message = error["message"]
    assert f"cheap: no {missing} support" in message and f"local: no {missing} support" in message, message
    for internal in ("Traceback", "shoal.", "testing", "127.0.0.1"):
        assert internal not in json.dumps(r.json())


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_no_model_with_logprobs_is_a_400_naming_it_and_the_candidates(unable: Live, stream: bool) -> None:
    _refusal(_post(unable, "/v1/chat/completions", {"model": "auto", "messages": USER, "logprobs": True,
                                                    "stream": stream}), "logprobs")
    _refusal(_post(unable, "/v1/responses", {"model": "auto", "input": "Name a colour.", "stream": stream,
                                             "include": ["message.output_text.logprobs"]}), "logprobs")


def test_no_model_with_n_is_a_400_naming_it_and_the_candidates(unable: Live) -> None:
    _refusal(_post(unable, "/v1/chat/completions", {"model": "auto", "messages": USER, "n": 3}), "n > 1")
    _refusal(_post(unable, "/v1/completions", {"model": "auto", "prompt": "Name a colour:", "n": 3}), "n > 1")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_sensitive_request_no_self_hosted_model_can_serve_hears_the_real_reason(tmp_path: Path,
                                                                                  stream: bool) -> None:
    # `rich` could return logprobs but is external; the self-hosted `local` cannot.
    settings = make_settings(tmp_path, models=MODELS, default_model="cheap")
    with live_gateway(settings) as gw:
        r = _post(gw, "/v1/chat/completions", {"model": "auto", "messages": SECRET, "logprobs": True,
                                               "stream": stream})
        plain = _post(gw, "/v1/chat/completions", {"model": "auto", "messages": SECRET, "stream": stream})
    assert plain.status_code == 200 and plain.headers["x-shoal-model"] == "local"  # it is sensitive
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "unsupported_request" and "refused" not in error["message"], error
    assert "local: no logprobs support" in error["message"] and "rich" not in error["message"]


def test_a_sensitive_request_goes_to_a_self_hosted_model_that_can(tmp_path: Path) -> None:
    models = {**MODELS, "vault": {"provider": "testing", "locality": "self_hosted", "input_price": 0.5,
                                  "options": {"responses": ["vault answer"], "logprobs": True}}}
    with live_gateway(make_settings(tmp_path, models=models, default_model="cheap")) as gw:
        r = _post(gw, "/v1/chat/completions", {"model": "auto", "messages": SECRET, "logprobs": True})
    assert r.status_code == 200, r.text
    assert r.headers["x-shoal-model"] == "vault" and "privacy:self_hosted-only" in _reasons(r)
    assert r.json()["choices"][0]["logprobs"]["content"]
