"""Database backends: SQLite (default, WAL) and PostgreSQL, behind one tiny cursor interface.

SQL is written with ``?`` placeholders; the PostgreSQL backend rewrites them to ``%s``. Each
thread gets its own connection (SQLite connections must not cross threads, and it keeps the
background writer from queueing behind CLI reads).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import select
import socket
import sqlite3
import threading
import time
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


class StoreUnavailableError(StoreError):
    """The store did not answer in time or refused the connection (transient: retry later)."""


class Watchdog:
    """One thread that fires callbacks at deadlines (cuts database calls that hang).

    A blocking psycopg call waits on its socket; when the server (or anything between) stops
    answering, nothing on the client side ends the wait. Shutting the socket down from here makes
    the waiting call fail at once with a connection error, which the callers treat as transient.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Any]] = []
        self._cancelled: set[int] = set()
        self._ids = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, callback: Any) -> int:
        token = next(self._ids)
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + seconds, token, callback))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="shoal-store-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._cancelled.add(token)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] in self._cancelled:
                    self._cancelled.discard(heapq.heappop(self._heap)[1])
                if not self._heap:
                    self._cond.wait(1.0)
                    continue
                deadline, _, callback = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - a watchdog must not die
                log.debug("store watchdog callback: %s", exc)


_WATCHDOG = Watchdog()


def _cut_while_idle(conn: Any) -> bool:
    """Whether an idle connection was closed under us (a failover, a proxy or server restart, an
    admin kill): between transactions the server has nothing to say, so a socket with something to
    read holds the reset or the server's goodbye. One poll, no round trip. Without it, each thread's
    connection failed once on first use after a cut, and each failure reopened the gateway's store
    breaker: readiness flapped for seconds after the database was back."""
    try:
        fd = conn.fileno()
        if hasattr(select, "poll"):
            # poll, not select: select refuses descriptors from FD_SETSIZE (1,024) on, which a busy
            # gateway reaches, and that refusal would read as a cut: a new connection every transaction.
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([fd], [], [], 0)
    except Exception:  # noqa: BLE001 - no usable socket: as good as cut
        return True
    return bool(readable)


def _cut(conn: Any) -> None:
    """Shut the connection's socket down (from another thread); the blocked call then fails."""
    try:
        fd = conn.fileno()
    except Exception:  # noqa: BLE001 - already closed
        return
    sock = socket.socket(fileno=socket.dup(fd))
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


class Backend:
    """Base class: thread-local connections and transactions."""

    dialect = ""
    #: Longest a single transaction may take before it is cut (seconds; None: no bound).
    timeout_s: float | None = None

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

    def is_transient(self, exc: BaseException) -> bool:
        """True when ``exc`` says the database is (for now) unreachable, busy or shutting down,
        rather than that it refuses this data: the caller should retry later, not give up."""
        return isinstance(exc, (StoreUnavailableError, TimeoutError, ConnectionError))


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

    def is_transient(self, exc: BaseException) -> bool:
        # OperationalError: locked, busy, disk I/O, a missing table mid-migration — never the data.
        return super().is_transient(exc) or isinstance(exc, sqlite3.OperationalError)


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

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        super().__init__()
        self.url = url
        self.timeout_s = timeout_s
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise DependencyMissingError("PostgreSQL store needs psycopg",
                                         hint="pip install 'shoal[gateway]'") from None

    def _connect(self) -> Any:
        import psycopg

        timeout = self.timeout_s or 10.0
        try:
            # connect_timeout bounds the whole handshake (libpq's minimum is 2 s); the statement
            # timeout makes the server give up on slow statements; keepalives notice dead peers.
            return psycopg.connect(self.url, autocommit=False, connect_timeout=max(2, int(timeout + 0.999)),
                                   options=f"-c statement_timeout={int(timeout * 1000)}",
                                   keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2)
        except psycopg.Error as exc:
            # The URL may carry a password: name only the host part.
            raise StoreUnavailableError(f"cannot connect to PostgreSQL at {self.describe()}: "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                             hint="check store.url and that the server is running") from None

    @contextmanager
    def transaction(self, *, exclusive: bool = False) -> Iterator[Cursor]:
        conn = self.connection()
        if conn.closed or conn.broken or _cut_while_idle(conn):
            self._drop(conn)
            conn = self.connection()
        token = _WATCHDOG.arm(self.timeout_s, lambda: _cut(conn)) if self.timeout_s else None
        cur = conn.cursor()
        try:
            if exclusive:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_MIGRATION_LOCK,))
            yield _PgCursor(cur)
            conn.commit()
        except BaseException:
            try:
                conn.rollback()
            except Exception:  # noqa: BLE001 - a broken connection: drop it, reconnect next time
                self._drop(conn)
            raise
        finally:
            if token is not None:
                _WATCHDOG.disarm(token)
            try:
                cur.close()
            except Exception:  # noqa: BLE001 - closing a cursor of a cut connection
                self._drop(conn)

    def _drop(self, conn: Any) -> None:
        self._local.conn = None
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        try:
            conn.close()
        except Exception as exc:  # noqa: BLE001 - already broken
            log.debug("closing a broken store connection: %s", exc)

    def is_transient(self, exc: BaseException) -> bool:
        import psycopg

        # OperationalError covers refused/cut connections, admin shutdown, serialization failures,
        # deadlocks and statement timeouts; InterfaceError a connection closed under us.
        return super().is_transient(exc) or isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))

    def describe(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"postgresql://{host}{port}{parts.path}"
