"""Qdrant-specific guarantees: a document version becomes visible in one step, crashes included."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoal.rag.stores.qdrant import QdrantStore, path_parts
from shoal.testing.document_store import EVERYONE
from shoal.wiring import document_store

from .conftest import add, make_settings


def texts(store: QdrantStore, query: str) -> list[str]:
    return [h.chunk.text for h in store.search(query, None, 10, access=EVERYONE, mode="bm25")]


def test_crash_before_commit_keeps_old_version_and_retry_cleans_up(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store = document_store(make_settings(tmp_path, "qdrant"), "t")
    assert isinstance(store, QdrantStore)
    add(store, "docs/a.md", ["Badges are blue."])

    def crash(*args: object, **kwargs: object) -> None:
        raise ConnectionError("simulated crash between writing chunks and committing them")

    monkeypatch.setattr(store.client, "batch_update_points", crash)
    with pytest.raises(Exception, match="unreachable"):
        add(store, "docs/a.md", ["Badges are green.", "Badges are green on weekends."], version="v2")
    assert texts(store, "badges") == ["Badges are blue."]  # new chunks exist but are not committed
    assert store.documents()["/abs/docs/a.md"].version == "v1"
    monkeypatch.undo()
    add(store, "docs/a.md", ["Badges are green.", "Badges are green on weekends."], version="v2")
    assert set(texts(store, "badges")) == {"Badges are green.", "Badges are green on weekends."}
    assert store.client.count(store.chunks_name, exact=True).count == 2  # no leftovers of either attempt
    store.close()


def test_open_without_create_returns_none(tmp_path: Path) -> None:
    assert document_store(make_settings(tmp_path, "qdrant"), "missing", create=False) is None


def test_path_parts() -> None:
    assert path_parts("a/b/c.md") == ["a", "a/b", "a/b/c.md"]
