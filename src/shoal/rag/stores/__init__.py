"""Document stores: the ``DocumentStore`` protocol and a registry of implementations by config type."""

from __future__ import annotations

from shoal.rag.stores.base import DocumentStore, SearchRequest, open_store

__all__ = ["DocumentStore", "SearchRequest", "open_store"]
