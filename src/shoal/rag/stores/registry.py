"""Opening the configured ``DocumentStore``: stores are found through entry points, like providers.

A store registers a function ``open(config, paths, collection, create) -> DocumentStore | None``
under the entry-point group ``shoal.document_stores``; ``rag.store.type`` names it. ``config`` is the
``rag:`` section (a plug-in reads its own settings from ``rag.store.options``), ``paths`` the project's
folders and secret resolver (``shoal.paths.Paths``). The built-in ``embedded`` and ``qdrant`` stores
register through the same group (pyproject.toml), so there is no list of store names in the code.
Implementations import ``shoal.rag.stores.base`` (the protocol); nothing here imports them, so
neither side imports the other. ``shoal.testing.DocumentStoreConformance`` is the suite a store runs.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from shoal.errors import ConfigError, DependencyMissingError
from shoal.rag.config import DOCUMENT_STORES_GROUP as ENTRY_POINT_GROUP
from shoal.rag.stores.base import DocumentStore, collection_name

if TYPE_CHECKING:
    from shoal.paths import Paths
    from shoal.rag.config import RagConfig

StoreOpener = Callable[["RagConfig", "Paths", str, bool], "DocumentStore | None"]


def store_types() -> list[str]:
    """The ``rag.store.type`` values installed (built-in and plug-ins)."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def opener(kind: str) -> StoreOpener:
    """The open function registered as ``kind``; a clear error naming the installed ones."""
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=kind):
        try:
            loaded: StoreOpener = ep.load()
        except ImportError as exc:
            raise DependencyMissingError(f"document store {kind!r} cannot be loaded: {exc}",
                                         hint="install the package that provides it") from None
        return loaded
    raise ConfigError(f"unknown store type {kind!r}", key="rag.store.type",
                      hint=f"use one of: {', '.join(store_types()) or 'embedded'} (plug-ins register under "
                           f"the entry-point group {ENTRY_POINT_GROUP!r})")


def open_store(config: RagConfig, paths: Paths, collection: str | None = None, *,
               create: bool = True) -> DocumentStore | None:
    """Open ``rag.store.type`` for ``collection``; with ``create=False`` return None if it does not exist."""
    return opener(config.store.type)(config, paths, collection_name(config, collection), create)
