"""Document stores: the ``DocumentStore`` protocol and a registry of implementations by config type."""

from __future__ import annotations

from shoal.rag.stores.base import DocumentStore, SearchRequest
from shoal.rag.stores.registry import open_store

__all__ = ["DocumentStore", "SearchRequest", "open_store"]
