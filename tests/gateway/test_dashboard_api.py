"""The dashboard's JSON API on a live gateway: team scoping, content visibility, TCO what-if."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shoal.store import RequestRecord
from shoal.store.records import Limits
from tests.gateway.conftest import ADMIN_KEY, Live, live_gateway, make_settings

MODELS = {
    "llama": {"provider": "testing", "locality": "self_hosted", "hourly_cost": 2.0, "max_tokens_per_s": 500},
    "gpt": {"provider": "testing", "locality": "external", "input_price": 2.5, "output_price": 10.0},
}


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Live]:
    settings = make_settings(tmp_path, models=MODELS, default_model="gpt")
    with live_gateway(settings) as live:
        now = time.time()
        for i in range(40):
            team = "hr" if i % 2 == 0 else "eng"
            sensitive = team == "hr"
            live.store.record_request(RequestRecord(
                request_id=f"req-{i:03d}", ts=now - 3600 + i * 30, team=team, user=f"u{i % 3}",
                served_model="llama" if sensitive else "gpt", route="privacy" if sensitive else "router",
                route_reasons=["privacy:self_hosted-only"] if sensitive else [(f"router:p_ok={0.3 + i % 5 / 10:.2f}"
                                                                                ">=0.50→gpt")],
                sensitivity="confidential" if sensitive else "public",
                sensitivity_reasons=["topic:compensation"] if sensitive else [],
                prompt_tokens=100, completion_tokens=50, cost_usd=0.0 if sensitive else 0.00075, latency_ms=120.0,
                request_messages=[{"role": "user", "content": f"secret salary question {i}"}],
                response_text=f"answer {i}"))
        live.store.flush()
        yield live


def _get(gw: Live, key: str, path: str, **params: object) -> httpx.Response:
    return httpx.get(f"{gw.url}/v1/dashboard/{path}", params=params, headers={"authorization": f"Bearer {key}"})


def test_assets_are_served_from_the_package_with_a_strict_policy(gw: Live) -> None:
    page = httpx.get(f"{gw.url}/dashboard")
    assert page.status_code == 200 and "<title>Shoal dashboard</title>" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{gw.url}/dashboard/app.js").headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{gw.url}/dashboard/nope.js").status_code == 404


def test_a_team_key_sees_only_its_team(gw: Live) -> None:
    eng = gw.create_key(team="eng", user="ann")
    assert _get(gw, eng, "whoami").json() == {"admin": False, "team": "eng", "user": "ann", "teams": ["eng"]}
    assert _get(gw, eng, "overview").json()["totals"]["requests"] == 20
    assert _get(gw, ADMIN_KEY, "overview").json()["totals"]["requests"] == 40
    denied = _get(gw, eng, "overview", team="hr")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "team_forbidden"
    rows = _get(gw, eng, "requests").json()["data"]
    assert len(rows) == 20 and {r["team"] for r in rows} == {"eng"}
    assert _get(gw, eng, "requests/req-000").status_code == 404  # an hr request
    no_team = gw.create_key(user="solo")
    assert _get(gw, no_team, "overview").status_code == 403
    assert _get(gw, "wrong", "overview").status_code == 401


def test_request_pages_walk_the_log_and_content_follows_the_rules(gw: Live) -> None:
    first = _get(gw, ADMIN_KEY, "requests", limit=15).json()
    second = _get(gw, ADMIN_KEY, "requests", limit=15, **first["next"]).json()
    ids = [r["request_id"] for r in first["data"] + second["data"]]
    assert ids == [f"req-{i:03d}" for i in range(39, 9, -1)]
    hr = gw.create_key(team="hr")
    own_sensitive = _get(gw, hr, "requests/req-002").json()
    assert own_sensitive["content_visible"] is False and "request_messages" not in own_sensitive
    assert _get(gw, ADMIN_KEY, "requests/req-002").json()["response_text"] == "answer 2"
    eng = gw.create_key(team="eng")
    assert _get(gw, eng, "requests/req-001").json()["response_text"] == "answer 1"
    privacy = _get(gw, ADMIN_KEY, "privacy").json()
    assert privacy["sensitive_requests"] == 20 and privacy["kept_self_hosted"] == 20 and privacy["sent_outside"] == 0
    assert "salary" not in str(privacy)


def test_spend_routing_and_tco_use_the_self_hosted_allocation(gw: Live) -> None:
    spend = _get(gw, ADMIN_KEY, "spend").json()
    assert {r["group"] for r in spend["groups"]["team"]} == {"hr", "eng"}
    hr = next(t for t in spend["allocated"]["teams"] if t["team"] == "hr")
    assert hr["recorded_usd"] == 0 and hr["allocated_usd"] > 0  # llama's GPU time is not free
    routing = _get(gw, ADMIN_KEY, "routing").json()
    assert routing["router"]["decided"] == 20 and routing["savings"]["baseline_model"] == "gpt"
    base = _get(gw, ADMIN_KEY, "tco").json()
    build = next(o for o in base["options"] if o["name"] == "build")
    dearer = _get(gw, ADMIN_KEY, "tco", **{"a.ops_hours_self_hosted": "80"}).json()
    build2 = next(o for o in dearer["options"] if o["name"] == "build")
    assert build2["monthly_usd"] == pytest.approx(build["monthly_usd"] + 40 * 100)
    assert _get(gw, ADMIN_KEY, "tco", **{"a.peak_headroom": "0.5"}).status_code == 400
    for page in ("evals", "feedback", "models"):
        assert _get(gw, ADMIN_KEY, page).status_code == 200, page


def test_a_streamed_request_records_its_time_to_first_token(gw: Live) -> None:
    key = gw.create_key(team="eng", user="ann")
    with httpx.stream("POST", f"{gw.url}/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                      json={"model": "gpt", "stream": True, "messages": [{"role": "user", "content": "hi there"}]},
                      timeout=30) as r:
        assert r.status_code == 200
        rid = r.headers["x-shoal-request-id"]
        body = "".join(r.iter_text())
    assert "[DONE]" in body
    plain = httpx.post(f"{gw.url}/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                       json={"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}, timeout=30)
    assert plain.status_code == 200
    gw.store.flush()
    rec = gw.store.get_request(rid)
    assert rec.stream and rec.ttft_ms is not None and 0 < rec.ttft_ms <= rec.latency_ms
    assert gw.store.get_request(plain.headers["x-shoal-request-id"]).ttft_ms is None
    totals = _get(gw, key, "overview").json()["totals"]
    assert totals["streamed"] == 1 and totals["requests"] == 22
    assert totals["ttft_ms_p50"] is not None and totals["ttft_ms_p95"] >= totals["ttft_ms_p50"]


def test_spend_shows_models_and_the_budgets_that_exist(gw: Live) -> None:
    spend = _get(gw, ADMIN_KEY, "spend").json()
    assert {r["group"]: r["requests"] for r in spend["groups"]["model"]} == {"gpt": 20, "llama": 20}
    assert spend["budgets"] == []  # no key or team has a budget
    key, _ = gw.store.create_key(team="eng", user="bo", name="bo's key", limits=Limits(usd_per_day=2.0))
    gw.store.record_request(RequestRecord(request_id="req-budget", ts=time.time(), team="eng", user="bo",
                                          key_id=key.key_id, served_model="gpt", cost_usd=0.5))
    gw.store.flush()
    budgets = _get(gw, ADMIN_KEY, "spend").json()["budgets"]
    assert [(b["name"], b["spent_today"], b["day_used"]) for b in budgets] == [("bo's key", 0.5, 0.25)]
    hr = gw.create_key(team="hr")
    assert _get(gw, hr, "spend").json()["budgets"] == []  # another team's key budget stays hidden
