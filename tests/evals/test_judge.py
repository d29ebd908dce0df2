"""The LLM judge: strict parsing; an unparseable judgement is *undetermined*, reported, never coerced."""

from __future__ import annotations

import pytest

from shoal.evals.metrics.judge import parse_judgement
from shoal.evals.runner import arun_eval


@pytest.mark.parametrize("raw, score", [
    ('{"score": 4, "reason": "close"}', 4),
    ('  {"score": 1}  ', 1),
    ('```json\n{"score": 5, "reason": "ok"}\n```', 5),
    ('{"score": 3.0, "reason": "integral float"}', 3),
])
def test_parse_accepts_strict_json(raw: str, score: int) -> None:
    assert parse_judgement(raw, 1, 5).score == score


@pytest.mark.parametrize("raw, problem", [
    ("", "empty reply"),
    ("Score: 4", "not a JSON object"),
    ('I would say {"score": 4}', "not a JSON object"),  # no digging numbers out of prose
    ('{"score": "4"}', "not an integer"),
    ('{"score": 4.5}', "not an integer"),
    ('{"score": true}', "not an integer"),
    ('{"score": 9}', "outside 1..5"),
    ('{"grade": 4}', "no 'score' key"),
    ("[4]", "not an object"),
])
def test_parse_rejects_everything_else(raw: str, problem: str) -> None:
    verdict = parse_judgement(raw, 1, 5)
    assert verdict.score is None and problem in verdict.problem


async def test_unparseable_judgements_are_counted_as_undetermined(project) -> None:
    models = {
        "answerer": {"provider": "oracle", "options": {"answers": {}, "default": "240 hours"}},
        # Judges by the answer it is shown: parseable for some items, prose for others.
        "judge": {"provider": "oracle", "options": {"answers": {
            "annual leave": '{"score": 5, "reason": "correct"}',
            "Work Number": "The answer seems right, maybe 4 out of 5.",
            "parental": '{"score": 2, "reason": "wrong"}',
        }, "default": "```\nnot json\n```"}},
    }
    settings, catalog, spec = project(models=models, spec={
        "targets": ["answerer"], "metrics": [{"name": "judge", "params": {"model": "judge"}}]})
    result = await arun_eval(spec, settings, catalog)
    by_item = {r.item_id: r.scores["judge"] for r in result.records}
    assert by_item["q1"]["status"] == "ok" and by_item["q1"]["value"] == 1.0
    assert by_item["q3"]["value"] == 0.25
    for item_id in ("q2", "q4"):
        assert by_item[item_id]["status"] == "undetermined" and by_item[item_id]["value"] is None
        assert "judge said" in by_item[item_id]["detail"]
    summary = result.summary.target("answerer")
    assert summary is not None
    judge = summary.metrics["judge"]
    assert judge.undetermined == 2 and judge.n == 2
    assert judge.mean == pytest.approx((1.0 + 0.25) / 2)  # undetermined are not scored 0 or dropped silently
    assert summary.quality_items == 2  # items with only an undetermined judgement have no quality
    html = (result.run_dir / "report.html").read_text()
    assert "2 judgement(s) could not be parsed" in html


async def test_judge_failure_is_an_error_not_a_score(project) -> None:
    models = {"answerer": {"provider": "oracle", "options": {"answers": {}, "default": "x"}},
              "judge": {"provider": "testing", "options": {"fail_with": "timeout"}}}
    settings, catalog, spec = project(models=models, spec={
        "targets": ["answerer"], "metrics": [{"name": "judge", "params": {"model": "judge"}}]})
    result = await arun_eval(spec, settings, catalog)
    judge = result.summary.target("answerer").metrics["judge"]
    assert judge.errors == 4 and judge.mean is None
