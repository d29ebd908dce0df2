"""Learned router: per-item data loading, metrics on hand-computable data, calibration, training, files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from shoal.errors import ConfigError
from shoal.models.types import ChatRequest
from shoal.principal import Principal
from shoal.privacy.types import NOT_SENSITIVE
from shoal.routing.config import RouterTarget, RoutingConfig
from shoal.routing.data import ItemDataError, ItemTable, load_items
from shoal.routing.learned import LearnedRouter, calibration_table
from shoal.routing.metrics import (
    apgr,
    cpt,
    oracle_p_ok,
    random_p_ok,
    routing_curve,
    share_at_quality,
    summarize,
)
from shoal.routing.policy import PolicyEngine
from tests.routing.conftest import make_catalog, routing_of, scripted

W = np.array([0.0, 0.0, 1.0, 1.0])
S = np.array([1.0, 1.0, 1.0, 1.0])


# --- metrics -------------------------------------------------------------------------------------

def test_metrics_of_a_perfect_router_by_hand() -> None:
    c = routing_curve(np.array([0.1, 0.2, 0.3, 0.4]), W, S)
    assert c.shares.tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert c.quality.tolist() == [0.5, 0.75, 1, 1, 1]
    # PGR 0, .5, 1, 1, 1 → trapezoids .0625 + .1875 + .25 + .25
    assert apgr(c) == pytest.approx(0.75)
    assert cpt(c, 0.5) == pytest.approx(0.25)
    assert cpt(c, 0.8) == pytest.approx(0.25 + 0.25 * 0.3 / 0.5)
    assert share_at_quality(c, 0.95) == pytest.approx(0.25 + 0.25 * 0.2 / 0.25)
    m = summarize(np.array([0.1, 0.2, 0.3, 0.4]), W, S)
    assert m.saving_at_target == pytest.approx(0.55)


def test_metrics_of_worst_random_and_oracle() -> None:
    worst = routing_curve(np.array([0.4, 0.3, 0.2, 0.1]), W, S)
    assert apgr(worst) == pytest.approx(0.25)
    rnd = routing_curve(random_p_ok(4), W, S)  # one tie group: the straight line
    assert rnd.shares.tolist() == [0, 1] and apgr(rnd) == pytest.approx(0.5)
    assert cpt(rnd, 0.8) == pytest.approx(0.8)
    assert summarize(oracle_p_ok(W, S), W, S).apgr == pytest.approx(0.75)


def test_ties_are_averaged() -> None:
    # two tied items, one a strong-only win: the curve passes through the midpoint
    c = routing_curve(np.array([0.2, 0.2, 0.9, 0.9]), W, S)
    assert c.shares.tolist() == [0, 0.5, 1]
    assert cpt(c, 0.5) == pytest.approx(0.25)


# --- calibration -----------------------------------------------------------------------------------

def test_calibration_table_and_targets() -> None:
    p_ok = np.array([[0.1], [0.2], [0.3], [0.4]])
    scores = np.stack([W, S], axis=1)
    cal = calibration_table(p_ok, scores)
    # threshold t sends items with p_ok < t to the strong model
    assert cal.thresholds.tolist()[:5] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert cal.shares[:, 1].tolist() == [0, 0, 0.25, 0.5, 0.75, 1]
    assert cal.quality.tolist() == [0.5, 0.5, 0.75, 1, 1, 1]
    assert cal.threshold_for(RouterTarget(quality=0.95)) == pytest.approx(0.3)  # 50% strong, quality 1.0
    assert cal.threshold_for(RouterTarget(quality=0.7)) == pytest.approx(0.2)
    assert cal.threshold_for(RouterTarget(max_strong_share=0.3)) == pytest.approx(0.2)
    assert cal.threshold_for(RouterTarget(max_strong_share=0.0)) == pytest.approx(0.1)


def test_target_needs_exactly_one_goal() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        RouterTarget(quality=0.9, max_strong_share=0.2)
    with pytest.raises(ValueError, match="exactly one"):
        RouterTarget()


# --- data --------------------------------------------------------------------------------------------

def test_load_csv_jsonl_numeric_and_skips(tmp_path: Path) -> None:
    csv_path = tmp_path / "a.csv"
    csv_path.write_text('prompt,cheap,strong\n"multi\nline",True,False\nq2,0,1\n,True,True\nq4,maybe,True\n')
    t = load_items([csv_path], ["cheap", "strong"])
    assert t.prompts == ["multi\nline", "q2"] and t.scores.tolist() == [[1, 0], [0, 1]] and t.binary
    assert len(t.skipped) == 2 and "a.csv:5" in t.skipped[1] and "'maybe'" in t.skipped[1]

    jl = tmp_path / "b.jsonl"
    jl.write_text("\n".join([json.dumps({"prompt": "x", "cheap": 4, "strong": 10}),
                             "{not json", json.dumps({"prompt": "y", "cheap": 1, "strong": 7})]) + "\n")
    t = load_items([jl], ["cheap", "strong"], scale=(1, 10))
    assert t.scores.tolist() == [[pytest.approx(1 / 3), 1], [0, pytest.approx(2 / 3)]] and not t.binary
    assert t.skipped == [f"{jl}:2: invalid JSON (Expecting property name enclosed in double quotes)"]


def test_load_errors_name_the_problem(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("question,cheap\nq,1\n")
    with pytest.raises(ItemDataError, match="no 'prompt' column"):
        load_items([p], ["cheap", "strong"])
    p.write_text("prompt,cheap\nq,1\n")
    with pytest.raises(ItemDataError, match="no column for model.*strong"):
        load_items([p], ["cheap", "strong"])
    with pytest.raises(ItemDataError, match="not found"):
        load_items([tmp_path / "none.csv"], ["cheap", "strong"])


# --- training, scoring, files --------------------------------------------------------------------

def synthetic(n: int = 400, seed: int = 1) -> ItemTable:
    """Arithmetic proofs defeat the cheap model; capitals and greetings do not (with some noise)."""
    rng = random.Random(seed)
    prompts: list[str] = []
    rows: list[list[float]] = []
    for i in range(n):
        if i % 2:
            prompts.append(f"Prove the theorem about integral {rng.randint(0, 999)} and the series limit")
            rows.append([float(rng.random() < 0.2), float(rng.random() < 0.9)])
        else:
            prompts.append(f"What is the capital of country {rng.randint(0, 999)} please")
            rows.append([float(rng.random() < 0.95), float(rng.random() < 0.95)])
    return ItemTable(prompts, np.array(rows), ["cheap", "strong"])


@pytest.fixture(scope="module")
def trained() -> LearnedRouter:
    return LearnedRouter.train(synthetic(), target=RouterTarget(quality=0.95))


def test_router_learns_which_prompts_need_the_strong_model(trained: LearnedRouter) -> None:
    hard = trained.p_ok("Prove the theorem about integral 5 and the series limit")
    easy = trained.p_ok("What is the capital of country 5 please")
    assert hard < 0.4 and easy > 0.45
    test = synthetic(200, seed=2)
    chosen = np.array([trained.choose(p).index for p in test.prompts])
    assert chosen[1::2].mean() > 0.8  # hard prompts: mostly the strong model
    assert chosen[0::2].mean() < 0.05  # easy prompts: the cheap one
    m = summarize(trained.p_ok_batch(test.prompts)[:, 0], test.scores[:, 0], test.scores[:, 1])
    # perfect separation of the two halves gives APGR 0.75 here (PGR climbs to 1 at 50% strong calls)
    assert m.apgr > 0.7 and m.saving_at_target is not None and m.saving_at_target > 0.4
    exp = trained.expected()
    assert exp["quality_vs_strongest"] >= 0.95 and exp["shares"]["strong"] < 0.7


def test_reason_format(trained: LearnedRouter) -> None:
    r = trained.choose("What is the capital of country 1").reason("gpt-4o-mini")
    assert r.startswith("router:p_ok=") and ">=" in r and r.endswith("→gpt-4o-mini")
    r = trained.with_target(RouterTarget(max_strong_share=1.0)).choose("Prove the theorem about integral 1").reason(
        "gpt-4o")
    assert "<" in r and r.endswith("→gpt-4o")


def test_save_load_round_trip_without_pickle(trained: LearnedRouter, tmp_path: Path) -> None:
    path = trained.save(tmp_path / "r.npz")
    with np.load(path, allow_pickle=False) as z:  # every array loads without pickle
        assert {"meta", "coef", "vocabulary"} <= set(z.files)
    again = LearnedRouter.load(path)
    prompts = ["Prove the theorem about integral 3", "capital of country", "unseen words only"]
    assert np.allclose(again.p_ok_batch(prompts), trained.p_ok_batch(prompts), atol=1e-6)
    assert again.threshold == trained.threshold and again.models == ["cheap", "strong"]
    assert path.stat().st_size < 200_000


def test_with_target_recalibrates_without_data(trained: LearnedRouter) -> None:
    few = trained.with_target(RouterTarget(max_strong_share=0.1))
    assert few.expected()["shares"]["strong"] <= 0.1 + 1e-9
    assert few.threshold < trained.threshold and trained.target.quality == 0.95


def test_corrupt_router_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "r.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="not a usable router file"):
        LearnedRouter.load(bad)
    with pytest.raises(ConfigError, match="router file not found"):
        LearnedRouter.load(tmp_path / "missing.npz")


def test_numeric_and_three_model_training() -> None:
    rng = random.Random(3)
    prompts, rows = [], []
    for i in range(300):
        hard = i % 3 == 0
        prompts.append(("derive the proof of lemma " if hard else "say hello to friend ") + str(rng.randint(0, 99)))
        rows.append([0.1 if hard else 0.9, 0.5 if hard else 0.9, 0.9])
    r = LearnedRouter.train(ItemTable(prompts, np.array(rows), ["s", "m", "l"]), target=RouterTarget(quality=0.95))
    assert r.p_ok_all("say hello to friend 5").shape == (2,)
    assert r.choose("say hello to friend 5").index == 0
    assert r.choose("derive the proof of lemma 5").index == 2


def test_policy_uses_the_router_and_maps_models(trained: LearnedRouter, tmp_path: Path) -> None:
    path = trained.save(tmp_path / "r.npz")
    routing = {"router": {"file": str(path), "models": ["mini", "big"]}}
    catalog = make_catalog({"local": ("self_hosted", scripted()), "mini": ("external", scripted()),
                            "big": ("external", scripted())}, routing)
    e = PolicyEngine(routing_of(catalog), catalog)
    d = e.route(ChatRequest.of("What is the capital of country 9 please"), NOT_SENSITIVE, requested="auto",
                principal=Principal())
    assert (d.model, d.route) == ("mini", "router") and d.reasons[0].endswith("→mini")
    hard = [ChatRequest.of(p) for p in synthetic(40, seed=4).prompts[1::2]]
    picks = [e.route(r, NOT_SENSITIVE, requested=None, principal=Principal()).model for r in hard]
    assert picks.count("big") >= 16
    bad = RoutingConfig.model_validate({"router": {"file": str(path), "models": ["a", "b", "c"]}})
    with pytest.raises(ConfigError, match="router file has 2 models"):
        PolicyEngine(bad, catalog)


def test_difficulty_features_by_hand() -> None:
    from shoal.routing.features import DIFFICULTY, difficulty

    d = dict(zip(DIFFICULTY, difficulty("Tom has 3.5 apples and 12% of 40 pears. How many left?"), strict=True))
    assert d["numbers"] == 3 and d["distinct_numbers"] == 3 and d["longest_number"] == 3
    assert d["has_percent"] == 1 and d["has_fraction_or_decimal"] == 1 and d["sentence_marks"] == 3
