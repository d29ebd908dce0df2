"""Metric edge cases: empty answers, unicode, numbers with thousands separators, schema failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shoal.errors import ConfigError
from shoal.evals.dataset import EvalItem
from shoal.evals.metrics.base import Metric, MetricContext, MetricResult, RetrievedChunk, SampleOutput
from shoal.evals.metrics.registry import build_metric, metric_class, metric_names
from shoal.evals.metrics.text import numbers
from shoal.evals.spec import MetricConfig
from shoal.models.testing import HashEmbeddingModel
from shoal.models.types import Message


async def _no_judge(model: str, request: Any) -> None:
    raise AssertionError("no judge expected")


async def _embed(model: str, texts: list[str]) -> list[list[float]]:
    return [HashEmbeddingModel().vector(t) for t in texts]


CTX = MetricContext(judge=_no_judge, embed=_embed, default_judge_model="j", default_embedding_model="e")


def item(reference: str | None = None, **kw: Any) -> EvalItem:
    return EvalItem(id="i", messages=(Message.user(kw.pop("prompt", "question?")),), reference=reference, **kw)


async def score(name: str, answer: str, it: EvalItem, params: dict[str, Any] | None = None,
                **out: Any) -> MetricResult:
    metric = build_metric(MetricConfig(name=name, params=params or {}))
    return await metric.score(it, SampleOutput(text=answer, **out), CTX)


async def test_exact_match_normalises_case_punctuation_articles_and_unicode() -> None:
    assert (await score("exact_match", "The  KeePassXC!", item("keepassxc"))).value == 1.0
    assert (await score("exact_match", "STRASSE", item("Straße"))).value == 1.0  # casefold
    assert (await score("exact_match", "ﬁle", item("file"))).value == 1.0  # NFKC ligature
    assert (await score("exact_match", "", item("x"))).value == 0.0
    assert (await score("exact_match", "x", item(None))).status == "n/a"
    assert (await score("exact_match", "b", item("a|b"), {"alternatives_separator": "|"})).value == 1.0


async def test_contains_does_not_match_inside_numbers_or_words() -> None:
    assert (await score("contains", "You get 40 hours.", item("4"))).value == 0.0
    assert (await score("contains", "You get 4 hours.", item("4"))).value == 1.0
    assert (await score("contains", "12 Weeks, paid", item("12 weeks"))).value == 1.0
    assert (await score("contains", "", item("x"))).value == 0.0
    r = await score("contains", "red and blue", item(None), {"values": ["red", "green"], "mode": "all"})
    assert r.value == 0.0 and r.detail == "1/2 found"
    r = await score("contains", "red and blue", item(None), {"values": ["red", "green"], "mode": "any"})
    assert r.value == 1.0


def test_numbers_understand_thousands_separators_and_signs() -> None:
    assert numbers("It costs $1,234.50, not 1,234,567 or −3.") == [1234.5, 1234567.0, -3.0]
    assert numbers("call 800-367-5690") == [800.0, 367.0, 5690.0]  # a hyphen between digits is no minus
    assert numbers("1,2,3") == [1.0, 2.0, 3.0]  # a list, not one thousand-separated number
    assert numbers("version 2.5.1") == [2.5]
    assert numbers("") == []


async def test_numeric_tolerance_and_pick() -> None:
    assert (await score("numeric", "about 1,200 dollars", item("$1200"))).value == 1.0
    assert (await score("numeric", "1,210", item("1200"), {"rel_tolerance": 0.01})).value == 1.0
    assert (await score("numeric", "1,250", item("1200"), {"rel_tolerance": 0.01})).value == 0.0
    assert (await score("numeric", "no idea", item("12"))).value == 0.0
    assert (await score("numeric", "12", item("twelve"))).status == "n/a"
    assert (await score("numeric", "4 then 240", item("240"), {"pick": "first"})).value == 0.0
    assert (await score("numeric", "4 then 240", item("240"), {"pick": "last"})).value == 1.0


async def test_regex() -> None:
    assert (await score("regex", "Code: AB-123", item(), {"pattern": r"[A-Z]{2}-\d+"})).value == 1.0
    assert (await score("regex", "nothing", item(), {"pattern": r"\d"})).value == 0.0
    assert (await score("regex", "x", item())).status == "n/a"
    with pytest.raises(ConfigError, match="metrics.0.params.pattern"):
        build_metric(MetricConfig(name="regex", params={"pattern": "("}))


SCHEMA = {"type": "object", "properties": {"queue": {"enum": ["hr", "it"]}, "priority": {"type": "integer"}},
          "required": ["queue", "priority"]}


async def test_json_schema_failures_and_successes() -> None:
    p = {"schema": SCHEMA}
    assert (await score("json_schema", '{"queue": "hr", "priority": 2}', item(), p)).value == 1.0
    assert (await score("json_schema", '```json\n{"queue": "it", "priority": 1}\n```', item(), p)).value == 1.0
    bad = await score("json_schema", '{"queue": "sales", "priority": "high"}', item(), p)
    assert bad.value == 0.0 and "2 schema error(s)" in bad.detail
    missing = await score("json_schema", '{"queue": "hr"}', item(), p)
    assert missing.value == 0.0 and "priority" in missing.detail
    notjson = await score("json_schema", "queue: hr", item(), p)
    assert notjson.value == 0.0 and notjson.detail.startswith("not JSON")
    assert (await score("json_schema", "", item(), p)).value == 0.0
    assert (await score("json_schema", "[1, 2]", item())).value == 1.0  # no schema: validity only
    per_item = item(schema={"type": "array"})
    assert (await score("json_schema", '{"a": 1}', per_item)).value == 0.0
    with pytest.raises(ConfigError, match="not a valid JSON schema"):
        build_metric(MetricConfig(name="json_schema", params={"schema": {"type": "nonsense"}}))


async def test_token_f1_edges() -> None:
    assert (await score("token_f1", "", item("x"))).value == 0.0
    assert (await score("token_f1", "240 hours", item("240 hours"))).value == 1.0
    r = await score("token_f1", "you can carry 240 hours", item("240 hours"))
    assert r.value is not None and 0.5 < r.value < 1.0
    assert (await score("token_f1", "日本語 テスト", item("日本語 テスト"))).value == 1.0


async def test_embedding_similarity() -> None:
    same = await score("embedding_similarity", "annual leave carry over", item("annual leave carry over"))
    other = await score("embedding_similarity", "zebra piano", item("annual leave carry over"))
    assert same.value is not None and other.value is not None and same.value > 0.99 > other.value
    assert (await score("embedding_similarity", "", item("x"))).value == 0.0
    assert (await score("embedding_similarity", "x", item(None))).status == "n/a"


CHUNKS = (RetrievedChunk(1, "pages/travel-and-leave/leave.md", "c1"),
          RetrievedChunk(2, "pages/tools/zoom.md", "c2"))
CONTEXT = "[1] You can carry over a maximum of 240 annual leave hours. [2] Zoom meetings need a password."


async def test_rag_metrics() -> None:
    it = item("240 hours", expected_docs=("travel-and-leave/leave.md", "tools/slack.md"))
    rag = {"retrieved": CHUNKS, "is_rag": True, "context": CONTEXT}
    grounded = await score("groundedness", "You can carry over 240 annual leave hours [1].", it, **rag)
    assert grounded.value == 1.0
    half = await score("groundedness", "You can carry over 240 hours [1]. Llamas sing opera nightly.", it, **rag)
    assert half.value == 0.5
    assert (await score("groundedness", "x", it)).status == "n/a"  # not a RAG target
    assert (await score("citation_validity", "Yes [1][2].", it, **rag)).value == 1.0
    assert (await score("citation_validity", "Yes [1, 3].", it, **rag)).value == 0.5
    assert (await score("citation_validity", "Yes.", it, **rag)).value == 0.0
    recall = await score("doc_recall", "", it, **rag)
    assert recall.value == 0.5 and recall.detail.startswith("1/2")
    assert (await score("doc_recall", "", it, {"k": 1}, **rag)).value == 0.5
    assert (await score("doc_recall", "", item("x"), **rag)).status == "n/a"


async def test_refusal_and_compliance() -> None:
    refuse, comply = item(expect="refuse"), item(expect="comply")
    assert (await score("refusal", "I'm sorry, but I can't share that.", refuse)).value == 1.0
    assert (await score("refusal", "Her SSN is 123-45-6789.", refuse)).value == 0.0
    assert (await score("compliance", "Annual leave accrues at 4 hours per pay period.", comply)).value == 1.0
    assert (await score("compliance", "I cannot help with that request.", comply)).value == 0.0
    assert (await score("compliance", "", comply)).value == 0.0
    assert (await score("refusal", "whatever", comply)).status == "n/a"


async def test_pii_leak_uses_the_privacy_detectors() -> None:
    it = item(prompt="Email jane.doe@examplemail.com about the meeting")
    assert (await score("pii_leak", "Sure, I will email jane.doe@examplemail.com.", it)).value == 1.0
    leak = await score("pii_leak", "Also cc bob.smith@examplemail.org, SSN 123-45-6789.", it)
    assert leak.value == 0.0 and "EMAIL" in leak.detail.upper()
    assert "bob.smith" not in leak.detail  # types only, never the personal data itself
    assert (await score("pii_leak", "", it)).value == 1.0


def test_registry_and_param_errors() -> None:
    assert {"exact_match", "judge", "groundedness", "pii_leak", "refusal"} <= set(metric_names())
    with pytest.raises(ConfigError, match="did you mean 'token_f1'"):
        build_metric(MetricConfig(name="token_f2"))
    with pytest.raises(ConfigError, match="unknown parameter 'tolerence'") as exc:
        build_metric(MetricConfig(name="numeric", params={"tolerence": 1}))
    assert "tolerance" in str(exc.value)


async def test_pii_in_the_reference_is_not_a_leak_and_more_refusal_phrasings() -> None:
    it = item("Email hspd12.security@gsa.gov", prompt="Whom do I email about badges?")
    assert (await score("pii_leak", "Email hspd12.security@gsa.gov.", it)).value == 1.0
    assert (await score("refusal", "I won't write phishing emails.", item(expect="refuse"))).value == 1.0


def test_every_builtin_metric_is_registered_as_an_entry_point() -> None:
    # Built-ins register through the same entry points a plug-in uses; a class left out of
    # pyproject.toml would silently vanish from specs.
    import shoal.evals.metrics.deterministic
    import shoal.evals.metrics.judge
    import shoal.evals.metrics.rag
    import shoal.evals.metrics.safety  # noqa: F401

    def subclasses(cls: type[Metric]) -> list[type[Metric]]:
        return [c for s in cls.__subclasses__() for c in (s, *subclasses(s))]

    builtin = {c.name for c in subclasses(Metric) if c.__module__.startswith("shoal.") and "name" in vars(c)}
    assert builtin and builtin <= set(metric_names())
    for name in builtin:
        cls = metric_class(name)
        assert cls is not None and cls.name == name
    assert metric_class("no_such_metric") is None


async def test_a_plugin_metric_is_found_through_its_entry_point(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    from tests.plugins import install

    with pytest.raises(ConfigError, match="unknown metric 'brevity'"):
        build_metric(MetricConfig(name="brevity"))
    install(monkeypatch, tmp_path, {"shoal.metrics": {"brevity": "tests.evals.plugin_metric:Brevity"}})
    assert "brevity" in metric_names()
    assert (await score("brevity", "one two three", item(), {"max_words": 2})).value == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="unknown parameter 'max_word'"):
        build_metric(MetricConfig(name="brevity", params={"max_word": 2}))
    # An entry point whose class is named differently is refused, not silently used under two names.
    install(monkeypatch, tmp_path / "other", {"shoal.metrics": {"terse": "tests.evals.plugin_metric:Brevity"}},
            name="other_plugin")
    with pytest.raises(ConfigError, match="is not a Metric named 'terse'"):
        build_metric(MetricConfig(name="terse"))
