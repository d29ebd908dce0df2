"""Shared usage counters for rate limits and budgets: one row per (scope, window).

Every gateway process adds its *deltas* (requests, tokens, USD since its last sync) and reads back
the totals, so the counters are the sum over all processes. Two implementations: SQL (the store's
own database — PostgreSQL for several hosts, SQLite for several processes on one host) and Redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shoal.store.backend import Backend

CounterKey = tuple[str, str]  # (scope, window), e.g. ("team:search", "d20240" )
Totals = tuple[int, int, float]  # requests, tokens, usd
Delta = tuple[str, str, int, int, float, float]  # scope, window, requests, tokens, usd, expires_at


class Counters(Protocol):
    def add(self, deltas: Sequence[Delta]) -> dict[CounterKey, Totals]: ...

    def read(self, keys: Sequence[CounterKey]) -> dict[CounterKey, Totals]: ...

    def purge(self, now: float) -> None: ...


class SqlCounters:
    """Counters in the ``usage_counters`` table; ``add`` is one transaction of upserts."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def add(self, deltas: Sequence[Delta]) -> dict[CounterKey, Totals]:
        out: dict[CounterKey, Totals] = {}
        # Sorted, so two processes upserting the same rows lock them in the same order (no deadlock).
        with self.backend.transaction() as cur:
            for scope, win, req, tok, usd, expires in sorted(deltas):
                cur.execute(
                    "INSERT INTO usage_counters (scope, win, requests, tokens, usd, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, win) DO UPDATE SET "
                    "requests = usage_counters.requests + excluded.requests, "
                    "tokens = usage_counters.tokens + excluded.tokens, "
                    "usd = usage_counters.usd + excluded.usd RETURNING requests, tokens, usd",
                    (scope, win, req, tok, usd, expires))
                row = cur.fetchone()
                out[(scope, win)] = (int(row[0]), int(row[1]), float(row[2]))
        return out

    def read(self, keys: Sequence[CounterKey]) -> dict[CounterKey, Totals]:
        out: dict[CounterKey, Totals] = {}
        if not keys:
            return out
        with self.backend.transaction() as cur:
            for scope, win in keys:
                cur.execute("SELECT requests, tokens, usd FROM usage_counters WHERE scope = ? AND win = ?",
                            (scope, win))
                row = cur.fetchone()
                out[(scope, win)] = (0, 0, 0.0) if row is None else (int(row[0]), int(row[1]), float(row[2]))
        return out

    def purge(self, now: float) -> None:
        with self.backend.transaction() as cur:
            cur.execute("DELETE FROM usage_counters WHERE expires_at < ?", (now,))


class RedisCounters:
    """Counters as Redis hashes ``shoal:ctr:<scope>:<window>`` with fields r, t, u and a TTL."""

    def __init__(self, url: str, *, timeout_s: float = 2.0) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)

    @staticmethod
    def _key(scope: str, win: str) -> str:
        return f"shoal:ctr:{scope}:{win}"

    def add(self, deltas: Sequence[Delta]) -> dict[CounterKey, Totals]:
        import time

        pipe = self.client.pipeline(transaction=True)
        for scope, win, req, tok, usd, expires in deltas:
            key = self._key(scope, win)
            pipe.hincrby(key, "r", req)
            pipe.hincrby(key, "t", tok)
            pipe.hincrbyfloat(key, "u", usd)
            pipe.expire(key, max(1, int(expires - time.time())))
        results = pipe.execute()
        out: dict[CounterKey, Totals] = {}
        for i, (scope, win, *_rest) in enumerate(deltas):
            r, t, u = results[4 * i: 4 * i + 3]
            out[(scope, win)] = (int(r), int(t), float(u))
        return out

    def read(self, keys: Sequence[CounterKey]) -> dict[CounterKey, Totals]:
        pipe = self.client.pipeline(transaction=False)
        for scope, win in keys:
            pipe.hmget(self._key(scope, win), "r", "t", "u")
        out: dict[CounterKey, Totals] = {}
        for (scope, win), (r, t, u) in zip(keys, pipe.execute(), strict=True):
            out[(scope, win)] = (int(r or 0), int(t or 0), float(u or 0.0))
        return out

    def purge(self, now: float) -> None:
        """Redis expires the keys by itself."""

    def close(self) -> None:
        self.client.close()
