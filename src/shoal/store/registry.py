"""Request-store backends found through entry points (group ``shoal.stores``), like providers.

An entry point's name is a URL scheme (``store.url: <scheme>://...``); its value is a factory
``open(url: str, *, timeout_s: float) -> Backend``. The backend's ``dialect`` names the SQL it
speaks (``sqlite`` or ``postgresql``: Shoal's queries and migrations are written for those two), so a
plug-in is a database that speaks one of them (libSQL, SQLCipher, CockroachDB, a pooled PostgreSQL
...). The built-in SQLite and PostgreSQL backends register through the same group (pyproject.toml);
``shoal.testing.RequestStoreConformance`` is the suite a plug-in runs in its own tests.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from shoal.errors import ConfigError
from shoal.store.backend import Backend, PostgresBackend, SQLiteBackend

ENTRY_POINT_GROUP = "shoal.stores"
DIALECTS = frozenset({"sqlite", "postgresql"})

BackendFactory = Callable[..., Backend]


def open_sqlite(url: str, *, timeout_s: float = 5.0) -> SQLiteBackend:
    """``sqlite:///rel/x.db`` → ``rel/x.db``; ``sqlite:////abs/x.db`` → ``/abs/x.db``.

    A relative path stays relative: the caller resolves it against the config file's folder."""
    path = url.split("://", 1)[1] if "://" in url else url
    if path.startswith("/") and not path.startswith("//") or path.startswith("//"):
        path = path[1:]
    return SQLiteBackend(Path(path))


def open_postgres(url: str, *, timeout_s: float = 5.0) -> PostgresBackend:
    """``postgresql://``, ``postgres://`` or ``postgresql+psycopg://`` (psycopg 3 either way)."""
    scheme, rest = url.split("://", 1)
    return PostgresBackend(f"postgresql://{rest}" if scheme.startswith("postgres") else url, timeout_s=timeout_s)


def scheme_of(url: str) -> str:
    """``postgresql+psycopg://x`` → ``postgresql``: the driver suffix does not pick the backend."""
    return url.split("://", 1)[0].split("+", 1)[0].lower()


def schemes() -> list[str]:
    """The URL schemes a ``store.url`` may use (built-in and installed plug-ins)."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def factory(scheme: str) -> BackendFactory:
    """The backend factory registered for ``scheme``; a clear error naming the installed ones."""
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=scheme):
        loaded: BackendFactory = ep.load()
        return loaded
    raise ConfigError(f"unsupported store url scheme {scheme!r}", key="store.url",
                      hint=f"use one of: {', '.join(s + '://' for s in schemes()) or 'sqlite://'} "
                           f"(or install the plug-in that provides {scheme}://)")


def open_backend(url: str | None, default_path: Path, *, timeout_s: float = 5.0) -> Backend:
    """``None`` → SQLite at ``default_path``; a plain path → SQLite; ``<scheme>://`` → its plug-in."""
    if not url:
        return SQLiteBackend(default_path)
    if "://" not in url:
        return SQLiteBackend(Path(url))
    backend = factory(scheme_of(url))(url, timeout_s=timeout_s)
    if backend.dialect not in DIALECTS:
        raise ConfigError(f"the {scheme_of(url)!r} store speaks {backend.dialect or 'no'} SQL dialect",
                          key="store.url", hint=f"a store backend must speak one of: {', '.join(sorted(DIALECTS))}")
    return backend
