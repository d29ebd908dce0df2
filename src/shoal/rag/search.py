"""Searching a collection as a given principal: embed the query, ask the store under the ACL."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from shoal.errors import ConfigError
from shoal.principal import Principal
from shoal.rag.embedding import embed_texts
from shoal.rag.stores.base import DocumentStore, collection_name
from shoal.rag.stores.registry import open_store
from shoal.rag.types import Access, Filters, Hit, SearchMode

if TYPE_CHECKING:
    from shoal.catalog import Catalog
    from shoal.paths import Paths
    from shoal.rag.config import RagConfig


class Searcher:
    """Keeps stores open per collection; safe to share between threads."""

    def __init__(self, config: RagConfig, paths: Paths, catalog: Catalog) -> None:
        """``config`` is the ``rag:`` section; ``paths`` locates the stores; ``catalog`` gives the embedder."""
        self.config = config
        self.paths = paths
        self.catalog = catalog
        self._stores: dict[str, DocumentStore | None] = {}
        self._lock = threading.Lock()

    def store(self, collection: str | None = None) -> DocumentStore | None:
        """The collection's store, or None when it was never ingested."""
        name = collection_name(self.config, collection)
        with self._lock:
            if self._stores.get(name) is None:
                self._stores[name] = open_store(self.config, self.paths, name, create=False)
            return self._stores[name]

    def access(self, principal: Principal) -> Access:
        return Access.for_principal(principal, self.config.everyone_labels)

    def search(self, query: str, principal: Principal, *, collection: str | None = None, k: int | None = None,
               mode: SearchMode = "hybrid", filters: Filters | None = None) -> list[Hit]:
        store = self.store(collection)
        if store is None or not query.strip():
            return []
        info = store.info()
        if info.embedder is not None and info.embedder != self.config.embedder:
            raise ConfigError(f"collection {store.collection!r} was built with embedder {info.embedder!r}, "
                              f"config says {self.config.embedder!r}", key="rag.embedder",
                              hint="set rag.embedder back, or re-ingest into a new collection")
        vector = None
        if mode != "bm25":
            vector = embed_texts(self.catalog.embedding_model(self.config.embedder), [query])[0]
        return store.search(query, vector, k or self.config.top_k, access=self.access(principal),
                            filters=filters, mode=mode)

    def close(self) -> None:
        with self._lock:
            for store in self._stores.values():
                if store is not None:
                    store.close()
            self._stores.clear()
