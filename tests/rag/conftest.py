"""Helpers for RAG tests: settings in a temp project; documents with a deterministic embedder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shoal.config import Settings, parse_config
from shoal.testing.document_store import EMBED, add, make_doc, query_vector

# The document helpers are the conformance suite's, so every RAG test builds documents one way.
__all__ = ["EMBED", "add", "make_doc", "make_settings", "query_vector"]


def make_settings(root: Path, store_type: str = "embedded", **rag: Any) -> Settings:
    data: dict[str, Any] = {"data_dir": str(root / ".shoal"),
                            "rag": {"store": {"type": store_type}, **rag}}
    if store_type == "qdrant":
        data["rag"]["store"]["path"] = str(root / "qdrant")
    data["models"] = {"minilm": {"provider": "testing", "kind": "embedding", "options": {"dim": 64}}}
    config = parse_config(data)
    settings = Settings(config, None)
    settings.path = root / "shoal.yaml"  # relative paths resolve inside the temp project
    return settings
