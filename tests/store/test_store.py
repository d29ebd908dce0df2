"""The store: request log (journal + writer), feedback, keys, counters, migrations — SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoal.store import RequestFilter, RequestRecord, Store
from shoal.store.backend import SQLiteBackend
from shoal.store.config import StoreConfig
from shoal.testing import RequestStoreConformance

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def _record(i: int, **kw: object) -> RequestRecord:
    base: dict[str, object] = {"request_id": f"req-{i}", "ts": 1_700_000_000.0 + i, "team": "search", "user": "ann",
                               "served_model": "cheap", "prompt_tokens": 10, "completion_tokens": 5,
                               "cost_usd": 0.001, "response_text": f"answer {i}"}
    base.update(kw)
    return RequestRecord(**base)  # type: ignore[arg-type]


@pytest.fixture
def pg_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"shoal_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


class TestSQLiteStore(RequestStoreConformance):
    """The shipped conformance suite (``shoal.testing``) on the default backend, opened by URL."""

    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'shoal.db'}"


@pytest.mark.postgres
class TestPostgresStore(RequestStoreConformance):
    @pytest.fixture
    def store_url(self, pg_url: str) -> str:
        return pg_url


@pytest.mark.redis
class TestSQLiteWithRedisCounters(TestSQLiteStore):
    """The same suite with the shared counters in Redis (``store.redis_url``), as replicas run it."""

    @pytest.fixture(autouse=True)
    def _redis(self) -> Iterator[None]:
        redis = pytest.importorskip("redis")
        client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2)
        try:
            client.ping()
        except redis.RedisError:
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        self.prefix = f"shoal-test-{uuid.uuid4().hex[:10]}"
        yield
        keys = list(client.scan_iter(f"{self.prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()

    def store_config(self, url: str) -> StoreConfig:
        return StoreConfig(url=url, flush_interval_s=0.05, redis_url="redis://127.0.0.1:6379/0",
                           redis_prefix=self.prefix)

    def test_counters_live_in_redis(self, store: Store) -> None:
        from shoal.store.counters import RedisCounters

        assert isinstance(store.counters, RedisCounters)


def test_store_url_schemes_come_from_the_entry_points(tmp_path: Path) -> None:
    from shoal.errors import ConfigError
    from shoal.paths import Paths
    from shoal.store import open_store
    from shoal.store.config import StoreConfig
    from shoal.store.registry import schemes

    assert {"sqlite", "postgresql", "postgres"} <= set(schemes())
    with pytest.raises(ValueError, match="unsupported store scheme 'mysql'.*sqlite://"):
        StoreConfig(url="mysql://db/x")
    paths = Paths.at(tmp_path)
    with pytest.raises(ConfigError, match="unsupported store url scheme 'mysql'"):
        open_store(StoreConfig.model_construct(url="mysql://db/x", journal=False), paths)
    # A relative sqlite path is relative to the config file's folder, not the working directory.
    s = open_store(StoreConfig(url="sqlite:///rel/x.db", journal=False), paths)
    try:
        assert s.backend.describe().endswith(str(tmp_path / "rel" / "x.db"))
    finally:
        s.close()


@pytest.mark.redis
def test_redis_counters() -> None:
    redis = pytest.importorskip("redis")
    from shoal.store.counters import RedisCounters

    counters = RedisCounters("redis://127.0.0.1:6379/0")
    scope = f"test:{uuid.uuid4().hex}"
    try:
        counters.client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running")
    try:
        counters.add([(scope, "d1", 1, 2, 0.5, time.time() + 60)])
        assert counters.add([(scope, "d1", 1, 2, 0.25, time.time() + 60)])[(scope, "d1")] == (2, 4, 0.75)
        assert counters.read([(scope, "d1")])[(scope, "d1")] == (2, 4, 0.75)
    finally:
        counters.client.delete(f"shoal:ctr:{scope}:d1")
        counters.close()


_WRITER_SCRIPT = """
import sys, time
from pathlib import Path
from shoal.store import RequestRecord, Store
from shoal.store.backend import SQLiteBackend
root = Path(sys.argv[1])
store = Store(SQLiteBackend(root / "shoal.db"), journal_dir=root / "journal", flush_interval_s=3600)
store.start_writer()
for i in range(200):
    store.record_request(RequestRecord(request_id=f"r{i}", ts=time.time(), team="t", response_text="x" * i))
