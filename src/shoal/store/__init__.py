"""shoal.store: request log, API keys, feedback and shared counters (SQLite by default, PostgreSQL).

``open_store(settings)`` is the entry point; see ``Store`` for the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoal.store.records import ApiKey, Feedback, Limits, RequestFilter, RequestRecord, UsageRow
from shoal.store.store import Store

if TYPE_CHECKING:
    from shoal.config import Settings

__all__ = ["ApiKey", "Feedback", "Limits", "RequestFilter", "RequestRecord", "Store", "UsageRow", "open_store"]


def open_store(settings: Settings, *, background_writes: bool = False) -> Store:
    """Open (and migrate) the store configured in ``settings.config.store``.

    ``background_writes`` starts the journaled background writer (the gateway does; one-off
    CLI commands write synchronously).
    """
    from shoal.store.backend import SQLiteBackend, backend_for

    cfg = settings.config.store
    data_dir = settings.data_dir
    url = cfg.url
    if url and not url.startswith(("postgres", "sqlite://")):
        url = str(settings.resolve_path(url))  # a plain path is relative to the config file
    backend = backend_for(url, data_dir / "shoal.db", timeout_s=cfg.timeout_s)
    if isinstance(backend, SQLiteBackend) and not backend.path.is_absolute():
        backend.path = settings.resolve_path(str(backend.path))
    store = Store(backend, journal_dir=(data_dir / "journal") if cfg.journal else None, redis_url=cfg.redis_url,
                  flush_interval_s=cfg.flush_interval_s, batch_size=cfg.batch_size, timeout_s=cfg.timeout_s,
                  redis_prefix=cfg.redis_prefix)
    if background_writes:
        store.start_writer()
    return store
