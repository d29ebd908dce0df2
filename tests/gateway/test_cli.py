"""``shoal keys``, ``shoal logs`` and ``shoal usage`` on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from shoal.cli import cli
from shoal.config import load_settings
from shoal.store import RequestRecord
from shoal.wiring import open_store


def test_keys_logs_and_usage(tmp_path: Path) -> None:
    config = tmp_path / "shoal.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "models": {
        "small": {"provider": "testing", "input_price": 0.1, "output_price": 0.4},
        "big": {"provider": "testing", "input_price": 2.5, "output_price": 10.0}}}))
    runner = CliRunner()
    created = runner.invoke(cli, ["--config", str(config), "keys", "create", "--team", "search", "--user", "ann",
                                  "--usd-day", "5", "--groups", "hr,eng"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("sk-shoal-")
    listed = runner.invoke(cli, ["--config", str(config), "keys", "list"], env={"COLUMNS": "300"})
    assert "search" in listed.output and secret not in listed.output and "usd_per_day=5" in listed.output
    store = open_store(load_settings(config))
    key_id = store.list_keys()[0].key_id
    for i, (team, model, cost) in enumerate([("search", "small", 0.0005), ("search", "small", 0.0005),
                                             ("ads", "big", 0.0125)]):
        store.record_request(RequestRecord(request_id=f"r{i}", ts=1_900_000_000.0 + i, team=team, served_model=model,
                                           prompt_tokens=1000, completion_tokens=1000, cost_usd=cost,
                                           response_text=f"answer {i}"))
    store.close()
    logs = runner.invoke(cli, ["--config", str(config), "logs", "--team", "search", "--content"])
    assert logs.exit_code == 0, logs.output
    assert logs.output.count("team=search") == 2 and "ads" not in logs.output and "answer 1" in logs.output
    usage = runner.invoke(cli, ["--config", str(config), "usage", "--by", "team", "--since", "2020-01-01", "--json"])
    data = json.loads(usage.stdout)
    rows = {r["group"]: r for r in data["rows"]}
    assert data["baseline_model"] == "big"
    # Everything on "big" would cost 2 × (1000 × 2.5 + 1000 × 10) / 1e6 = 0.025 $ for search.
    assert abs(rows["search"]["baseline_usd"] - 0.025) < 1e-9 and abs(rows["search"]["saved_usd"] - 0.024) < 1e-9
    assert abs(rows["ads"]["saved_usd"]) < 1e-9
    revoked = runner.invoke(cli, ["--config", str(config), "keys", "revoke", key_id])
    assert revoked.exit_code == 0
    store = open_store(load_settings(config))
    assert store.find_key(secret) is None
    store.close()
