"""Atomic reservations in the shared counters: SQLite, PostgreSQL and Redis behave the same."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shoal.store.backend import PostgresBackend, SQLiteBackend
from shoal.store.counters import Counters, Item, RedisCounters, SqlCounters
from shoal.store.migrations import migrate
from tests.store.test_store import pg_url  # noqa: F401 - fixture


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "redis"])
def counters(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Counters]:
    if request.param == "redis":
        redis = pytest.importorskip("redis")
        try:
            redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
        except redis.RedisError:
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        prefix = f"shoal-test-{uuid.uuid4().hex[:10]}"
        rc = RedisCounters("redis://127.0.0.1:6379/0", prefix=prefix)
        yield rc
        keys = list(rc.client.scan_iter(f"{prefix}:*"))
        if keys:
            rc.client.delete(*keys)
        rc.close()
        return
    backend = (SQLiteBackend(tmp_path / "c.db") if request.param == "sqlite"
               else PostgresBackend(request.getfixturevalue("pg_url")))
    migrate(backend)
    yield SqlCounters(backend)
    backend.close()

EXPIRES = time.time() + 3600


def _item(scope: str, *, req: int = 1, tok: int = 0, usd: float = 0.0, max_r: int | None = None,
          max_t: int | None = None, max_u: float | None = None) -> Item:
    return (scope, "w1", req, tok, usd, EXPIRES, max_r, max_t, max_u)


def test_all_or_nothing_and_settlements_kept_when_refused(counters: Counters) -> None:
    refusal, totals = counters.reserve([_item("key:a", usd=0.4, max_u=1.0), _item("team:t", usd=0.4, max_u=1.0)], [])
    assert refusal is None and totals[("team:t", "w1")] == (1, 0, pytest.approx(0.4))
    assert counters.reserve([_item("key:a", usd=0.4, max_u=1.0), _item("team:t", usd=0.4, max_u=0.3)], [])[0] == (
        1, 2, (1, 0, pytest.approx(0.4)))
    # Refused: key:a was not charged either; but the settlement sent along was applied.
    settle = [("team:t", "w1", 0, 0, -0.3, EXPIRES)]
    refusal, _ = counters.reserve([_item("team:t", max_r=1)], settle)
    assert refusal is not None and refusal[:2] == (0, 0)
    after = counters.read([("key:a", "w1"), ("team:t", "w1")])
    assert after[("key:a", "w1")] == (1, 0, pytest.approx(0.4))
    assert after[("team:t", "w1")] == (1, 0, pytest.approx(0.1))


def test_concurrent_reservations_never_pass_a_request_limit(counters: Counters) -> None:
    def one(_: int) -> bool:
        return counters.reserve([_item("team:burst", max_r=7), _item("key:k", tok=10, max_t=1000)], [])[0] is None

    with ThreadPoolExecutor(8) as pool:
        admitted = sum(pool.map(one, range(40)))
    assert admitted == 7
    assert counters.read([("team:burst", "w1")])[("team:burst", "w1")][0] == 7
