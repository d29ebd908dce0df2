"""Eval test helpers: a project directory with a shoal.yaml of scripted models, a dataset and a spec."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from shoal.catalog import Catalog
from shoal.config import load_settings
from shoal.evals.project import EvalProject
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.registry import ProviderRegistry
from shoal.models.testing import HashEmbeddingModel, ScriptedChatModel
from shoal.models.types import ChatRequest, ModelSpec
from shoal.wiring import catalog as build_catalog
from shoal.wiring import eval_project


class OracleProvider:
    """``provider: oracle`` — answers from ``options.answers`` (last user message → answer).

    Deterministic whatever the call order, unlike cycled scripts under concurrency.
    """

    name = "oracle"
    default_locality = "self_hosted"
    default_base_url: str | None = None
    api_key_env: str | None = None

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        answers: dict[str, str] = dict(spec.options.get("answers", {}))
        default = str(spec.options.get("default", "I do not know."))

        def answer(request: ChatRequest) -> str:
            users = [m.text for m in request.messages if m.role == "user"]
            last = users[-1] if users else ""
            for key, value in answers.items():
                if key in last:
                    return value
            return default

        return ScriptedChatModel(spec, [answer])

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        return HashEmbeddingModel(spec)


ITEMS: list[dict[str, Any]] = [
    {"id": "q1", "input": "How many hours of annual leave can you carry over?", "reference": "240 hours",
     "segment": "leave"},
    {"id": "q2", "input": "What is GSA's Work Number employer code?", "reference": "10536", "segment": "hr"},
    {"id": "q3", "input": "How many weeks of paid parental leave?", "reference": "12 weeks", "segment": "leave"},
    {"id": "q4", "input": "Which password manager is recommended?", "reference": "KeePassXC", "segment": "it"},
]

GOOD = {"annual leave": "You can carry over 240 hours.", "Work Number": "The employer code is 10536.",
        "parental": "12 weeks of paid leave.", "password manager": "KeePassXC is recommended."}
WEAK = {"annual leave": "240 hours.", "Work Number": "I am not sure.", "parental": "6 weeks.",
        "password manager": "Use any password manager."}


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., tuple[EvalProject, Catalog, Path]]:
    """Build a project: ``project(models=..., spec=..., items=...)`` → (eval project, catalog, spec path)."""

    def make(*, models: dict[str, Any] | None = None, spec: dict[str, Any] | None = None,
             items: list[dict[str, Any]] | None = None, evals: dict[str, Any] | None = None,
             extra: dict[str, Any] | None = None) -> tuple[EvalProject, Catalog, Path]:
        config: dict[str, Any] = {"data_dir": str(tmp_path / "data"), "models": models or {
            "strong": {"provider": "oracle", "locality": "external", "input_price": 1.0, "output_price": 2.0,
                       "options": {"answers": GOOD}},
            "weak": {"provider": "oracle", "locality": "self_hosted", "options": {"answers": WEAK}},
            "hash": {"provider": "testing", "kind": "embedding"},
        }}
        if evals:
            config["evals"] = evals
        config.update(extra or {})
        (tmp_path / "shoal.yaml").write_text(yaml.safe_dump(config))
        (tmp_path / "data.jsonl").write_text("".join(json.dumps(i) + "\n" for i in (items or ITEMS)))
        spec_doc: dict[str, Any] = {"name": "t", "dataset": "data.jsonl", "targets": ["weak", "strong"],
                                    "metrics": ["contains", "token_f1"], "concurrency": 2}
        spec_doc.update(spec or {})
        spec_path = tmp_path / "spec.yaml"
        spec_path.write_text(yaml.safe_dump(spec_doc))
        settings = load_settings(tmp_path / "shoal.yaml")
        registry = ProviderRegistry.from_entry_points()
        registry.register(OracleProvider())  # type: ignore[arg-type]
        return eval_project(settings), build_catalog(settings, registry, check=False), spec_path

    return make


def requests_made(catalog: Catalog, name: str) -> int:
    model = catalog.chat_model(name)
    assert isinstance(model, ScriptedChatModel)
    return len(model.requests)