print("accepted", flush=True)
time.sleep(600)
"""


def test_records_accepted_before_kill_9_are_not_lost(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _WRITER_SCRIPT, str(tmp_path)], stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"accepted"
    proc.kill()  # SIGKILL: no flush, no atexit
    proc.wait(10)
    store = Store(SQLiteBackend(tmp_path / "shoal.db"), journal_dir=tmp_path / "journal")
    try:
        assert store.query_requests(limit=1000) == []  # nothing had reached the database
        assert store.replay_journals() == 200
        records = store.query_requests(limit=1000)
        assert len(records) == 200 and store.get_request("r199").response_text == "x" * 199
        assert list((tmp_path / "journal").glob("*.jsonl")) == []
        assert store.replay_journals() == 0
    finally:
        store.close()


def test_a_corrupt_journal_line_is_skipped_and_the_rest_replayed(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    journal.mkdir()
    from shoal.store.journal import record_to_json

    (journal / "requests-1-dead.jsonl").write_bytes(
        record_to_json(_record(1)) + b'{"request_id": "half' + b"\n" + record_to_json(_record(2)))
    store = Store(SQLiteBackend(tmp_path / "shoal.db"), journal_dir=journal)
    try:
        assert store.replay_journals() == 2
        assert {r.request_id for r in store.query_requests()} == {"req-1", "req-2"}
    finally:
        store.close()


def test_shutdown_flushes_and_removes_the_journal(tmp_path: Path) -> None:
    store = Store(SQLiteBackend(tmp_path / "shoal.db"), journal_dir=tmp_path / "journal", flush_interval_s=3600)
    store.start_writer()
    for i in range(50):
        store.record_request(_record(i))
    store.close()
    assert list((tmp_path / "journal").glob("*.jsonl")) == []
    again = Store(SQLiteBackend(tmp_path / "shoal.db"), journal_dir=tmp_path / "journal")
    try:
        assert len(again.query_requests(limit=100)) == 50
    finally:
        again.close()


def test_a_record_the_database_refuses_does_not_block_the_log(tmp_path: Path) -> None:
    store = Store(SQLiteBackend(tmp_path / "shoal.db"), journal_dir=tmp_path / "journal", flush_interval_s=0.05)
    writer = store.start_writer()
    real_insert = writer._insert

    def picky(records: list[RequestRecord]) -> None:
        if any(r.request_id == "poison" for r in records):
            raise ValueError("refused")
        real_insert(records)

    writer._insert = picky  # type: ignore[method-assign]
    for rid in ("a", "poison", "b"):
        store.record_request(_record(0, request_id=rid))
    assert store.flush(10)
    assert {r.request_id for r in store.query_requests()} == {"a", "b"} and writer.rejected == 1
    assert b"poison" in next((tmp_path / "journal").glob("*.rejected")).read_bytes()
    store.close()


def test_files_shoal_creates_are_owner_only(tmp_path: Path) -> None:
    """The request log holds prompts: the database, its WAL and the journal are 0600 whatever the umask."""
    old = os.umask(0o022)
    try:
        store = Store(SQLiteBackend(tmp_path / "shoal.db"), journal_dir=tmp_path / "journal", flush_interval_s=3600)
        store.start_writer()
        store.record_request(_record(1))
        created = [tmp_path / "shoal.db", *(tmp_path / "journal").glob("*.jsonl")]
        store.query_requests(RequestFilter(), 10)
        created += [p for p in (tmp_path / "shoal.db-wal", tmp_path / "shoal.db-shm") if p.exists()]
        modes = {p.name: p.stat().st_mode & 0o777 for p in created}
        store.close()
    finally:
        os.umask(old)
    assert len(modes) >= 3
    assert set(modes.values()) == {0o600}, modes


class TestBackendRegisteredByAPlugin(RequestStoreConformance):
    """A URL scheme known only through a plug-in's entry point (here a second name for the SQLite
    backend): the config accepts it, the registry opens it, and the shipped suite runs on it."""

    @pytest.fixture
    def store_url(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
        from tests.plugins import install

        install(monkeypatch, tmp_path / "site", {"shoal.stores": {"litefs": "shoal.store.registry:open_sqlite"}})
        return f"litefs:///{tmp_path / 'shoal.db'}"
