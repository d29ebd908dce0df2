"""Shared usage counters for rate limits and budgets: one row per (scope, window).

``reserve`` is the admission step: in one atomic operation it applies the caller's pending
deltas (settlements of finished requests), checks every limit of the new request against the
global totals and, only if all fit, adds the request's reservation. ``add`` pushes deltas
(counted while the shared store was unreachable, or settlements). Two implementations: SQL (the
store's own database — PostgreSQL for several hosts, SQLite for several processes on one host)
and Redis (a Lua script, so the check and the increments are one step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shoal.store.backend import Backend, Cursor

CounterKey = tuple[str, str]  # (scope, window), e.g. ("team:search", "d20240" )
Totals = tuple[int, int, float]  # requests, tokens, usd
Delta = tuple[str, str, int, int, float, float]  # scope, window, requests, tokens, usd, expires_at
# A reservation for one cell: the delta, then the limits (None: not limited) on requests, tokens, usd.
Item = tuple[str, str, int, int, float, float, int | None, int | None, float | None]
# (index of the refused item, which total: 0 requests, 1 tokens, 2 usd, the totals before), or None.
Refusal = tuple[int, int, Totals] | None


def over(item: Item, before: Totals) -> int | None:
    """Which limit of ``item`` the totals ``before`` it leave no room for (0, 1, 2), or None.

    Requests are exact (the new one must fit). Tokens and USD admit while the total is below the
    limit, counting every reservation still open: the last request admitted can overshoot by at
    most its own cost beyond its reservation (its reservation is its maximum).
    """
    _, _, req, _, _, _, max_r, max_t, max_u = item
    if max_r is not None and before[0] + req > max_r:
        return 0
    if max_t is not None and before[1] >= max_t:
        return 1
    if max_u is not None and before[2] >= max_u - 1e-12:
        return 2
    return None


class Counters(Protocol):
    def add(self, deltas: Sequence[Delta]) -> dict[CounterKey, Totals]: ...

    def read(self, keys: Sequence[CounterKey]) -> dict[CounterKey, Totals]: ...

    def reserve(self, items: Sequence[Item], settle: Sequence[Delta]) -> tuple[Refusal, dict[CounterKey, Totals]]:
        """Apply ``settle``, then add every item if each fits its limits, else none. Returns the
        refusal (or None) and the totals now stored for the keys touched."""
        ...

    def purge(self, now: float) -> None: ...

    def ping(self) -> None: ...


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

    def reserve(self, items: Sequence[Item], settle: Sequence[Delta]) -> tuple[Refusal, dict[CounterKey, Totals]]:
        # One pass over the keys in sorted order (two processes lock rows in the same order: no
        # deadlock); SQLite takes the write lock up front (BEGIN IMMEDIATE).
        work: dict[CounterKey, list[float]] = {}  # key -> [settle r, t, u, expires, item index or -1]
        for scope, win, req, tok, usd, expires in settle:
            cell = work.setdefault((scope, win), [0, 0, 0.0, expires, -1])
            cell[0] += req
            cell[1] += tok
            cell[2] += usd
        for i, it in enumerate(items):
            work.setdefault((it[0], it[1]), [0, 0, 0.0, it[5], -1])[4] = i
        out: dict[CounterKey, Totals] = {}
        refusal: Refusal = None
        applied: list[tuple[CounterKey, Item]] = []
        with self.backend.transaction(exclusive=self.backend.dialect == "sqlite") as cur:
            for key in sorted(work):
                r, t, u, expires, index = work[key]
                item: Item | None = items[int(index)] if index >= 0 else None
                if item is not None and refusal is None:
                    r, t, u = r + item[2], t + item[3], u + item[4]
                after = self._upsert(cur, key, int(r), int(t), float(u), expires)
                if item is not None and refusal is None:
                    before = (after[0] - item[2], after[1] - item[3], after[2] - item[4])
                    which = over(item, before)
                    if which is not None:
                        refusal = (int(index), which, before)
                        after = self._upsert(cur, key, -item[2], -item[3], -item[4], expires)
                    else:
                        applied.append((key, item))
                out[key] = after
            if refusal is not None:  # all or nothing: take back what this request already added
                for key, item in applied:
                    out[key] = self._upsert(cur, key, -item[2], -item[3], -item[4], item[5])
        return refusal, out

    @staticmethod
    def _upsert(cur: Cursor, key: CounterKey, req: int, tok: int, usd: float, expires: float) -> Totals:
        cur.execute(
            "INSERT INTO usage_counters (scope, win, requests, tokens, usd, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, win) DO UPDATE SET "
            "requests = usage_counters.requests + excluded.requests, "
            "tokens = usage_counters.tokens + excluded.tokens, "
            "usd = usage_counters.usd + excluded.usd RETURNING requests, tokens, usd",
            (key[0], key[1], req, tok, usd, expires))
        row = cur.fetchone()
        return int(row[0]), int(row[1]), float(row[2])

    def ping(self) -> None:
        with self.backend.transaction() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()

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

    def __init__(self, url: str, *, timeout_s: float = 2.0, prefix: str = "shoal") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        self.prefix = prefix
        self._reserve = self.client.register_script(_RESERVE_LUA)

    def _key(self, scope: str, win: str) -> str:
        return f"{self.prefix}:ctr:{scope}:{win}"

    def reserve(self, items: Sequence[Item], settle: Sequence[Delta]) -> tuple[Refusal, dict[CounterKey, Totals]]:
        import time

        now = time.time()
        keys = [self._key(d[0], d[1]) for d in settle] + [self._key(i[0], i[1]) for i in items]
        args: list[str | int | float] = [len(settle), len(items)]
        for _, _, req, tok, usd, expires in settle:
            args += [req, tok, repr(float(usd)), max(1, int(expires - now))]
        for _, _, req, tok, usd, expires, max_r, max_t, max_u in items:
            args += [req, tok, repr(float(usd)), max(1, int(expires - now)),
                     "" if max_r is None else max_r, "" if max_t is None else max_t,
                     "" if max_u is None else repr(float(max_u) - 1e-12)]
        result = self._reserve(keys=keys, args=args)
        if int(result[0]) != 0:
            before = (int(result[2]), int(result[3]), float(result[4]))
            return (int(result[0]) - 1, int(result[1]), before), {}
        out: dict[CounterKey, Totals] = {}
        for j, item in enumerate(items):
            r, t, u = result[2 + 3 * j: 5 + 3 * j]
            out[(item[0], item[1])] = (int(r), int(t), float(u))
        return None, out

    def ping(self) -> None:
        self.client.ping()

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


# KEYS: the settle keys, then the item keys. ARGV: #settle, #items, then 4 values per settle
# (requests, tokens, usd, ttl) and 7 per item (the same + max requests, tokens, usd; "" = none).
# Checks first, increments only if every item fits: one atomic step on the Redis server.
_RESERVE_LUA = """
local ns, ni = tonumber(ARGV[1]), tonumber(ARGV[2])
local a = 3
for i = 1, ns do
  local k = KEYS[i]
  redis.call('HINCRBY', k, 'r', ARGV[a]); redis.call('HINCRBY', k, 't', ARGV[a + 1])
  redis.call('HINCRBYFLOAT', k, 'u', ARGV[a + 2]); redis.call('EXPIRE', k, ARGV[a + 3])
  a = a + 4
end
local first = a
for j = 1, ni do
  local v = redis.call('HMGET', KEYS[ns + j], 'r', 't', 'u')
  local r, t, u = tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or '0')
  local which = -1
  if ARGV[a + 4] ~= '' and r + tonumber(ARGV[a]) > tonumber(ARGV[a + 4]) then which = 0
  elseif ARGV[a + 5] ~= '' and t >= tonumber(ARGV[a + 5]) then which = 1
  elseif ARGV[a + 6] ~= '' and u >= tonumber(ARGV[a + 6]) then which = 2 end
  if which >= 0 then return {j, which, tostring(r), tostring(t), tostring(u)} end
  a = a + 7
end
a = first
local out = {0, 0}
for j = 1, ni do
  local k = KEYS[ns + j]
  local r = redis.call('HINCRBY', k, 'r', ARGV[a])
  local t = redis.call('HINCRBY', k, 't', ARGV[a + 1])
  local u = redis.call('HINCRBYFLOAT', k, 'u', ARGV[a + 2])
  redis.call('EXPIRE', k, ARGV[a + 3])
  out[#out + 1] = tostring(r); out[#out + 1] = tostring(t); out[#out + 1] = tostring(u)
  a = a + 7
end
return out
"""
