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

from shoal.errors import NotFoundError, ShoalError
from shoal.store import Limits, RequestFilter, RequestRecord, Store
from shoal.store.backend import PostgresBackend, SQLiteBackend
from shoal.store.migrations import MIGRATIONS, applied

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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        backend: SQLiteBackend | PostgresBackend = SQLiteBackend(tmp_path / "shoal.db")
    else:
        backend = PostgresBackend(request.getfixturevalue("pg_url"))
    s = Store(backend, journal_dir=tmp_path / "journal", flush_interval_s=0.05)
    yield s
    s.close()


def test_migrations_are_numbered_and_idempotent(store: Store) -> None:
    assert [n for n, _ in applied(store.backend)] == [m.number for m in MIGRATIONS]
    from shoal.store.migrations import migrate

    assert migrate(store.backend) == []


def test_records_roundtrip_query_and_usage(store: Store) -> None:
    store.start_writer()
    for i in range(5):
        store.record_request(_record(i, team="search" if i < 3 else "ads", route_reasons=["pin:cheap"]))
    store.record_request(_record(9, status=502, error="upstream down", cost_usd=0.0))
    got = store.get_request("req-1")  # readable at once, committed or not
    assert got.route_reasons == ["pin:cheap"] and got.response_text == "answer 1"
    assert store.flush()
    assert [r.request_id for r in store.query_requests(RequestFilter(team="ads"))] == ["req-4", "req-3"]
    assert [r.request_id for r in store.query_requests(RequestFilter(errors_only=True))] == ["req-9"]
    by_team = {u.group: u for u in store.usage("team")}
    assert by_team["search"].requests == 4 and by_team["search"].errors == 1
    assert by_team["search"].prompt_tokens == 40 and by_team["search"].cost_usd == pytest.approx(0.003)
    with pytest.raises(NotFoundError):
        store.get_request("req-4", team="search")  # another team's record does not exist for you
    with pytest.raises(ShoalError, match="cannot group usage"):
        store.usage("password")


def test_feedback_keeps_the_original_answer_and_review_state(store: Store) -> None:
    store.record_request(_record(1))
    fid = store.add_feedback("req-1", rating=-1, correction="better answer", comment="too short", team="search")
    fb = store.get_feedback(fid)
    assert fb.original_response == "answer 1" and fb.status == "pending" and fb.team == "search"
    with pytest.raises(NotFoundError):
        store.add_feedback("req-1", rating=1, team="ads")
    with pytest.raises(ShoalError, match="rating"):
        store.add_feedback("req-1", rating=9)
    reviewed = store.set_feedback_status(fid, "accepted", edited_correction="best answer", reviewer="lee")
    assert reviewed.status == "accepted" and reviewed.final_correction == "best answer"
    assert [f.id for f in store.list_feedback(status="accepted", team="search")] == [fid]
    assert store.list_feedback(team="ads") == []
    with pytest.raises(ShoalError, match="unknown feedback status"):
        store.set_feedback_status(fid, "maybe")


def test_keys_are_hashed(store: Store) -> None:
    key, secret = store.create_key(team="search", groups=["hr"], limits=Limits(usd_per_day=5))
    assert secret.startswith("sk-shoal-") and len(secret) > 40
    assert secret not in repr(key) and key.key_hash != secret
    found = store.find_key(secret)
    assert found is not None and found.groups == frozenset({"hr"}) and found.limits.usd_per_day == 5
    store.revoke_key(key.key_id)
    assert store.find_key(secret) is None
    assert store.list_keys() == [] and len(store.list_keys(include_revoked=True)) == 1


def test_counters_add_deltas_from_everyone(store: Store) -> None:
    far = time.time() + 3600
    store.counters.add([("team:a", "d1", 1, 10, 0.5, far)])
    totals = store.counters.add([("team:a", "d1", 2, 5, 0.25, far), ("key:k", "m1", 1, 0, 0.0, far)])
    assert totals[("team:a", "d1")] == (3, 15, 0.75)
    assert store.counters.read([("team:a", "d1"), ("none", "x")])[("none", "x")] == (0, 0, 0.0)
    store.counters.purge(far + 10)
    assert store.counters.read([("team:a", "d1")])[("team:a", "d1")] == (0, 0, 0.0)


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


def test_nul_bytes_are_stored(store: Store) -> None:
    store.record_request(_record(1, response_text="a\x00b"))
    assert store.get_request("req-1").response_text == "a\ufffdb"


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
