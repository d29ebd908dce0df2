"""The ``DocumentStore`` protocol (``shoal.rag.stores.registry`` opens the configured store).

Contract every store meets (tests/rag/test_store_conformance.py runs the same suite on each):

- ``upsert(doc, chunks)`` replaces a document's chunks atomically: a search sees the old version
  or the new one, never a mix, and a crash mid-write leaves the old version intact.
- ``search`` applies the caller's ``Access`` inside the store query: chunks the caller may not see
  are not scored, not returned and not counted, and BM25 statistics (IDF, average length) are
  computed over the visible chunks only, so hidden text cannot even shift scores.
- data persists across ``close()`` / re-open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from shoal.errors import ConfigError
from shoal.rag.types import Access, ChunkRecord, DocumentRecord, Filters, Hit, SearchMode

if TYPE_CHECKING:
    from shoal.rag.config import RagConfig


@dataclass(frozen=True, slots=True)
class SearchRequest:
    text: str
    vector: Sequence[float] | None
    k: int
    access: Access
    filters: Filters | None = None
    mode: SearchMode = "hybrid"


@dataclass(frozen=True, slots=True)
class StoreInfo:
    documents: int
    chunks: int
    embedder: str | None
    dim: int | None
    location: str


class DocumentStore(Protocol):
    """Chunks with vectors, BM25 terms and access tokens; hybrid search under an ACL."""

    collection: str

    def documents(self) -> dict[str, DocumentRecord]:
        """Every ingested document by ``doc_id`` (for incremental ingest; not ACL-filtered: admin view)."""
        ...

    def upsert(self, doc: DocumentRecord, chunks: Sequence[ChunkRecord], *, embedder: str) -> None:
        """Replace ``doc`` and all its chunks in one atomic step."""
        ...

    def delete(self, doc_id: str) -> bool:
        """Remove a document and its chunks; False if it was not there."""
        ...

    def prune(self, keep: Callable[[DocumentRecord], bool]) -> list[DocumentRecord]:
        """Remove every document for which ``keep`` is False; returns what was removed."""
        ...

    def search(self, query_text: str, query_vector: Sequence[float] | None, k: int, *, access: Access,
               filters: Filters | None = None, mode: SearchMode = "hybrid") -> list[Hit]:
        """Top-``k`` chunks the caller may see. ``mode``: hybrid (RRF of both), bm25 or dense."""
        ...

    def count(self, access: Access) -> int:
        """Chunks the caller may see."""
        ...

    def roots(self) -> tuple[str, ...]:
        """Folders (absolute) that label rules are anchored to, in the order they were added."""
        ...

    def add_root(self, path: str) -> None:
        """Remember ``path`` as a root of this collection (idempotent)."""
        ...

    def info(self) -> StoreInfo: ...

    def close(self) -> None: ...


def collection_name(config: RagConfig, collection: str | None) -> str:
    import re

    name = collection or config.collection
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise ConfigError(f"invalid collection name {name!r}", key="rag.collection",
                          hint="use 1-64 letters, digits, '-' or '_'")
    return name
