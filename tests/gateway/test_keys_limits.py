"""Keys, the admin API, budgets, rate limits and team isolation."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.gateway.conftest import ADMIN_KEY, Live, live_gateway, make_settings

CHAT = {"model": "cheap", "messages": [{"role": "user", "content": "hi"}]}


def _post(live: Live, key: str | None, path: str = "/v1/chat/completions", body: Any = CHAT) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(live.url + path, headers=headers, json=body, timeout=10)


def _get(live: Live, key: str, path: str) -> httpx.Response:
    return httpx.get(live.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def test_missing_invalid_and_revoked_keys_are_401(live: Live) -> None:
    assert _post(live, None).json()["error"]["code"] == "missing_api_key"
    bad = _post(live, "sk-shoal-not-a-real-key")
    assert bad.status_code == 401 and bad.json()["error"]["type"] == "authentication_error"
    assert "sk-shoal-not-a-real-key" not in bad.text
    created = _post(live, ADMIN_KEY, "/admin/keys", {"team": "search", "user": "ann", "groups": ["eng"]})
    assert created.status_code == 200, created.text
    secret, key_id = created.json()["key"], created.json()["id"]
    assert _post(live, secret).status_code == 200
    listed = _get(live, ADMIN_KEY, "/admin/keys").json()["data"]
    assert [k["id"] for k in listed] == [key_id] and "key" not in listed[0] and "key_hash" not in listed[0]
    assert httpx.delete(f"{live.url}/admin/keys/{key_id}", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
                        ).status_code == 200
    assert _post(live, secret).status_code == 401  # revocation through the admin API applies at once


def test_admin_api_needs_the_admin_key(live: Live) -> None:
    key = live.create_key(team="search")
    response = _post(live, key, "/admin/keys", {"team": "other"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "admin_required"


def test_key_rate_limit_names_the_limit(live: Live) -> None:
    from shoal.store import Limits

    key = live.create_key(team="search", limits=Limits(requests_per_minute=2))
    assert [_post(live, key).status_code for _ in range(2)] == [200, 200]
    third = _post(live, key)
    assert third.status_code == 429
    error = third.json()["error"]
    assert error["code"] == "rate_limit_requests" and "2 requests per minute" in error["message"]
    assert int(third.headers["retry-after"]) >= 1
    rejected = live.store.query_requests()[0]
    assert rejected.status == 429 and rejected.served_model is None  # refused before any upstream call


def test_team_daily_budget_is_shared_by_its_keys(tmp_path: Path) -> None:
    # "cheap" costs 1 $/Mtok in and 2 $/Mtok out: each call here costs ~0.000018 $.
    settings = make_settings(tmp_path, gateway={"teams": {"search": {"usd_per_day": 0.00003}}})
    with live_gateway(settings) as live:
        a, b = live.create_key(team="search"), live.create_key(team="search")
        other = live.create_key(team="ads")
        assert _post(live, a).status_code == 200
        assert _post(live, b).status_code == 200
        refused = _post(live, a)
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "budget_exceeded_day" and error["type"] == "insufficient_quota"
        assert "team search" in error["message"] and "daily budget" in error["message"]
        assert _post(live, b).status_code == 429
        assert _post(live, other).status_code == 200  # another team is not affected


def test_tokens_per_minute(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, gateway={"key_limits": {"tokens_per_minute": 10}})
    with live_gateway(settings) as live:
        key = live.create_key(team="t")
        assert _post(live, key).status_code == 200  # ~9 tokens
        assert _post(live, key).status_code == 200  # now over: known only after the call
        refused = _post(live, key)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limit_tokens"


def test_team_isolation_of_logs_usage_and_feedback(live: Live) -> None:
    search, ads = live.create_key(team="search"), live.create_key(team="ads")
    rid = _post(live, search).headers["x-shoal-request-id"]
    _post(live, ads)
    mine = _get(live, search, "/v1/requests").json()["data"]
    assert [r["request_id"] for r in mine] == [rid] and all(r["team"] == "search" for r in mine)
    assert _get(live, search, "/v1/requests?team=ads").status_code == 403
    assert _get(live, ads, f"/v1/requests/{rid}").status_code == 404
    assert _get(live, search, f"/v1/requests/{rid}").json()["request_id"] == rid
    usage = _get(live, search, "/v1/usage?group_by=team").json()["data"]
    assert [u["group"] for u in usage] == ["search"]
    assert _get(live, ads, "/v1/usage?team=search").status_code == 403
    # feedback: only on your own team's requests
    assert _post(live, ads, "/v1/feedback", {"request_id": rid, "rating": -1}).status_code == 404
    fb = _post(live, search, "/v1/feedback", {"request_id": rid, "rating": -1, "correction": "Paris, France."})
    assert fb.status_code == 200, fb.text
    stored = live.store.get_feedback(fb.json()["id"])
    assert stored.original_response == "The capital of France is Paris." and stored.team == "search"
    assert len(_get(live, search, "/v1/feedback").json()["data"]) == 1
    assert _get(live, ads, "/v1/feedback").json()["data"] == []
    assert len(_get(live, ADMIN_KEY, "/v1/requests").json()["data"]) == 2


@pytest.mark.parametrize(("body", "where"), [
    ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
    ({"model": "cheap", "messages": []}, "messages"),
    ({"model": "cheap", "messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
    ({"model": "cheap", "messages": [{"role": "user", "content": [{"type": "audio"}]}]}, "messages[0].content[0].type"),
    ({"model": "cheap", "messages": [{"role": "user", "content": "hi"}], "temperature": 7}, "temperature"),
    ({"model": "cheap", "messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
    ({"model": "cheap", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "web"}]}, "tools[0].type"),
])
def test_schema_errors_name_the_field(live: Live, body: dict[str, Any], where: str) -> None:
    response = _post(live, live.create_key(), body=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(where + ":")


def test_bad_json_size_limit_and_unknown_model(tmp_path: Path) -> None:
    with live_gateway(make_settings(tmp_path, gateway={"max_body_bytes": 2048})) as live:
        key = live.create_key()
        headers = {"Authorization": f"Bearer {key}", "content-type": "application/json"}
        not_json = httpx.post(live.url + "/v1/chat/completions", headers=headers, content=b"{oops")
        assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["error"]["message"]
        array = httpx.post(live.url + "/v1/chat/completions", headers=headers, content=b"[1]")
        assert array.status_code == 400 and "JSON object" in array.json()["error"]["message"]
        big = _post(live, key, body={**CHAT, "messages": [{"role": "user", "content": "x" * 5000}]})
        assert big.status_code == 413 and "2048" in big.json()["error"]["message"]
        unknown = _post(live, key, body={**CHAT, "model": "no-such-model"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
        records = live.store.query_requests()
    assert len(records) == 4 and sorted(r.status for r in records) == [400, 400, 404, 413]


def test_keys_never_appear_in_logs_errors_or_metrics(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    key = live.create_key(team="search")
    _post(live, key)
    _post(live, key, body={"model": "nope", "messages": [{"role": "user", "content": "hi"}]})
    _post(live, key + "x")
    metrics = httpx.get(live.url + "/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).text
    assert 'shoal_requests_total{endpoint="chat",model="cheap",team="search",status="200"} 1' in metrics
    assert "shoal_request_duration_seconds_bucket" in metrics
    live.store.flush()
    journal = b"".join(p.read_bytes() for p in (live.settings.data_dir / "journal").glob("*.jsonl"))
    db = (live.settings.data_dir / "shoal.db").read_bytes()
    for blob in (metrics.encode(), journal, db, caplog.text.encode()):
        assert key.encode() not in blob and key[9:].encode() not in blob


def test_health_ready_and_openapi(live: Live) -> None:
    assert httpx.get(live.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(live.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["store"] is True
    doc = httpx.get(live.url + "/openapi.json").json()
    assert "/v1/chat/completions" in doc["paths"] and doc["openapi"].startswith("3.")
    assert httpx.get(live.url + "/v1/nothing").status_code == 404
    assert httpx.get(live.url + "/v1/chat/completions").status_code == 405


def test_client_disconnect_cancels_the_upstream_stream(tmp_path: Path) -> None:
    models = {"slow": {"provider": "testing", "options": {"responses": [" ".join(["word"] * 200)], "delay_s": 0.05}}}
    with live_gateway(make_settings(tmp_path, models=models, default_model="slow")) as live:
        key = live.create_key()
        with httpx.stream("POST", live.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                          json={"model": "slow", "stream": True, "messages": [{"role": "user", "content": "go"}]}
                          ) as response:
            for _ in response.iter_bytes():
                break  # read one chunk and hang up
        deadline = time.monotonic() + 5
        records: list[Any] = []
        while time.monotonic() < deadline and not records:
            records = live.store.query_requests()
            time.sleep(0.05)
    assert len(records) == 1
    assert records[0].status == 499 and "cancelled" in (records[0].error or "")
    assert records[0].latency_ms < 5000  # 200 words at 50 ms each would take 10 s
