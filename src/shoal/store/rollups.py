"""Rollups of the request log, maintained in the same transaction as the records they count.

The dashboard reads these small tables instead of scanning the log:

- ``rollup_hour`` and ``rollup_day``: per hour (day) × team × model × route × sensitivity:
  requests, errors, tokens, cost, latency sum and a latency histogram (p50/p95 without the rows),
  and the same for the time to first token of streamed requests; ``rollup_minute`` the same per
  minute × team (the other dimensions are stored as ``''``: minutes only draw short time series).
  A long window reads whole days from ``rollup_day`` and only its ragged ends from ``rollup_hour``
  (``shoal.store.dashboard_sql``), so a month costs ~30 rows per combination instead of ~720;
- ``rollup_day_who`` and ``rollup_week_who``: per day (7-day bucket, aligned on the unix epoch)
  × team × user × segment × key: requests, tokens, cost. A long window reads whole weeks and
  only its ragged days (a month of 2,000 users: ~25,000 rows instead of ~60,000); (its model
  column is ``''``; spend per model comes from ``rollup_hour``);
- ``rollup_day_reason``: per day × team × kind (route / sensitivity) × reason (numbers masked):
  how often each routing or privacy reason was given;
- ``rollup_day_router``: per day × team × router score (p_ok, in hundredths) × routed model:
  requests and tokens, so a what-if on the router threshold re-decides a month of traffic from a
  few thousand rows;
- ``rollup_peak``: tokens per minute for each scope (``*`` = everything, ``team:X``, ``model:Y``),
  so the busiest minute of a month (GPU sizing) reads one index range of ~43,000 rows.

Only records actually inserted are counted (the insert returns their ids), so replaying a journal
never counts a record twice. NULL dimensions are stored as ``''`` (primary keys cannot hold NULL).
``apply`` aggregates a batch in Python first: a batch of 500 records becomes a few dozen upserts,
and the bulk loader of ``bench/dashboard.py`` uses the same function on large batches.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from shoal.store.backend import Cursor
from shoal.store.records import RequestRecord

# Upper edges (ms) of the latency histogram's buckets; the last bucket is open-ended.
LATENCY_EDGES_MS: tuple[float, ...] = (25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500,
                                       10000, 20000)
N_LAT = len(LATENCY_EDGES_MS) + 1
LAT_COLUMNS = tuple(f"lat_{i}" for i in range(N_LAT))
TTFT_COLUMNS = tuple(f"ttft_{i}" for i in range(N_LAT))
BASE_MEASURES = ("requests", "errors", "prompt_tokens", "completion_tokens", "cost_usd", "latency_ms_sum",
                 *LAT_COLUMNS)
# Time to first token: only streamed requests have one, so it has its own count.
TTFT_MEASURES = ("ttft_n", "ttft_ms_sum", *TTFT_COLUMNS)
MEASURES = (*BASE_MEASURES, *TTFT_MEASURES)
_FLOAT_MEASURES = frozenset(i for i, m in enumerate(MEASURES) if m in ("cost_usd", "latency_ms_sum", "ttft_ms_sum"))
_TTFT_N = MEASURES.index("ttft_n")
_TIME_ZERO: list[float] = [0.0 if i in _FLOAT_MEASURES else 0 for i in range(len(MEASURES))]
TIME_DIMS = ("team", "model", "route", "sensitivity")
WHO_DIMS = ("team", "user_name", "segment", "key_id", "model")
WHO_MEASURES = ("requests", "errors", "prompt_tokens", "completion_tokens", "cost_usd")
_WHO_ZERO: list[float] = [0, 0, 0, 0, 0.0]
GRAINS = {"minute": 60, "hour": 3600, "day": 86400}

_ROUTER = re.compile(r"^router:p_ok=([0-9.]+)")
_NUMBER = re.compile(r"(?<=[=<>])\d+(?:\.\d+)?")  # values after = < >, not digits in model names


def _bigint_cols(names: Sequence[str]) -> str:
    return ", ".join(f"{n} BIGINT NOT NULL DEFAULT 0" for n in names)


def _text_cols(names: Sequence[str]) -> str:
    return ", ".join(f"{n} TEXT NOT NULL DEFAULT ''" for n in names)


def _time_table(name: str, *, ttft: bool = False) -> tuple[str, ...]:
    extra = f", ttft_n BIGINT NOT NULL DEFAULT 0, ttft_ms_sum DOUBLE PRECISION NOT NULL DEFAULT 0, " \
            f"{_bigint_cols(TTFT_COLUMNS)}" if ttft else ""
    return (
        f"""CREATE TABLE {name} (
            bucket BIGINT NOT NULL, {_text_cols(TIME_DIMS)},
            requests BIGINT NOT NULL DEFAULT 0, errors BIGINT NOT NULL DEFAULT 0,
            prompt_tokens BIGINT NOT NULL DEFAULT 0, completion_tokens BIGINT NOT NULL DEFAULT 0,
            cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0, latency_ms_sum DOUBLE PRECISION NOT NULL DEFAULT 0,
            {_bigint_cols(LAT_COLUMNS)}{extra},
            PRIMARY KEY (bucket, {', '.join(TIME_DIMS)}))""",
        f"CREATE INDEX {name}_team ON {name} (team, bucket)",
    )


# Schema for the migration that creates the rollup tables (see shoal.store.migrations).
SCHEMA: tuple[str, ...] = (
    *_time_table("rollup_minute"),
    *_time_table("rollup_hour"),
    f"""CREATE TABLE rollup_day_who (
        bucket BIGINT NOT NULL, {_text_cols(WHO_DIMS)},
        requests BIGINT NOT NULL DEFAULT 0, errors BIGINT NOT NULL DEFAULT 0,
        prompt_tokens BIGINT NOT NULL DEFAULT 0, completion_tokens BIGINT NOT NULL DEFAULT 0,
        cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
        PRIMARY KEY (bucket, {', '.join(WHO_DIMS)}))""",
    "CREATE INDEX rollup_day_who_team ON rollup_day_who (team, bucket)",
    """CREATE TABLE rollup_day_reason (
        bucket BIGINT NOT NULL, team TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL, reason TEXT NOT NULL,
        requests BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (bucket, team, kind, reason))""",
    """CREATE TABLE rollup_day_router (
        bucket BIGINT NOT NULL, team TEXT NOT NULL DEFAULT '', score INTEGER NOT NULL,
        model TEXT NOT NULL DEFAULT '', requests BIGINT NOT NULL DEFAULT 0,
        prompt_tokens BIGINT NOT NULL DEFAULT 0, completion_tokens BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (bucket, team, score, model))""",
)


# Added by a later migration than SCHEMA (tables are never edited after release).
PEAK_SCHEMA: tuple[str, ...] = (
    """CREATE TABLE rollup_peak (
        scope TEXT NOT NULL, bucket BIGINT NOT NULL, tokens BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (scope, bucket))""",
    ("INSERT INTO rollup_peak (scope, bucket, tokens) SELECT '*', bucket, SUM(prompt_tokens + completion_tokens) "
     "FROM rollup_minute GROUP BY bucket"),
    ("INSERT INTO rollup_peak (scope, bucket, tokens) SELECT 'team:' || team, bucket, "
     "SUM(prompt_tokens + completion_tokens) FROM rollup_minute GROUP BY team, bucket"),
    ("INSERT INTO rollup_peak (scope, bucket, tokens) SELECT 'model:' || model, bucket, "
     "SUM(prompt_tokens + completion_tokens) FROM rollup_minute GROUP BY model, bucket"),
)


def _add_ttft(table: str) -> tuple[str, ...]:
    return (f"ALTER TABLE {table} ADD COLUMN ttft_n BIGINT NOT NULL DEFAULT 0",
            f"ALTER TABLE {table} ADD COLUMN ttft_ms_sum DOUBLE PRECISION NOT NULL DEFAULT 0",
            *(f"ALTER TABLE {table} ADD COLUMN {c} BIGINT NOT NULL DEFAULT 0" for c in TTFT_COLUMNS))


_TIME_COLS = ", ".join(("bucket", *TIME_DIMS, *MEASURES))
# Added by a later migration again: time to first token (a new request column and measures of the
# existing time rollups, zero for older records, which never recorded it), and the daily rollup,
# filled from the hourly one so existing databases answer long windows from it at once.
DAY_TTFT_SCHEMA: tuple[str, ...] = (
    "ALTER TABLE requests ADD COLUMN ttft_ms DOUBLE PRECISION",
    *_add_ttft("rollup_minute"),
    *_add_ttft("rollup_hour"),
    *_time_table("rollup_day", ttft=True),
    (f"INSERT INTO rollup_day ({_TIME_COLS}) SELECT (bucket / 86400) * 86400, {', '.join(TIME_DIMS)}, "
     f"{', '.join(f'SUM({m})' for m in MEASURES)} FROM rollup_hour "
     f"GROUP BY (bucket / 86400) * 86400, {', '.join(TIME_DIMS)}"),
    # The busiest minute of a long window reads only this index (no table row per minute).
    "CREATE INDEX rollup_peak_tokens ON rollup_peak (scope, bucket, tokens)",
)


WEEK_SECONDS = 7 * 86400
_WHO_COLS = ", ".join(("bucket", *WHO_DIMS, *WHO_MEASURES))
# Added by a later migration again: the weekly per-user rollup, filled from the daily one.
WEEK_WHO_SCHEMA: tuple[str, ...] = (
    f"""CREATE TABLE rollup_week_who (
        bucket BIGINT NOT NULL, {_text_cols(WHO_DIMS)},
        requests BIGINT NOT NULL DEFAULT 0, errors BIGINT NOT NULL DEFAULT 0,
        prompt_tokens BIGINT NOT NULL DEFAULT 0, completion_tokens BIGINT NOT NULL DEFAULT 0,
        cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
        PRIMARY KEY (bucket, {', '.join(WHO_DIMS)}))""",
    "CREATE INDEX rollup_week_who_team ON rollup_week_who (team, bucket)",
    (f"INSERT INTO rollup_week_who ({_WHO_COLS}) SELECT (bucket / {WEEK_SECONDS}) * {WEEK_SECONDS}, "
     f"{', '.join(WHO_DIMS)}, {', '.join(f'SUM({m})' for m in WHO_MEASURES)} FROM rollup_day_who "
     f"GROUP BY (bucket / {WEEK_SECONDS}) * {WEEK_SECONDS}, {', '.join(WHO_DIMS)}"),
)


def latency_bucket(ms: float) -> int:
    for i, edge in enumerate(LATENCY_EDGES_MS):
        if ms <= edge:
            return i
    return N_LAT - 1


@lru_cache(maxsize=8192)
def reason_key(reason: str) -> str:
    """A reason with its numbers masked, so ``router:p_ok=0.83>=0.71→x`` rolls up as one line."""
    return _NUMBER.sub("#", reason)[:120]


def router_score(reasons: Iterable[str]) -> float | None:
    """The learned router's p_ok recorded in a request's route reasons, if it decided."""
    for reason in reasons:
        m = _ROUTER.match(reason)
        if m:
            try:
                return float(m.group(1))
            except ValueError:
                return None
    return None


def _upsert_sql(table: str, keys: Sequence[str], measures: Sequence[str]) -> str:
    cols = (*keys, *measures)
    sets = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    return (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}")


_TIME_KEYS = ("bucket", *TIME_DIMS)
_WHO_KEYS = ("bucket", *WHO_DIMS)
_SQL = {
    "rollup_minute": _upsert_sql("rollup_minute", _TIME_KEYS, MEASURES),
    "rollup_hour": _upsert_sql("rollup_hour", _TIME_KEYS, MEASURES),
    "rollup_day": _upsert_sql("rollup_day", _TIME_KEYS, MEASURES),
    "rollup_day_who": _upsert_sql("rollup_day_who", _WHO_KEYS, WHO_MEASURES),
    "rollup_week_who": _upsert_sql("rollup_week_who", _WHO_KEYS, WHO_MEASURES),
    "rollup_day_reason": _upsert_sql("rollup_day_reason", ("bucket", "team", "kind", "reason"), ("requests",)),
    "rollup_day_router": _upsert_sql("rollup_day_router", ("bucket", "team", "score", "model"),
                                     ("requests", "prompt_tokens", "completion_tokens")),
    "rollup_peak": _upsert_sql("rollup_peak", ("scope", "bucket"), ("tokens",)),
}


_KEY_LEN = {"rollup_minute": len(_TIME_KEYS), "rollup_hour": len(_TIME_KEYS), "rollup_day": len(_TIME_KEYS),
            "rollup_day_who": len(_WHO_KEYS), "rollup_week_who": len(_WHO_KEYS),
            "rollup_day_reason": 4, "rollup_day_router": 4, "rollup_peak": 2}


class Aggregator:
    """Sums records into rollup rows (pure; no database). ``add`` may be called many times: the
    bulk loader feeds a whole import through one aggregator and writes each rollup once."""

    def __init__(self) -> None:
        # Counts start as ints and sums as floats, so rows need no conversion at the end.
        self.time: dict[str, dict[tuple[Any, ...], list[float]]] = {
            g: defaultdict(_TIME_ZERO.copy) for g in GRAINS}
        self.who: dict[tuple[Any, ...], list[float]] = defaultdict(_WHO_ZERO.copy)
        self.who_week: dict[tuple[Any, ...], list[float]] = defaultdict(_WHO_ZERO.copy)
        self.reasons: dict[tuple[Any, ...], int] = defaultdict(int)
        self.router: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.peak: dict[tuple[str, int], int] = defaultdict(int)

    def add(self, records: Iterable[RequestRecord]) -> Aggregator:
        time_acc, who, reasons, router, peak = self.time, self.who, self.reasons, self.router, self.peak
        for r in records:
            team, model = r.team or "", r.served_model or ""
            err = 0 if 200 <= r.status < 300 else 1
            dims = (team, model, r.route or "", r.sensitivity or "")
            lat = 6 + latency_bucket(r.latency_ms)
            ttft = r.ttft_ms
            ttft_col = _TTFT_N + 2 + latency_bucket(ttft) if ttft is not None else 0
            for grain, seconds in GRAINS.items():
                # Minutes only feed short time series (per team): finer dimensions there would make
                # the minute table as large as the log itself.
                key = (team, "", "", "") if grain == "minute" else dims
                acc = time_acc[grain][(int(r.ts // seconds) * seconds, *key)]
                acc[0] += 1
                acc[1] += err
                acc[2] += r.prompt_tokens
                acc[3] += r.completion_tokens
                acc[4] += r.cost_usd
                acc[5] += r.latency_ms
                acc[lat] += 1
                if ttft is not None:
                    acc[_TTFT_N] += 1
                    acc[_TTFT_N + 1] += ttft
                    acc[ttft_col] += 1
            minute = int(r.ts // 60) * 60
            tokens = r.prompt_tokens + r.completion_tokens
            for scope in ("*", "team:" + team, "model:" + model):
                peak[(scope, minute)] += tokens
            day = int(r.ts // 86400) * 86400
            # Per model spend comes from rollup_hour; a model here would multiply the rows by models.
            who_key = (team, r.user or "", r.segment or "", r.key_id or "", "")
            for w in (who[(day, *who_key)], self.who_week[(int(r.ts // WEEK_SECONDS) * WEEK_SECONDS, *who_key)]):
                w[0] += 1
                w[1] += err
                w[2] += r.prompt_tokens
                w[3] += r.completion_tokens
                w[4] += r.cost_usd
            for kind, items in (("route", r.route_reasons), ("sensitivity", r.sensitivity_reasons)):
                for reason in set(map(reason_key, items)):
                    reasons[(day, team, kind, reason)] += 1
            # Only requests the router decided: a privacy-pinned request may carry the router's score
            # too (computed, then overridden), but no threshold would change where it goes.
            score = router_score(r.route_reasons) if r.route == "router" else None
            if score is not None:
                acc_r = router[(day, team, max(0, min(100, round(score * 100))), model)]
                acc_r[0] += 1
                acc_r[1] += r.prompt_tokens
                acc_r[2] += r.completion_tokens
        return self

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Rows to upsert per rollup table."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        for grain in GRAINS:
            out[f"rollup_{grain}"] = [(*k, *v) for k, v in self.time[grain].items()]
        out["rollup_day_who"] = [(*k, *v) for k, v in self.who.items()]
        out["rollup_week_who"] = [(*k, *v) for k, v in self.who_week.items()]
        out["rollup_day_reason"] = [(*k, n) for k, n in self.reasons.items()]
        out["rollup_day_router"] = [(*k, *v) for k, v in self.router.items()]
        out["rollup_peak"] = [(*k, n) for k, n in self.peak.items()]
        return out


def aggregate(records: Iterable[RequestRecord]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows to upsert per rollup table for these records (pure; no database)."""
    return Aggregator().add(records).rows()




_TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "rollup_minute": _TIME_KEYS, "rollup_hour": _TIME_KEYS, "rollup_day": _TIME_KEYS, "rollup_day_who": _WHO_KEYS,
    "rollup_week_who": _WHO_KEYS,
    "rollup_day_reason": ("bucket", "team", "kind", "reason"), "rollup_day_router": ("bucket", "team", "score", "model"),
    "rollup_peak": ("scope", "bucket")}
_TABLE_MEASURES: dict[str, tuple[str, ...]] = {
    "rollup_minute": MEASURES, "rollup_hour": MEASURES, "rollup_day": MEASURES, "rollup_day_who": WHO_MEASURES,
    "rollup_week_who": WHO_MEASURES,
    "rollup_day_reason": ("requests",), "rollup_day_router": ("requests", "prompt_tokens", "completion_tokens"),
    "rollup_peak": ("tokens",)}


def _copy_upsert(raw: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL bulk form: COPY into a temporary table, then one INSERT ... ON CONFLICT."""
    keys, measures = _TABLE_KEYS[table], _TABLE_MEASURES[table]
    cols = ", ".join((*keys, *measures))
    tmp = f"_load_{table}"
    raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {tmp} (LIKE {table}) ON COMMIT DELETE ROWS")
    with raw.copy(f"COPY {tmp} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    sets = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    raw.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {tmp} ORDER BY {', '.join(keys)} "
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}")
    raw.execute(f"TRUNCATE {tmp}")


def apply(cur: Cursor, records: Sequence[RequestRecord], *, copy_from: Any = None) -> None:
    """Add ``records`` (already inserted, in this transaction) to every rollup.

    ``copy_from``: a psycopg cursor of the same transaction; large row sets then go through COPY
    (the bulk loader's form; the gateway's batches are small and use plain upserts).
    """
    if records:
        write(cur, aggregate(records), copy_from=copy_from)


def write(cur: Cursor, rows_by_table: dict[str, list[tuple[Any, ...]]], *, copy_from: Any = None) -> None:
    """Upsert rows of ``aggregate`` (one statement per table; the bulk loader merges many batches'
    aggregates first and writes once)."""
    for table, rows in rows_by_table.items():
        if not rows:
            continue
        if copy_from is not None and len(rows) > 2000:
            _copy_upsert(copy_from, table, rows)
        else:
            # Sorted keys: concurrent writers (PostgreSQL, several gateways) take row locks in the
            # same order and cannot deadlock on each other's batches.
            n = _KEY_LEN[table]
            cur.executemany(_SQL[table], sorted(rows, key=lambda row: tuple(str(x) for x in row[:n])))


_BACKFILL_COLUMNS = ("request_id", "ts", "team", "user_name", "segment", "key_id", "served_model", "route",
                     "sensitivity", "status", "prompt_tokens", "completion_tokens", "cost_usd", "latency_ms",
                     "route_reasons", "sensitivity_reasons")


def backfill(cur: Cursor, chunk: int = 20_000) -> None:
    """Count the records already in the log (run once, by the migration that creates the tables)."""
    import orjson

    last: tuple[float, str] | None = None
    while True:
        where = "" if last is None else " WHERE ts > ? OR (ts = ? AND request_id > ?)"
        params: tuple[Any, ...] = () if last is None else (last[0], last[0], last[1])
        cur.execute(f"SELECT {', '.join(_BACKFILL_COLUMNS)} FROM requests{where} "
                    f"ORDER BY ts, request_id LIMIT {int(chunk)}", params)
        rows = cur.fetchall()
        if not rows:
            return
        records = [RequestRecord(
            request_id=r[0], ts=float(r[1]), team=r[2], user=r[3], segment=r[4], key_id=r[5], served_model=r[6],
            route=r[7], sensitivity=r[8], status=int(r[9]), prompt_tokens=int(r[10]),
            completion_tokens=int(r[11]), cost_usd=float(r[12]), latency_ms=float(r[13]),
            route_reasons=orjson.loads(r[14] or "[]"), sensitivity_reasons=orjson.loads(r[15] or "[]"))
            for r in rows]
        # The tables as migration 5 created them: rollup_peak and rollup_day do not exist yet (their
        # migrations fill them from rollup_minute / rollup_hour), nor the time-to-first-token
        # columns (older records never recorded one).
        sums = aggregate(records)
        base = len(_TIME_KEYS) + len(BASE_MEASURES)
        for table in ("rollup_minute", "rollup_hour"):
            cur.executemany(_upsert_sql(table, _TIME_KEYS, BASE_MEASURES), [row[:base] for row in sums[table]])
        for table in ("rollup_day_who", "rollup_day_reason", "rollup_day_router"):
            write(cur, {table: sums[table]})
        last = (float(rows[-1][1]), str(rows[-1][0]))
