"""Fault injection: a local OpenAI-compatible upstream that fails in every way we know.

With a fallback the client gets an answer; without one a clear error; always exactly one record.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shoal.wiring import catalog as build_catalog
from tests.gateway.conftest import Live, live_gateway, make_settings, routed_pipeline
from tests.servers import FakeServer, Reply, openai_wire


class ResetServer:
    """Accepts connections and resets them (RST) as soon as the request arrives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn.recv(65536)
            except OSError:
                pass
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def close(self) -> None:
        self.sock.close()


def _settings(tmp_path: Path, base_url: str, *, fallback: bool) -> Any:
    models = {
        "upstream": {"provider": "openai", "model": "gpt-4o-mini", "base_url": base_url, "locality": "external",
                     "timeout": 0.5, "input_price": 0.15, "output_price": 0.6},
        "backup": {"provider": "testing", "locality": "self_hosted", "options": {"responses": ["backup answer"]}},
    }
    routing = {"retries": {"max_attempts": 1, "backoff_s": 0},
               "fallbacks": {"upstream": ["backup"]} if fallback else {}}
    return make_settings(tmp_path, models=models, default_model="upstream", routing=routing)


@pytest.fixture
def upstream() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


FAULTS: dict[str, Reply] = {
    "429": openai_wire.error(429, "slow down", type="rate_limit_error", headers={"retry-after": "60"}),
    "500": openai_wire.error(500, "boom", type="server_error"),
    "503": openai_wire.error(503, "overloaded", type="server_error"),
    "hang": Reply(200, openai_wire.completion("too late").body, delay_s=2.0),
    "malformed": Reply(200, "{not json", content_type="application/json"),
    "truncated-before-output": Reply(200, chunks=[], cut=True),
}


def _chat(live: Live, key: str, *, stream: bool) -> httpx.Response:
    return httpx.post(f"{live.url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, timeout=20,
                      json={"model": "upstream", "stream": stream,
                            "messages": [{"role": "user", "content": "hello there"}]})


def _answer(response: httpx.Response, stream: bool) -> str:
    if not stream:
        return str(response.json()["choices"][0]["message"]["content"])
    import json

    text = ""
    for line in response.text.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            event = json.loads(line[6:])
            assert "error" not in event, event
            for choice in event["choices"]:
                text += choice["delta"].get("content") or ""
    return text


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_with_fallback_gets_an_answer(tmp_path: Path, upstream: FakeServer, fault: str, stream: bool) -> None:
    upstream.enqueue(FAULTS[fault])
    settings = _settings(tmp_path, upstream.url + "/v1", fallback=True)
    catalog = build_catalog(settings, check=False)
    with live_gateway(settings, catalog=catalog, pipeline=routed_pipeline(settings, catalog)) as live:
        response = _chat(live, live.create_key(team="t"), stream=stream)
        assert response.status_code == 200, response.text
        assert _answer(response, stream) == "backup answer"
        assert response.headers["x-shoal-model"] == "backup"
        records = live.store.query_requests()
    assert len(upstream.requests) == 1
    assert len(records) == 1
    assert records[0].served_model == "backup" and records[0].status == 200


EXPECTED = {"429": (429, "slow down"), "500": (503, "boom"), "503": (503, "overloaded"),
            "hang": (504, "no answer within 0.5 s"), "malformed": (502, "openai"),
            "truncated-before-output": (502, "openai")}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_without_fallback_is_a_clear_error(tmp_path: Path, upstream: FakeServer, fault: str,
                                                 stream: bool) -> None:
    upstream.enqueue(FAULTS[fault])
    settings = _settings(tmp_path, upstream.url + "/v1", fallback=False)
    catalog = build_catalog(settings, check=False)
    with live_gateway(settings, catalog=catalog, pipeline=routed_pipeline(settings, catalog)) as live:
        response = _chat(live, live.create_key(team="t"), stream=stream)
        records = live.store.query_requests()
    status, words = EXPECTED[fault]
    assert response.status_code in (status, 502, 503, 504), response.text
    if fault in ("429", "500", "503"):
        assert response.status_code == status
    error = response.json()["error"]
    assert words in error["message"] and error["code"].startswith(("upstream", "rate"))
    assert len(records) == 1 and records[0].status == response.status_code and records[0].error


@pytest.mark.parametrize("fallback", [True, False])
def test_connection_reset(tmp_path: Path, fallback: bool) -> None:
    server = ResetServer()
    try:
        settings = _settings(tmp_path, f"http://127.0.0.1:{server.port}/v1", fallback=fallback)
        catalog = build_catalog(settings, check=False)
        with live_gateway(settings, catalog=catalog, pipeline=routed_pipeline(settings, catalog)) as live:
            response = _chat(live, live.create_key(), stream=False)
            records = live.store.query_requests()
    finally:
        server.close()
    if fallback:
        assert response.status_code == 200 and _answer(response, False) == "backup answer"
    else:
        assert response.status_code in (502, 503) and response.json()["error"]["code"].startswith("upstream")
    assert len(records) == 1


def test_stream_cut_after_output_reports_in_band(tmp_path: Path, upstream: FakeServer) -> None:
    """After the first chunk no fallback is possible: the client gets the text so far and an error event."""
    upstream.enqueue(openai_wire.stream(["Hello", " wor"], cut=True, done=False))
    settings = _settings(tmp_path, upstream.url + "/v1", fallback=True)
    catalog = build_catalog(settings, check=False)
    with live_gateway(settings, catalog=catalog, pipeline=routed_pipeline(settings, catalog)) as live:
        response = _chat(live, live.create_key(), stream=True)
        records = live.store.query_requests()
    assert response.status_code == 200
    assert '"content":"Hello"' in response.text and '"error"' in response.text
    assert "data: [DONE]" not in response.text
    assert len(records) == 1 and records[0].status >= 500 and records[0].response_text == "Hello wor"
