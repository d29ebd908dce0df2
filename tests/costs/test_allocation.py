"""Self-hosted cost: capacity rate per request, provisioned time allocated by tokens over a window."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from shoal.cli import cli
from shoal.config import load_settings
from shoal.costs.allocation import UsageCell, allocate, window_hours
from shoal.models.types import Pricing, Usage
from shoal.store import RequestRecord
from shoal.wiring import open_store


def test_a_request_on_an_hourly_model_is_charged_at_the_capacity_rate() -> None:
    # $3.60 per GPU-hour at 500 tokens/s per GPU: 3.60 / (3600 × 500) = $0.000002 per token.
    p = Pricing(hourly_usd=3.6, gpus=2, max_tokens_per_s=500)
    assert p.cost(Usage(700, 300)) == pytest.approx(1000 * 0.000002)
    assert p.provisioned_per_hour == pytest.approx(7.2)
    assert Pricing(1.0, 2.0).cost(Usage(1_000_000, 500_000)) == pytest.approx(2.0)
    # No throughput configured: the documented default (1,000 tokens/s per GPU).
    assert Pricing(hourly_usd=3.6).cost(Usage(1000, 0)) == pytest.approx(1000 * 3.6 / 3_600_000)


def test_provisioned_time_is_shared_by_tokens_and_idle_capacity_is_reported() -> None:
    pricing = {"llama": Pricing(hourly_usd=2.5, gpus=2), "spare": Pricing(hourly_usd=1.0),
               "gpt": Pricing(2.5, 10.0)}
    cells = [UsageCell("hr", "llama", 3000, 0.01), UsageCell("eng", "llama", 1000, 0.001),
             UsageCell("eng", "gpt", 2000, 0.5)]
    a = allocate(cells, pricing, hours=10.0)
    # llama: 2.5 × 2 × 10 h = $50, hr sent 3/4 of its tokens, eng 1/4; gpt keeps its recorded cost.
    assert a.by_group == pytest.approx({"hr": 37.5, "eng": 12.5 + 0.5})
    assert a.idle_usd == pytest.approx({"spare": 10.0})
    assert a.total_usd == pytest.approx(60.5)
    # One team's part of the traffic carries only its share of everything the model served.
    part = allocate([UsageCell("eng", "llama", 1000, 0.0)], pricing, 10.0, served_by_model={"llama": 4000})
    assert part.by_group == pytest.approx({"eng": 12.5}) and part.idle_usd == {}


def test_window_starts_no_earlier_than_the_log() -> None:
    assert window_hours(0.0, 7200.0, 3600.0) == pytest.approx(1.0)
    assert window_hours(0.0, 7200.0, None) == 0.0


def test_usage_no_longer_reports_self_hosted_traffic_as_free(tmp_path: Path) -> None:
    config = tmp_path / "shoal.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "models": {
        "llama": {"provider": "testing", "locality": "self_hosted", "hourly_cost": 2.5, "gpus": 2},
        "gpt": {"provider": "testing", "input_price": 2.5, "output_price": 10.0}}}))
    t0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    store = open_store(load_settings(config))
    rows = [("hr", "llama", 2000, 1000), ("eng", "llama", 500, 500), ("eng", "gpt", 1000, 1000)]
    for i, (team, model, p, c) in enumerate(rows):
        store.record_request(RequestRecord(request_id=f"r{i}", ts=t0 + 3600 + i, team=team, served_model=model,
                                           prompt_tokens=p, completion_tokens=c, cost_usd=0.0125 if model == "gpt"
                                           else 0.0))
    store.close()
    out = CliRunner().invoke(cli, ["--config", str(config), "usage", "--since", "2026-01-01",
                                   "--until", "2026-01-01T11:00:00", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    got = {r["group"]: r for r in data["rows"]}
    # The log starts at 01:00, so llama was provisioned 10 h: 2.5 × 2 × 10 = $50, shared 3000:1000.
    assert data["window_hours"] == pytest.approx(10.0)
    assert got["hr"]["cost_usd"] == pytest.approx(37.5)
    assert got["eng"]["cost_usd"] == pytest.approx(12.5 + 0.0125)
    # Baseline: everything on gpt. hr: (2000 × 2.5 + 1000 × 10) / 1e6 = $0.015 — self-hosting cost more.
    assert data["baseline_model"] == "gpt"
    assert got["hr"]["saved_usd"] == pytest.approx(0.015 - 37.5)
    team_only = CliRunner().invoke(cli, ["--config", str(config), "usage", "--team", "eng", "--since", "2026-01-01",
                                         "--until", "2026-01-01T11:00:00", "--json"])
    assert json.loads(team_only.stdout)["rows"][0]["cost_usd"] == pytest.approx(12.5 + 0.0125)
