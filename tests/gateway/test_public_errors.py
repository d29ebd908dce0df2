"""Every error path a client can reach — both chat endpoints (JSON and SSE), embeddings, the read and
admin APIs, /metrics, a database outage — answers with a stable code and a message that names no
server path, DSN, internal URL, host or environment variable. The details go to the server log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shoal.privacy.config import ENTITY_TYPES
from shoal.store import Limits
from tests.gateway.conftest import ADMIN_KEY, Live, live_gateway, make_settings
from tests.servers import FakeServer, Received, Reply, anthropic_wire, closed_port, openai_wire
from tests.servers.tcp_proxy import FaultProxy
from tests.store.test_store import pg_url  # noqa: F401 - fixture

MISSING_ENV = "SHOAL_TEST_MISSING_KEY_9F2"
UPSTREAM_ENV = "SHOAL_TEST_UPSTREAM_KEY_9F2"
ENV_NAMES = (MISSING_ENV, UPSTREAM_ENV, "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "SHOAL_ADMIN_KEY", "SHOAL_METRICS_KEY",
             "SHOAL_CONFIG")
# Upstream faults by the model id the gateway sends: what the provider answers.
FAULTS: dict[str, Reply] = {
    "f-500": openai_wire.error(500, "boom at http://10.1.2.3:8000/internal/v1 (see /srv/vllm/logs/x.log)",
                               type="server_error"),
    "f-503": openai_wire.error(503, "overloaded", type="server_error"),
    "f-401": openai_wire.error(401, f"Incorrect API key provided: sk-abc...xyz; set {UPSTREAM_ENV}",
                               type="invalid_request_error", code="invalid_api_key"),
    "f-403": openai_wire.error(403, "not allowed", type="permission_error"),
    "f-404": openai_wire.error(404, "The model f-404 does not exist", code="model_not_found"),
    "f-429": openai_wire.error(429, "slow down", type="rate_limit_error", headers={"retry-after": "7"}),
    "f-ctx": openai_wire.error(400, "This model's maximum context length is 8192 tokens",
                               code="context_length_exceeded"),
    "f-400": openai_wire.error(400, "Invalid value for 'temperature' at postgresql://db.internal:5432/x",
                               param="temperature"),
    "f-malformed": Reply(200, "{not json", content_type="application/json"),
    "f-hang": Reply(200, openai_wire.completion("too late").body, delay_s=2.0),
    "f-cut": Reply(200, chunks=[], cut=True),
    "f-midstream": Reply(200, chunks=openai_wire.stream_events(["Hello", " there"], done=False), cut=True),
    "a-500": anthropic_wire.error(500, "api_error", "internal failure at /opt/anthropic-proxy/main.py"),
    "a-529": anthropic_wire.error(529, "overloaded_error", "Overloaded"),
}


def _upstream(received: Received) -> Reply:
    return FAULTS[str(received.json.get("model"))]


def _models(upstream: str) -> dict[str, Any]:
    models: dict[str, Any] = {
        "cheap": {"provider": "testing", "locality": "external", "options": {"responses": ["Paris."]}},
        "secretless": {"provider": "openai", "model": "gpt-4o-mini", "locality": "external",
                       "base_url": upstream + "/v1", "api_key": f"env:{MISSING_ENV}"},
        "refused": {"provider": "openai", "model": "gpt-4o-mini", "locality": "external",
                    "base_url": f"http://127.0.0.1:{closed_port()}/v1", "api_key": f"env:{UPSTREAM_ENV}"},
        "embed": {"provider": "testing", "kind": "embedding", "options": {"dim": 8}},
    }
    for fault in FAULTS:
        provider = "anthropic" if fault.startswith("a-") else "openai"
        base = upstream if provider == "anthropic" else upstream + "/v1"
        models[fault] = {"provider": provider, "model": fault, "locality": "external", "base_url": base,
                         "api_key": f"env:{UPSTREAM_ENV}", "timeout": 0.5}
    return models


def _leaks(text: str, tmp_path: Path, ports: list[int]) -> list[str]:
    found = [s for s in (str(tmp_path), "/tmp/", "/srv/", "/opt/", ".yaml", ".db", ".log", "postgresql://",
                         "redis://", "http://", "https://", "127.0.0.1", "10.1.2.3", "localhost", "db.internal",
                         "env:", *ENV_NAMES) if s in text]
    found += [f":{p}" for p in ports if f":{p}" in text]
    # capitals with underscores are env var names, except entity types and their placeholders (US_SSN_1)
    found += [m for m in re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", text)
              if re.sub(r"_\d+$", "", m) not in ENTITY_TYPES]
    return found


class Probe:
    """Sends requests and keeps every error response (status, code, full text) for the grep."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.seen: list[tuple[str, int, str]] = []

    def __call__(self, label: str, method: str, path: str, *, key: str | None = None, body: Any = None,
                 content: bytes | None = None, expect_error: bool = True) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if content is not None:
            headers["content-type"] = "application/json"
        r = httpx.request(method, self.live.url + path, headers=headers, json=body, content=content, timeout=30)
        text = r.text + "\n" + "\n".join(f"{k}: {v}" for k, v in r.headers.items())
        self.seen.append((label, r.status_code, text))
        if expect_error:
            in_band = r.status_code == 200 and ('"error"' in r.text or "event: error" in r.text)
            assert r.status_code >= 400 or in_band, f"{label}: expected an error, got {r.status_code} {r.text[:300]}"
        return r


