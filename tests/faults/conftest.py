"""Fixtures of the fault-injection suite: PostgreSQL and Redis behind proxies that refuse, hang and cut."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.servers.tcp_proxy import FaultProxy
from tests.store.test_store import pg_url  # noqa: F401 - fixture


@pytest.fixture
def pg_proxy(pg_url: str) -> Iterator[tuple[FaultProxy, str]]:  # noqa: F811
    proxy = FaultProxy("127.0.0.1", 5432)
    try:
        yield proxy, pg_url.replace("127.0.0.1:5432", proxy.address)
    finally:
        proxy.close()


@pytest.fixture
def redis_proxy() -> Iterator[tuple[FaultProxy, str, str]]:
    """(proxy, redis url through it, a key prefix of this test only)."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    proxy = FaultProxy("127.0.0.1", 6379)
    prefix = f"shoal-test-{uuid.uuid4().hex[:10]}"
    try:
        yield proxy, f"redis://{proxy.address}/0", prefix
    finally:
        proxy.close()
        client = redis.Redis(host="127.0.0.1", port=6379)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
