"""Opening the configured ``DocumentStore``: built-in stores plus plug-ins.

A plug-in store registers a function ``open(settings, collection, create) -> DocumentStore | None``
under the entry-point group ``shoal.document_stores``; ``rag.store.type`` names it. Implementations
import ``shoal.rag.stores.base`` (the protocol); only this module imports the implementations, and
only when one is opened, so neither side imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from shoal.errors import ConfigError
from shoal.rag.stores.base import DocumentStore, collection_name

if TYPE_CHECKING:
    from shoal.config import Settings

ENTRY_POINT_GROUP = "shoal.document_stores"

StoreOpener = Callable[["Settings", str, bool], DocumentStore | None]


def _open_embedded(settings: Settings, collection: str, create: bool) -> DocumentStore | None:
    from shoal.rag.stores.embedded import EmbeddedStore

    return EmbeddedStore.open(settings, collection, create=create)


def _open_qdrant(settings: Settings, collection: str, create: bool) -> DocumentStore | None:
    from shoal.rag.stores.qdrant import QdrantStore

    return QdrantStore.open(settings, collection, create=create)


BUILTIN: dict[str, StoreOpener] = {"embedded": _open_embedded, "qdrant": _open_qdrant}


def _opener(kind: str) -> StoreOpener | None:
    if kind in BUILTIN:
        return BUILTIN[kind]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == kind:
            opener: StoreOpener = ep.load()
            return opener
    return None


def store_types() -> list[str]:
    return sorted({*BUILTIN, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})



def open_store(settings: Settings, collection: str | None = None, *, create: bool = True) -> DocumentStore | None:
    """Open the configured store for ``collection``; with ``create=False`` return None if it does not exist."""
    config = settings.config.rag
    opener = _opener(config.store.type)
    if opener is None:
        raise ConfigError(f"unknown store type {config.store.type!r}", key="rag.store.type",
                          hint=f"use one of: {', '.join(store_types())}")
    return opener(settings, collection_name(config, collection), create)