@pytest.fixture
def upstream() -> Iterator[FakeServer]:
    with FakeServer(handler=_upstream) as server:
        yield server


ENDPOINTS = (("/v1/chat/completions", "openai"), ("/v1/messages", "anthropic"), ("/v1/completions", "completions"))


def _chat_body(model: str, *, stream: bool, kind: str, content: str = "hello") -> dict[str, Any]:
    if kind == "completions":
        return {"model": model, "stream": stream, "prompt": content}
    body: dict[str, Any] = {"model": model, "stream": stream, "messages": [{"role": "user", "content": content}]}
    if kind == "anthropic":
        body["max_tokens"] = 32
    return body


def test_no_error_path_shows_internals(tmp_path: Path, upstream: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv(UPSTREAM_ENV, "sk-upstream-test-0000")
    monkeypatch.delenv(MISSING_ENV, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings = make_settings(tmp_path, models=_models(upstream.url), gateway={"max_body_bytes": 4096},
                             routing={"retries": {"max_attempts": 1, "backoff_s": 0},
                                      "circuit_breaker": {"failure_threshold": 1000},
                                      "privacy": {"on_external_pin": "refuse"}},
                             rag={"embedder": "embed"})
    with live_gateway(settings) as live:
        probe = Probe(live)
        team = live.create_key(team="support")
        keyless = live.create_key()
        codes: dict[str, dict[str, str | None]] = {}
        for path, kind in ENDPOINTS:
            for stream in (False, True):
                tag = f"{path} stream={stream}"
                got = codes[tag] = {}

                def chat(label: str, model: str, *, key: str | None = team, content: str = "hello",
                         _tag: str = tag, _path: str = path, _stream: bool = stream,
                         _kind: str = kind) -> httpx.Response:
                    return probe(f"{_tag} {label}", "POST", _path, key=key,
                                 body=_chat_body(model, stream=_stream, kind=_kind, content=content))

                probe(f"{tag} no key", "POST", path, body=_chat_body("cheap", stream=stream, kind=kind))
                chat("bad key", "cheap", key="sk-shoal-not-a-key")
                probe(f"{tag} empty", "POST", path, key=team, content=b"")
                probe(f"{tag} not json", "POST", path, key=team, content=b"{oops")
                probe(f"{tag} array", "POST", path, key=team, content=b"[1, 2]")
                probe(f"{tag} wrong types", "POST", path, key=team,
                      body={"model": "cheap", "messages": "hi", "prompt": 5, "temperature": "hot", "stream": stream})
                chat("too large", "cheap", content="x" * 5000)
                r = chat("unknown model", "gpt-7-turbo-ultra")
                got["unknown"] = _code(r)
                r = chat("missing secret", "secretless")
                got["config"] = _code(r)
                got["refused"] = _code(chat("connection refused", "refused"))
                for fault in FAULTS:
                    got[fault] = _code(chat(f"upstream {fault}", fault))
                chat("policy refusal", "cheap", content="my SSN is 536-22-8844, mail dana@examplemail.com")
                limited = live.create_key(team=f"tiny-{len(probe.seen)}", limits=Limits(requests_per_minute=1))
                probe(f"{tag} within the limit", "POST", path, key=limited, expect_error=False,
                      body=_chat_body("cheap", stream=stream, kind=kind))
                chat("rate limited", "cheap", key=limited)
        probe("count_tokens not json", "POST", "/v1/messages/count_tokens", key=team, content=b"{oops")
        probe("count_tokens no messages", "POST", "/v1/messages/count_tokens", key=team,
              body={"model": "cheap", "messages": []})
        probe("count_tokens no key", "POST", "/v1/messages/count_tokens",
              body={"model": "cheap", "messages": [{"role": "user", "content": "hi"}]})
        probe("embeddings unknown model", "POST", "/v1/embeddings", key=team, body={"model": "nope", "input": "x"})
        probe("embeddings bad input", "POST", "/v1/embeddings", key=team, body={"model": "embed", "input": 5})
        probe("embeddings missing secret", "POST", "/v1/embeddings", key=team,
              body={"model": "secretless", "input": "x"})
        # read and admin APIs
        probe("admin keys as team", "POST", "/admin/keys", key=team, body={"team": "x"})
        probe("admin keys bad body", "POST", "/admin/keys", key=ADMIN_KEY, body={"groups": "x"})
        probe("admin keys bad limits", "POST", "/admin/keys", key=ADMIN_KEY, body={"limits": {"rpm": 1}})
        probe("admin list as team", "GET", "/admin/keys", key=team)
        probe("revoke unknown", "DELETE", "/admin/keys/nope", key=ADMIN_KEY)
        probe("request unknown", "GET", "/v1/requests/nope", key=team)
        probe("requests other team", "GET", "/v1/requests?team=other", key=team)
        probe("requests bad limit", "GET", "/v1/requests?limit=0", key=team)
        probe("usage bad group", "GET", "/v1/usage?group_by=zzz", key=team)
        probe("usage without team", "GET", "/v1/usage", key=keyless)
        probe("feedback empty", "POST", "/v1/feedback", key=team, body={})
        probe("feedback unknown", "POST", "/v1/feedback", key=team, body={"request_id": "nope", "rating": 1})
        probe("feedback list no team", "GET", "/v1/feedback", key=keyless)
        probe("no endpoint", "GET", "/v1/nothing/here", key=team)
        probe("wrong method", "DELETE", "/v1/chat/completions", key=team)
        probe("metrics anonymous", "GET", "/metrics")
        probe("metrics as team", "GET", "/metrics", key=team)
        probe("dashboard other team", "GET", "/v1/dashboard/overview?team=other", key=team)
        # The request log as a team key reads it: errors recorded there are client-visible too.
        probe("request log", "GET", "/v1/requests?limit=1000", key=team, expect_error=False)
        probe("request log admin", "GET", "/v1/requests?limit=1000", key=ADMIN_KEY, expect_error=False)
        ports = [upstream.port, int(live.url.rsplit(":", 1)[1])]
        seen = probe.seen
    leaks = {label: _leaks(text, tmp_path, ports) for label, _, text in seen}
    assert not {k: v for k, v in leaks.items() if v}, leaks
    # the same stable codes on both endpoints, JSON or stream; the details in the server log instead
    for tag, got in codes.items():
        assert got["unknown"] == "model_not_found" and got["config"] == "server_config_error", (tag, got)
        assert got["refused"] == "upstream_unreachable", (tag, got)
        assert got["f-401"] == "upstream_authentication_failed", (tag, got)
        assert got["f-hang"] == "upstream_timeout" and got["f-ctx"] == "context_length_exceeded", (tag, got)
        assert got["a-500"] == "upstream_unavailable" and got["f-429"] == "upstream_rate_limited", (tag, got)
    assert MISSING_ENV in caplog.text and "127.0.0.1" in caplog.text
    assert len(seen) > 180  # 6 endpoint × stream combinations × 28 paths, plus the APIs


def _code(r: httpx.Response) -> str | None:
    """The error code of a JSON error, an Anthropic error, or an in-band stream error."""
    text = r.text
    if text.startswith("{"):
        return (r.json().get("error") or {}).get("code")
    for line in text.splitlines():
        if line.startswith("data: ") and '"error"' in line:
            return (json.loads(line[6:]).get("error") or {}).get("code")
    return None


def test_database_errors_show_no_dsn(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    proxy = FaultProxy("127.0.0.1", 5432)
    url = pg_url.replace("127.0.0.1:5432", proxy.address)
    try:
        settings = make_settings(tmp_path, store={"url": url, "flush_interval_s": 0.05})
        with live_gateway(settings) as live:
            fresh = live.create_key(team="t")
            proxy.set_mode("refuse")
            probe = Probe(live)
            chat = {"model": "cheap", "messages": [{"role": "user", "content": "hi"}]}
            probe("chat, unknown-yet key", "POST", "/v1/chat/completions", key=fresh, body=chat)
            probe("messages, unknown-yet key", "POST", "/v1/messages", key=fresh, body={**chat, "max_tokens": 9})
            probe("admin create", "POST", "/admin/keys", key=ADMIN_KEY, body={"team": "x"})
            probe("admin list", "GET", "/admin/keys", key=ADMIN_KEY)
            probe("request log", "GET", "/v1/requests", key=ADMIN_KEY)
            probe("usage", "GET", "/v1/usage", key=ADMIN_KEY)
            probe("readyz", "GET", "/readyz")
            seen = probe.seen
            proxy.set_mode("pass")
    finally:
        proxy.close()
    leaks = {label: _leaks(text, tmp_path, [proxy.port, 5432]) for label, _, text in seen}
    assert not {k: v for k, v in leaks.items() if v}, leaks
    assert all(status in (503, 504) for _, status, _ in seen), [(label, status) for label, status, _ in seen]
