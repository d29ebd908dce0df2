from __future__ import annotations

import httpx

from tests.gateway.conftest import Live


def test_chat_completion_roundtrip(live: Live) -> None:
    key = live.create_key(team="search", user="ann", segment="pro")
    r = httpx.post(f"{live.url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                   json={"model": "cheap", "messages": [{"role": "user", "content": "capital of France?"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["choices"][0]["message"]["content"] == "The capital of France is Paris."
    assert r.headers["x-shoal-model"] == "cheap"
    rid = r.headers["x-shoal-request-id"]
    assert body["shoal"]["request_id"] == rid
    rec = live.store.get_request(rid)
    assert rec.team == "search" and rec.user == "ann" and rec.segment == "pro"
    assert rec.served_model == "cheap" and rec.status == 200 and rec.cost_usd > 0
