"""Fixtures for RAG tests: settings in a temp project, both stores, a deterministic embedder."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from shoal.config import Settings, parse_config
from shoal.models.testing import HashEmbeddingModel
from shoal.rag.stores import DocumentStore
from shoal.rag.types import ChunkRecord, DocumentRecord
from shoal.wiring import document_store

EMBED = HashEmbeddingModel(dim=64)
STORE_TYPES = ["embedded", "qdrant"]


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


def make_doc(path: str, texts: Sequence[str], *, label: str = "internal", groups: Sequence[str] = (),
             version: str = "v1", title: str = "", section: str = "") -> tuple[DocumentRecord, list[ChunkRecord]]:
    doc_id = "/abs/" + path
    title = title or path.rsplit("/", 1)[-1]
    chunks = []
    for i, text in enumerate(texts):
        chunk_id = hashlib.sha1(f"{doc_id}{version}{i}".encode()).hexdigest()[:24]
        chunks.append(ChunkRecord(chunk_id, doc_id, i, text, path, title, section, None, label,  # type: ignore[arg-type]
                                  tuple(sorted(groups)), hashlib.sha256(text.encode()).hexdigest()[:16],
                                  tuple(EMBED.vector(f"{title}\n{text}"))))
    doc = DocumentRecord(doc_id, path, title, label, tuple(sorted(groups)), version, len(chunks),  # type: ignore[arg-type]
                         doc_id)
    return doc, chunks


@pytest.fixture(params=STORE_TYPES)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., DocumentStore]]:
    """Opens (or re-opens) the parametrised store in one temp project; extra kwargs go to rag config."""
    opened: list[DocumentStore] = []

    def factory(**rag: Any) -> DocumentStore:
        store = document_store(make_settings(tmp_path, request.param, **rag), "test")
        assert store is not None
        opened.append(store)
        return store

    yield factory
    for store in opened:
        with contextlib.suppress(Exception):  # already closed by the test
            store.close()


def add(store: DocumentStore, path: str, texts: Sequence[str], **kw: Any) -> DocumentRecord:
    doc, chunks = make_doc(path, texts, **kw)
    store.upsert(doc, chunks, embedder="minilm")
    return doc


def query_vector(text: str) -> list[float]:
    return EMBED.vector(text)
