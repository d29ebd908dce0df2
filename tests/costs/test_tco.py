"""Build / buy / blend projections and the router what-if, checked against hand-computed figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from shoal.cli import cli
from shoal.config import load_settings
from shoal.costs.config import CostsConfig, assumptions
from shoal.costs.tco import project
from shoal.costs.traffic import ModelTraffic, RouterPoint, Traffic
from shoal.costs.whatif import curve, router_models
from shoal.models.types import ModelSpec, Pricing
from shoal.store import RequestRecord
from shoal.wiring import open_store

GPT = ModelSpec("gpt", "testing", "gpt", locality="external", pricing=Pricing(2.5, 10.0))
LLAMA = ModelSpec("llama", "testing", "llama", locality="self_hosted",
                  pricing=Pricing(hourly_usd=2.0, gpus=1, max_tokens_per_s=500, setup_usd=6000))
CFG = CostsConfig(peak_headroom=1.25, engineer_hourly_usd=100, ops_hours_self_hosted=40, ops_hours_api=4,
                  amortisation_months=24, month_hours=730)
# 73 observed hours: a month is 10 windows.
TRAFFIC = Traffic(hours=73.0, peak_tokens_per_s=600.0, models=(
    ModelTraffic("llama", 600, 300_000, 100_000, 0.2, 200, peak_tokens_per_s=3.0),
    ModelTraffic("gpt", 400, 200_000, 100_000, 1.5, 0)))
QUALITY = {"gpt": 0.9, "llama": 0.7}


def test_buy_puts_everything_on_the_strongest_external_model_at_list_prices() -> None:
    buy = project(TRAFFIC, [GPT, LLAMA], CFG, QUALITY).option("buy")
    # (500k × 2.5 + 200k × 10) / 1M = $3.25 per window × 10 + 4 h × $100 of operations.
    assert buy.models == ["gpt"]
    assert buy.monthly_usd == pytest.approx(32.5 + 400)
    assert buy.setup_usd == 0
    assert buy.confidential_outside_share == pytest.approx(200 / 1000)
    assert buy.quality == 0.9


def test_build_sizes_gpus_for_the_peak_and_amortises_setup() -> None:
    build = project(TRAFFIC, [GPT, LLAMA], CFG, QUALITY).option("build")
    # ceil(600 tokens/s × 1.25 / 500 per GPU) = 2 GPUs × $2 × 730 h = $2,920; $6,000 / 24 = $250; 40 h × $100.
    assert build.gpus == 2
    assert build.monthly_usd == pytest.approx(2920 + 250 + 4000)
    assert build.setup_usd == 6000
    assert build.confidential_outside_share == 0
    assert build.quality == 0.7


def test_blend_keeps_the_observed_mix() -> None:
    blend = project(TRAFFIC, [GPT, LLAMA], CFG, QUALITY).option("blend")
    # llama: 1 GPU (its own peak, 3 tokens/s, needs one) × $2 × 730 = $1,460 + $250 setup share;
    # gpt: recorded $1.50 × 10; operations for both kinds: 40 h + 4 h at $100.
    assert blend.gpus == 1
    assert blend.monthly_usd == pytest.approx(1460 + 250 + 15 + 4000 + 400)
    assert blend.setup_usd == 6000
    assert blend.confidential_outside_share == 0  # no sensitive request went to gpt
    assert blend.quality == pytest.approx((0.7 * 600 + 0.9 * 400) / 1000)


def test_blend_counts_sensitive_requests_an_external_model_served() -> None:
    leaky = Traffic(hours=73.0, peak_tokens_per_s=1.0, models=(ModelTraffic("gpt", 10, 100, 100, 0.0, 3),))
    assert project(leaky, [GPT, LLAMA], CFG).option("blend").confidential_outside_share == pytest.approx(0.3)


def test_configured_buy_and_build_models_and_unknown_names() -> None:
    from shoal.errors import ConfigError

    cfg = CostsConfig(buy_model="llama")
    assert project(TRAFFIC, [GPT, LLAMA], cfg).option("buy").models == ["llama"]
    with pytest.raises(ConfigError, match="costs.build_model"):
        project(TRAFFIC, [GPT, LLAMA], CostsConfig(build_model="nope"))


def test_what_if_re_decides_router_traffic_at_each_threshold() -> None:
    points = [RouterPoint(0.6, "llama", 100, 50_000, 10_000), RouterPoint(0.45, "llama", 100, 50_000, 10_000),
              RouterPoint(0.2, "gpt", 100, 50_000, 10_000)]
    assert router_models(points) == ("llama", "gpt")
    c = {round(p.threshold, 2): p for p in curve(points, LLAMA.pricing, GPT.pricing, 10.0, 0.9, [0.4, 0.5, 0.7])}
    per_token = 2.0 / (3600 * 500)  # llama's capacity rate
    strong = (50_000 * 2.5 + 10_000 * 10) / 1e6  # one point on gpt: $0.225
    # 0.4: two points on llama; quality 0.9 + (100 × 0.2 + 100 × −0.1) / 300.
    assert c[0.4].cheap_share == pytest.approx(2 / 3)
    assert c[0.4].monthly_usd == pytest.approx((120_000 * per_token + strong) * 10)
    assert c[0.4].quality == pytest.approx(0.9 + 10 / 300)
    # 0.5: only the 0.6 point stays on llama — dearer, but the 0.45 point no longer loses quality.
    assert c[0.5].monthly_usd == pytest.approx((60_000 * per_token + 2 * strong) * 10)
    assert c[0.5].quality == pytest.approx(0.9 + 20 / 300)
    assert c[0.7].cheap_share == 0 and c[0.7].quality == pytest.approx(0.9)


def test_every_assumption_has_a_source() -> None:
    rows = assumptions(CostsConfig(gpu_hourly_usd=3.0))
    assert all(r["source"] for r in rows)
    assert {r["name"]: r["default"] for r in rows}["gpu_hourly_usd"] is False


def test_tco_command_reads_the_log_and_prints_every_format(tmp_path: Path) -> None:
    config = tmp_path / "shoal.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "models": {
        "llama": {"provider": "testing", "locality": "self_hosted", "hourly_cost": 2.0, "max_tokens_per_s": 500,
                  "setup_cost": 6000},
        "gpt": {"provider": "testing", "locality": "external", "input_price": 2.5, "output_price": 10.0}},
        "costs": {"peak_headroom": 1.25, "ops_hours_api": 4, "ops_hours_self_hosted": 40}}))
    t0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    store = open_store(load_settings(config))
    for i in range(10):
        hr = i < 4
        store.record_request(RequestRecord(
            request_id=f"r{i}", ts=t0 + 60 * i, team="hr" if hr else "eng", served_model="llama" if hr else "gpt",
            sensitivity="confidential" if hr else "public", prompt_tokens=1000, completion_tokens=500,
            cost_usd=0.0 if hr else 0.0075))
    store.close()
    runner = CliRunner()
    args = ["--config", str(config), "tco", "--since", "2026-01-01", "--until", "2026-01-01T07:18:00"]
    out = runner.invoke(cli, [*args, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    opts = {o["name"]: o for o in data["options"]}
    # 7.3 hours observed: ×100 for a month. Buy: 10 × (1000 × 2.5 + 500 × 10) / 1M = $0.075 → $7.50 + $400.
    assert data["month_factor"] == pytest.approx(100)
    assert opts["buy"]["monthly_usd"] == pytest.approx(7.5 + 400)
    assert opts["buy"]["confidential_outside_share"] == pytest.approx(0.4)
    # Peak minute: 1,500 tokens = 25 tokens/s → 1 GPU × $2 × 730 + $250 + $4,000.
    assert opts["build"]["monthly_usd"] == pytest.approx(1460 + 250 + 4000)
    assert opts["blend"]["monthly_usd"] == pytest.approx(1460 + 250 + 6 * 0.0075 * 100 + 4000 + 400)
    assert opts["blend"]["confidential_outside_share"] == 0
    csv_out = runner.invoke(cli, [*args, "--csv"]).stdout.splitlines()
    assert csv_out[0].startswith("option,") and len(csv_out) == 4
    assert "<table>" in runner.invoke(cli, [*args, "--html"]).stdout
    text = runner.invoke(cli, [*args], env={"COLUMNS": "200"})
    assert text.exit_code == 0 and "peak_headroom" in text.stdout and "Blend" in text.stdout
