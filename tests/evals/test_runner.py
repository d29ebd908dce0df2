"""The runner: results, cache (a repeated run makes no model call), budget cap, per-item errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from shoal.evals import store
from shoal.evals.runner import arun_eval, load_run
from tests.evals.conftest import requests_made


async def test_run_scores_and_stores_everything(project) -> None:
    settings, catalog, spec = project()
    result = await arun_eval(spec, settings, catalog)
    run_dir = result.run_dir
    assert run_dir.parent == settings.paths.data_dir / "evals" / "runs"
    for name in ("spec.yaml", "results.jsonl", "per_item.csv", "summary.json", "report.html", "items.jsonl"):
        assert (run_dir / name).is_file(), name
    strong, weak = result.summary.target("strong"), result.summary.target("weak")
    assert strong is not None and weak is not None
    assert strong.metrics["contains"].mean == 1.0
    assert weak.metrics["contains"].mean == 0.25  # only the 240 hours answer contains its reference
    assert strong.quality is not None and weak.quality is not None and strong.quality > weak.quality
    assert strong.cost_per_1k_usd is not None and strong.cost_per_1k_usd > 0
    assert weak.cost_per_1k_usd == 0
    assert strong.localities == ["external"] and weak.localities == ["self_hosted"]
    assert set(strong.segments) == {"leave", "hr", "it"}
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    assert len(lines) == 8
    assert [json.loads(x)["item_id"] for x in lines[:2]] == ["q1", "q1"]


async def test_second_run_makes_no_model_calls(project) -> None:
    settings, catalog, spec = project(spec={"metrics": ["contains", {"name": "judge", "params": {"model": "weak"}}]})
    first = await arun_eval(spec, settings, catalog)
    calls_strong, calls_weak = requests_made(catalog, "strong"), requests_made(catalog, "weak")
    assert calls_strong == 4 and calls_weak == 4 + 8  # weak answers 4 items and judges 8 answers
    assert first.summary.fresh_calls == 16 and first.summary.spent_usd > 0
    second = await arun_eval(spec, settings, catalog)
    assert requests_made(catalog, "strong") == calls_strong
    assert requests_made(catalog, "weak") == calls_weak
    assert second.summary.fresh_calls == 0 and second.summary.spent_usd == 0
    assert second.summary.cache_hits == 16
    # Same answers, same scores, and the cost of the answers is still reported (not what was paid).
    a = {(r.item_id, r.target): (r.output, r.scores) for r in first.records}
    b = {(r.item_id, r.target): (r.output, r.scores) for r in second.records}
    assert a == b
    assert second.summary.target("strong").cost_per_1k_usd == first.summary.target("strong").cost_per_1k_usd
    assert all(r.cached for r in second.records)


async def test_cache_key_changes_with_the_request(project) -> None:
    settings, catalog, spec = project()
    await arun_eval(spec, settings, catalog)
    before = requests_made(catalog, "strong")
    _, catalog2, spec2 = project(spec={"system": "Answer briefly."})
    await arun_eval(spec2, settings, catalog2)
    assert requests_made(catalog2, "strong") == 4  # a new system prompt is a new request
    assert before == 4


async def test_budget_cap_stops_spending_and_reports_skips(project) -> None:
    models = {"pricey": {"provider": "oracle", "input_price": 1000.0, "output_price": 1000.0,
                         "options": {"answers": {}, "default": "fine"}}}
    settings, catalog, spec = project(models=models, spec={"targets": ["pricey"], "budget_usd": 0.05,
                                                         "max_tokens": 5, "concurrency": 1})
    result = await arun_eval(spec, settings, catalog)
    statuses = [r.status for r in result.records]
    assert "skipped_budget" in statuses and "ok" in statuses
    ok = statuses.count("ok")
    assert requests_made(catalog, "pricey") == ok
    assert result.summary.spent_usd <= 0.05
    assert result.summary.skipped_budget == statuses.count("skipped_budget")
    t = result.summary.target("pricey")
    assert t is not None and t.skipped_budget == result.summary.skipped_budget
    assert t.quality_items == ok  # skipped items are left out, not scored 0
    # the per-item file leaves skipped items empty instead of inventing a score
    rows = list(csv.DictReader(store.per_item_file(settings.runs_dir, result.run_id).open()))
    assert sum(1 for r in rows if r["pricey"] == "") == result.summary.skipped_budget
    # The cap is per run: a second run gets the answers it already has for free and spends its
    # budget on items still missing, never on one it already paid for.
    result2 = await arun_eval(spec, settings, catalog, run_id="more")
    assert result2.summary.cache_hits == ok
    assert [r.status for r in result2.records].count("ok") == ok + result2.summary.fresh_calls
    assert requests_made(catalog, "pricey") == ok + result2.summary.fresh_calls
    assert result2.summary.spent_usd <= 0.05


async def test_errors_are_recorded_per_item_and_the_run_goes_on(project) -> None:
    models = {"ok": {"provider": "oracle", "options": {"answers": {}, "default": "240 hours"}},
              "down": {"provider": "testing", "options": {"fail_with": "unavailable"}}}
    settings, catalog, spec = project(models=models, spec={"targets": ["ok", "down"]})
    result = await arun_eval(spec, settings, catalog)
    down = result.summary.target("down")
    assert down is not None and down.errors == 4 and down.error_rate == 1.0
    assert down.quality == 0.0  # an error counts as a failed answer, not as missing
    assert all("UnavailableError" in r.error for r in result.records if r.target == "down")
    assert result.summary.target("ok").ok == 4


async def test_samples_and_consistency(project) -> None:
    settings, catalog, spec = project(spec={"samples": 3, "targets": ["strong"], "temperature": 0.7})
    result = await arun_eval(spec, settings, catalog)
    assert len(result.records) == 12
    assert {r.sample for r in result.records} == {0, 1, 2}
    assert result.summary.target("strong").consistency == 1.0  # the oracle always says the same
    assert requests_made(catalog, "strong") == 12  # each sample is its own cache entry


async def test_per_item_file_is_the_router_format(project) -> None:
    settings, catalog, spec = project()
    result = await arun_eval(spec, settings, catalog)
    path = store.per_item_file(settings.runs_dir, result.run_id)
    assert path == result.run_dir / "per_item.csv"
    assert store.per_item_file(settings.runs_dir, str(result.run_dir)) == path
    assert store.per_item_file(settings.runs_dir, "latest") == path
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == ["prompt", "weak", "strong"]
    assert rows[0]["prompt"] == "How many hours of annual leave can you carry over?"
    assert float(rows[1]["strong"]) > float(rows[1]["weak"])
    from shoal.routing.data import load_items

    table = load_items([path], ["weak", "strong"])
    assert len(table) == 4


async def test_load_run_and_unknown_run(project) -> None:
    from shoal.errors import NotFoundError

    settings, catalog, spec = project()
    result = await arun_eval(spec, settings, catalog, run_id="named")
    loaded = load_run(settings.runs_dir, "named")
    assert loaded.summary.run_id == "named" and len(loaded.records) == len(result.records)
    assert [i.id for i in loaded.items] == ["q1", "q2", "q3", "q4"]
    with pytest.raises(NotFoundError, match="no eval run"):
        load_run(settings.runs_dir, "nope")


async def test_python_api_overrides_models_and_dataset(project, tmp_path: Path) -> None:
    settings, catalog, spec = project()
    held_out = tmp_path / "held.jsonl"
    held_out.write_text(json.dumps({"id": "h1", "input": "annual leave?", "reference": "240 hours"}) + "\n")
    result = await arun_eval(spec, settings, catalog, models=["strong"], dataset=held_out)
    assert [t.target for t in result.summary.targets] == ["strong"]
    assert result.summary.n_items == 1


async def test_route_target_goes_through_the_policy_and_keeps_sensitive_items_home(project) -> None:
    items = [{"id": "plain", "input": "How many weeks of paid parental leave?", "reference": "12 weeks"},
             {"id": "pii", "input": "My SSN is 078-05-1120; how many weeks of parental leave do I get?",
              "reference": "12 weeks"}]
    settings, catalog, spec = project(items=items, extra={"default_model": "strong"},
                                      spec={"targets": [{"name": "auto", "route": "auto"}]})
    result = await arun_eval(spec, settings, catalog)
    served = {r.item_id: r for r in result.records}
    assert served["plain"].model == "strong" and served["plain"].locality == "external"
    assert served["pii"].model == "weak" and served["pii"].locality == "self_hosted"
    assert served["pii"].sensitive and any("privacy" in reason for reason in served["pii"].route_reasons)
    auto = result.summary.target("auto")
    assert auto is not None and auto.sensitive_external == 0
    assert all(r.messages[-1].text != items[1]["input"] for r in catalog.chat_model("strong").requests)
