"""shoal.store: request log, API keys, feedback and shared counters (SQLite by default, PostgreSQL).

``open_store(config, paths)`` is the entry point (the wiring calls it with the ``store:`` section); see ``Store`` for the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoal.store.records import ApiKey, Feedback, Limits, RequestFilter, RequestRecord, UsageRow
from shoal.store.store import Store

if TYPE_CHECKING:
    from shoal.paths import Paths
    from shoal.store.config import StoreConfig

__all__ = ["ApiKey", "Feedback", "Limits", "RequestFilter", "RequestRecord", "Store", "UsageRow", "open_store"]


def open_store(config: StoreConfig, paths: Paths, *, background_writes: bool = False) -> Store:
    """Open (and migrate) the store the ``store:`` section describes.

    Relative paths are relative to ``paths.base_dir`` (the config file's folder); the default
    database and the journal live under ``paths.data_dir``. ``background_writes`` starts the
    journaled background writer (the gateway does; one-off CLI commands write synchronously).
    """
    from shoal.store.backend import SQLiteBackend
    from shoal.store.registry import open_backend

    url = config.url
    if url and "://" not in url:
        url = str(paths.resolve(url))  # a plain path is relative to the config file
    backend = open_backend(url, paths.data_dir / "shoal.db", timeout_s=config.timeout_s)
    if isinstance(backend, SQLiteBackend) and not backend.path.is_absolute():
        backend.path = paths.resolve(backend.path)
    store = Store(backend, journal_dir=(paths.data_dir / "journal") if config.journal else None,
                  redis_url=config.redis_url, flush_interval_s=config.flush_interval_s,
                  batch_size=config.batch_size, timeout_s=config.timeout_s, redis_prefix=config.redis_prefix)
    if background_writes:
        store.start_writer()
    return store
