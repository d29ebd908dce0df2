"""The `rag:` config section: defaults, rules, and errors that name the key."""

from __future__ import annotations

import pytest

from shoal.config import parse_config
from shoal.errors import ConfigError


def test_defaults() -> None:
    rag = parse_config({}).rag
    assert (rag.store.type, rag.embedder, rag.top_k, rag.default_label) == ("embedded", "minilm", 5, "internal")
    assert rag.everyone_labels == ("public", "internal")


def test_rules_and_qdrant_section() -> None:
    rag = parse_config({"rag": {
        "rules": [{"glob": "hr/**", "label": "confidential", "groups": ["hr", " hr ", "payroll"]}],
        "store": {"type": "qdrant", "url": "http://qdrant:6333", "api_key": "env:QDRANT_API_KEY"},
        "fusion": {"bm25_weight": 1.0, "dense_weight": 0.5}}}).rag
    assert rag.rules[0].groups == ("hr", "payroll")
    assert rag.store.url == "http://qdrant:6333"


@pytest.mark.parametrize("rag,key,message", [
    ({"store": {"api_key": "sk-123"}}, "rag.store.api_key", "reference"),
    ({"chunk_size": 400, "chunk_overlap": 300}, "rag", "less than half"),
    ({"rules": [{"glob": "x/**", "label": "secret"}]}, "rag.rules.0.label", "Input should be"),
    ({"top_kk": 3}, "rag.top_kk", "did you mean 'top_k'"),
])
def test_errors_name_the_key(rag: dict[str, object], key: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"rag": rag}, "shoal.yaml")
    assert key in str(info.value) and message in str(info.value)
    assert "sk-123" not in str(info.value)
