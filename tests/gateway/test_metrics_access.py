"""/metrics: readable with the admin key or the scrape key only; model labels bounded by configuration."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.gateway.conftest import ADMIN_KEY, live_gateway, make_settings

SCRAPE_KEY = "scrape-key-0123456789abcdef"


def test_metrics_need_the_admin_or_scrape_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOAL_METRICS_KEY", SCRAPE_KEY)
    with live_gateway(make_settings(tmp_path)) as live:
        team_key = live.create_key(team="search")
        httpx.post(live.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {team_key}"},
                   json={"model": "cheap", "messages": [{"role": "user", "content": "hi"}]}).raise_for_status()
        anonymous = httpx.get(live.url + "/metrics")
        assert anonymous.status_code == 401 and "search" not in anonymous.text
        as_team = httpx.get(live.url + "/metrics", headers={"Authorization": f"Bearer {team_key}"})
        assert as_team.status_code == 403 and as_team.json()["error"]["code"] == "admin_required"
        assert "search" not in as_team.text
        wrong = httpx.get(live.url + "/metrics", headers={"Authorization": f"Bearer {SCRAPE_KEY}x"})
        assert wrong.status_code == 401
        for key in (ADMIN_KEY, SCRAPE_KEY):
            ok = httpx.get(live.url + "/metrics", headers={"Authorization": f"Bearer {key}"})
            assert ok.status_code == 200 and 'team="search"' in ok.text
        # the scrape key is good for /metrics and nothing else
        other = httpx.get(live.url + "/v1/usage", headers={"Authorization": f"Bearer {SCRAPE_KEY}"})
        assert other.status_code == 401


def test_model_labels_are_bounded(tmp_path: Path) -> None:
    with live_gateway(make_settings(tmp_path)) as live:
        key = live.create_key(team="search")
        for i in range(30):
            httpx.post(live.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                       json={"model": f"made-up-{i}", "messages": [{"role": "user", "content": "hi"}]})
        httpx.post(live.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                   json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
        httpx.post(live.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                   json={"model": "cheap", "messages": [{"role": "user", "content": "hi"}]})
        text = httpx.get(live.url + "/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).text
    assert not any("made-up" in line for line in text.splitlines())
    assert "gpt-4o-mini" not in text
    assert 'model="cheap"' in text


def test_metrics_label_mapping() -> None:
    from shoal.gateway.metrics import Metrics

    m = Metrics(frozenset({"cheap"}))
    assert [m.model_label(n) for n in ("cheap", "-", "gpt-9", "")] == ["cheap", "-", "other", "other"]
