"""Big prompts: scanned off the event loop (others are served meanwhile), refused with 413 above the cap.

No timings here (they are in bench/privacy_latency.py): the off-loop test holds the big request's
scan until a small request has been answered. Were the big scan on the event loop, the small
request could not be answered before the scan was released, and the test fails.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from shoal.pipeline import Pipeline
from shoal.privacy.scanner import PrivacyScanner
from shoal.privacy.types import DocLabel, Sensitivity
from shoal.routing.caller import FallbackCaller
from shoal.routing.policy import PolicyEngine
from shoal.wiring import catalog as build_catalog
from tests.gateway.conftest import live_gateway, make_settings

MODELS = {
    "frontier": {"provider": "testing", "locality": "external", "options": {"responses": ["external answer"]}},
    "onprem": {"provider": "testing", "locality": "self_hosted", "options": {"responses": ["self-hosted answer"]}},
    # Self-hosted: these tests are about size, not about what the scan decides.
    "embedder": {"provider": "testing", "kind": "embedding", "locality": "self_hosted"},
}


def _filler(n: int) -> str:
    sentence = "Rivers carry sand to the sea. "
    return (sentence * (n // len(sentence) + 1))[:n]


class HeldScanner:
    """The real scanner, except that a scan of at least ``min_chars`` waits until ``release`` is set."""

    def __init__(self, inner: PrivacyScanner, min_chars: int) -> None:
        self.inner = inner
        self.min_chars = min_chars
        self.started = threading.Event()
        self.release = threading.Event()

    def scan(self, text: str, doc_labels: Sequence[DocLabel] = ()) -> Sensitivity:
        if len(text) >= self.min_chars:
            self.started.set()
            if not self.release.wait(20):
                raise RuntimeError("the big scan was never released")
        return self.inner.scan(text, doc_labels)


def _headers(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}", "x-api-key": key, "anthropic-version": "2023-06-01"}


BODIES: dict[str, tuple[str, Any]] = {
    "chat": ("/v1/chat/completions", lambda text: {"model": "auto", "messages": [{"role": "user", "content": text}]}),
    "messages": ("/v1/messages", lambda text: {"model": "auto", "max_tokens": 20,
                                                "messages": [{"role": "user", "content": text}]}),
    "embeddings": ("/v1/embeddings", lambda text: {"model": "embedder", "input": ["hello", text]}),
}


@pytest.mark.parametrize("endpoint", list(BODIES))
def test_a_big_prompt_is_scanned_off_the_event_loop(tmp_path: Path, endpoint: str) -> None:
    settings = make_settings(tmp_path, models=MODELS, default_model="frontier",
                             gateway={"scan_inline_bytes": 4096})
    catalog = build_catalog(settings, check=False)
    held = HeldScanner(PrivacyScanner(settings.config.privacy), min_chars=100_000)
    pipeline = Pipeline(policy=PolicyEngine(settings.config.routing, catalog),
                        caller=FallbackCaller(catalog, settings.config.routing), scanner=held)
    path, body = BODIES[endpoint]
    with live_gateway(settings, catalog=catalog, pipeline=pipeline) as live:
        key = live.create_key(team="t")
        big: dict[str, httpx.Response] = {}
        sender = threading.Thread(target=lambda: big.setdefault("response", httpx.post(
            f"{live.url}{path}", json=body(_filler(300_000)), headers=_headers(key), timeout=60)))
        sender.start()
        try:
            assert held.started.wait(20), "the big request never reached the scan"
            small = httpx.post(f"{live.url}{path}", json=body("What is the capital of France?"),
                               headers=_headers(key), timeout=20)
            answered_while_held = not held.release.is_set()
        finally:
            held.release.set()
            sender.join(60)
    assert small.status_code == 200, small.text
    assert answered_while_held
    assert big["response"].status_code == 200, big["response"].text


@pytest.mark.parametrize("endpoint", list(BODIES))
@pytest.mark.parametrize("size", [5_000, 200_000])  # scanned on the loop / off it
def test_above_the_cap_is_413_and_nothing_is_sent(tmp_path: Path, endpoint: str, size: int) -> None:
    settings = make_settings(tmp_path, models=MODELS, default_model="frontier",
                             gateway={"max_scan_chars": 4_000, "scan_inline_bytes": 64 * 1024})
    catalog = build_catalog(settings, check=False)
    pipeline = Pipeline(policy=PolicyEngine(settings.config.routing, catalog),
                        caller=FallbackCaller(catalog, settings.config.routing),
                        scanner=PrivacyScanner(settings.config.privacy))
    path, body = BODIES[endpoint]
    with live_gateway(settings, catalog=catalog, pipeline=pipeline) as live:
        key = live.create_key(team="t")
        response = httpx.post(f"{live.url}{path}", json=body(_filler(size)), headers=_headers(key), timeout=60)
        ok = httpx.post(f"{live.url}{path}", json=body(_filler(3_000)), headers=_headers(key), timeout=60)
        record = live.store.get_request(response.headers["x-shoal-request-id"])
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    if endpoint == "messages":
        assert error["type"] == "request_too_large"
    else:
        assert error["code"] == "prompt_too_large"
    assert "4,000" in error["message"]
    assert ok.status_code == 200, ok.text
    assert record.status == 413
    sent = [r for name in ("frontier", "onprem") for r in catalog.chat_model(name).requests]  # type: ignore[attr-defined]
    assert all(len(m.text) < 4_000 for r in sent for m in r.messages)
