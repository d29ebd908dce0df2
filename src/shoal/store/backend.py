"""Database backends: SQLite (default, WAL) and PostgreSQL, behind one tiny cursor interface.

SQL is written with ``?`` placeholders; the PostgreSQL backend rewrites them to ``%s``. Each
thread gets its own connection (SQLite connections must not cross threads, and it keeps the
background writer from queueing behind CLI reads).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from shoal.errors import ConfigError, DependencyMissingError, ShoalError

log = logging.getLogger("shoal.store")
_PG_MIGRATION_LOCK = 7_251_905  # arbitrary advisory-lock id for schema changes


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class StoreError(ShoalError):
    """The store's database could not be opened or written."""


class Backend:
    """Base class: thread-local connections and transactions."""

    dialect = ""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        raise NotImplementedError

    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self, *, exclusive: bool = False) -> Iterator[Cursor]:
        raise NotImplementedError
        yield  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except Exception as exc:  # noqa: BLE001 - closing best effort (other threads' connections)
                log.debug("closing a store connection: %s", exc)
        self._local = threading.local()

    def describe(self) -> str:
        raise NotImplementedError


class SQLiteBackend(Backend):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the store directory {self.path.parent}: {exc.strerror}",
                              key="store.url") from None
        try:
            # The request log holds prompts and answers: owner-only from the first byte (SQLite
            # gives its -wal and -shm files the database file's mode).
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as exc:
            raise StoreError(f"cannot create SQLite store {self.path}: {exc.strerror}",
                             hint="check the path in store.url and its permissions") from None
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}",
                             hint="check the path in store.url and its permissions") from None
        return conn

    @contextmanager
    def transaction(self, *, exclusive: bool = False) -> Iterator[Cursor]:
        conn = self.connection()
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE" if exclusive else "BEGIN")
        try:
            yield cur
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            cur.close()

    def describe(self) -> str:
        return f"sqlite:///{self.path}"


class _PgCursor:
    """Adapts psycopg's cursor to ``?`` placeholders."""

    __slots__ = ("_cur",)

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cur.execute(sql.replace("?", "%s"), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        return self._cur.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cur.fetchall())


class PostgresBackend(Backend):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise DependencyMissingError("PostgreSQL store needs psycopg",
                                         hint="pip install 'shoal[gateway]'") from None

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=False, connect_timeout=10)
        except psycopg.Error as exc:
            # The URL may carry a password: name only the host part.
            raise StoreError(f"cannot connect to PostgreSQL at {self.describe()}: "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                             hint="check store.url and that the server is running") from None

    @contextmanager
    def transaction(self, *, exclusive: bool = False) -> Iterator[Cursor]:
        conn = self.connection()
        if conn.closed:
            conn = self._local.conn = self._connect()
        cur = conn.cursor()
        try:
            if exclusive:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_MIGRATION_LOCK,))
            yield _PgCursor(cur)
        except BaseException:
            try:
                conn.rollback()
            except Exception:  # noqa: BLE001 - a broken connection: drop it, reconnect next time
                self._local.conn = None
            raise
        else:
            conn.commit()
        finally:
            cur.close()

    def describe(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"postgresql://{host}{port}{parts.path}"


def backend_for(url: str | None, default_path: Path) -> Backend:
    """``None`` → SQLite at ``default_path``; ``sqlite:///x`` or a path → SQLite; ``postgresql://`` → PG."""
    if not url:
        return SQLiteBackend(default_path)
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return PostgresBackend(url.replace("postgresql+psycopg://", "postgresql://"))
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):]
        if path.startswith("/") and not path.startswith("//"):
            path = path[1:]  # sqlite:///rel/x.db → rel/x.db ; sqlite:////abs/x.db → /abs/x.db
        elif path.startswith("//"):
            path = path[1:]
        return SQLiteBackend(Path(path))
    if "://" in url:
        raise ConfigError(f"unsupported store url scheme in {url.split('://', 1)[0]!r}", key="store.url",
                          hint="use sqlite:///path/to.db or postgresql://host/db")
    return SQLiteBackend(Path(url))
