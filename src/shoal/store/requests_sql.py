"""SQL for the request log: insert, read, query and usage aggregation."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import orjson

from shoal.errors import ShoalError
from shoal.store import rollups
from shoal.store.backend import Backend
from shoal.store.records import RequestFilter, RequestRecord, UsageRow

COLUMNS = ("request_id", "ts", "endpoint", "key_id", "team", "user_name", "segment", "requested_model",
           "served_model", "served_model_id", "route", "route_reasons", "sensitivity",
           "sensitivity_reasons", "prompt_tokens", "completion_tokens", "cost_usd", "latency_ms", "status",
           "error", "stream", "collection", "citations", "request_messages", "response_text", "ttft_ms")
_JSON_COLUMNS = {"route_reasons", "sensitivity_reasons", "citations", "request_messages"}
SELECT_COLUMNS = _SELECT = f"SELECT {', '.join(COLUMNS)} FROM requests"
# SQLite: many rows per INSERT statement. executemany would step once per row, and CPython releases
# and re-takes the GIL around every step; under load the event loop holds the GIL, so each re-take
# waits up to a switch interval and the writer falls behind the gateway. Unpacking one JSON array
# with json_each/json_extract avoided that but cost SQLite ~3x the CPU per row, which the gateway
# paid in tail latency whenever a batch ran beside it on a small machine.
_SQLITE_MAX_VARIABLES = 999  # SQLite's limit before 3.32; newer builds allow more, this is plenty
_PG_ROWS_PER_STATEMENT = 1000  # 26 columns × 1000 rows stays far below PostgreSQL's 65535 parameters


@lru_cache(maxsize=4)
def _insert_rows_sql(n: int) -> str:
    row = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    # RETURNING names the rows really inserted: only those are added to the rollups (a replayed
    # journal line that is already stored must not be counted twice).
    return (f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES " + ", ".join([row] * n)
            + " ON CONFLICT (request_id) DO NOTHING RETURNING request_id")


# group_by name -> SQL expression; a dict, so user input never reaches the SQL text.
GROUPS: dict[str, str] = {
    "team": "team", "user": "user_name", "segment": "segment", "model": "served_model",
    "requested_model": "requested_model", "key": "key_id", "route": "route", "sensitivity": "sensitivity",
    "status": "CAST(status AS TEXT)",
}


def _clean(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; a model or a client may still produce one.
    return value.replace("\x00", "\ufffd") if value is not None and "\x00" in value else value


def _to_row(r: RequestRecord) -> tuple[Any, ...]:
    c = _clean
    return (r.request_id, r.ts, r.endpoint, c(r.key_id), c(r.team), c(r.user), c(r.segment), c(r.requested_model),
            c(r.served_model), c(r.served_model_id), c(r.route), orjson.dumps(r.route_reasons).decode(),
            c(r.sensitivity), orjson.dumps(r.sensitivity_reasons).decode(), r.prompt_tokens, r.completion_tokens,
            r.cost_usd, r.latency_ms, r.status, c(r.error), 1 if r.stream else 0, c(r.collection),
            orjson.dumps(r.citations).decode(),
            None if r.request_messages is None else orjson.dumps(r.request_messages).decode(),
            c(r.response_text), r.ttft_ms)


def from_row(row: tuple[Any, ...]) -> RequestRecord:
    data = dict(zip(COLUMNS, row, strict=True))
    for col in _JSON_COLUMNS:
        if data[col] is not None:
            data[col] = orjson.loads(data[col])
    data["user"] = data.pop("user_name")
    data["stream"] = bool(data["stream"])
    data["cost_usd"] = float(data["cost_usd"])
    data["latency_ms"] = float(data["latency_ms"])
    if data["ttft_ms"] is not None:
        data["ttft_ms"] = float(data["ttft_ms"])
    data["ts"] = float(data["ts"])
    return RequestRecord(**data)


def insert(backend: Backend, records: list[RequestRecord]) -> None:
    """Insert records (duplicates ignored) and add the new ones to the rollups, in one transaction."""
    if not records:
        return
    rows = [_to_row(r) for r in records]
    per_statement = (max(1, _SQLITE_MAX_VARIABLES // len(COLUMNS)) if backend.dialect == "sqlite"
                     else _PG_ROWS_PER_STATEMENT)
    inserted: set[str] = set()
    with backend.transaction() as cur:
        for i in range(0, len(rows), per_statement):
            part = rows[i:i + per_statement]
            cur.execute(_insert_rows_sql(len(part)), list(itertools.chain.from_iterable(part)))
            inserted.update(str(r[0]) for r in cur.fetchall())
        if len(inserted) < len(records):
            fresh: list[RequestRecord] = []
            for r in records:
                if r.request_id in inserted:
                    inserted.discard(r.request_id)  # a duplicate inside the batch counts once
                    fresh.append(r)
            records = fresh
        rollups.apply(cur, records)


def get(backend: Backend, request_id: str) -> RequestRecord | None:
    with backend.transaction() as cur:
        cur.execute(f"{_SELECT} WHERE request_id = ?", (request_id,))
        row = cur.fetchone()
    return None if row is None else from_row(tuple(row))


def _where(f: RequestFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("team", f.team), ("user_name", f.user), ("segment", f.segment),
                          ("key_id", f.key_id), ("served_model", f.model), ("status", f.status),
                          ("endpoint", f.endpoint)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if f.errors_only:
        clauses.append("status >= 400")
    if f.since is not None:
        clauses.append("ts >= ?")
        params.append(f.since)
    if f.until is not None:
        clauses.append("ts < ?")
        params.append(f.until)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def query(backend: Backend, filters: RequestFilter, limit: int, *, oldest_first: bool = False
          ) -> list[RequestRecord]:
    where, params = _where(filters)
    order = "ASC" if oldest_first else "DESC"
    with backend.transaction() as cur:
        cur.execute(f"{_SELECT}{where} ORDER BY ts {order}, request_id {order} LIMIT ?", (*params, int(limit)))
        rows = cur.fetchall()
    return [from_row(tuple(r)) for r in rows]


def usage(backend: Backend, group_by: str, filters: RequestFilter) -> list[UsageRow]:
    expr = GROUPS.get(group_by)
    if expr is None:
        raise ShoalError(f"cannot group usage by {group_by!r}", hint=f"use one of: {', '.join(GROUPS)}")
    where, params = _where(filters)
    sql = (f"SELECT {expr} AS g, COUNT(*), SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), "
           f"SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd) FROM requests{where} "
           f"GROUP BY {expr} ORDER BY SUM(cost_usd) DESC, COUNT(*) DESC")
    with backend.transaction() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [UsageRow(group=None if r[0] is None else str(r[0]), requests=int(r[1]), errors=int(r[2] or 0),
                     prompt_tokens=int(r[3] or 0), completion_tokens=int(r[4] or 0), cost_usd=float(r[5] or 0.0))
            for r in rows]



def usage_by_model(backend: Backend, group_by: str, filters: RequestFilter) -> list[tuple[str | None, UsageRow]]:
    """Like ``usage`` but split by served model too: ``(model, row)`` pairs (for cost allocation)."""
    expr = GROUPS.get(group_by)
    if expr is None:
        raise ShoalError(f"cannot group usage by {group_by!r}", hint=f"use one of: {', '.join(GROUPS)}")
    where, params = _where(filters)
    sql = (f"SELECT {expr} AS g, served_model, COUNT(*), SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), "
           f"SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd) FROM requests{where} "
           f"GROUP BY {expr}, served_model")
    with backend.transaction() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [(None if r[1] is None else str(r[1]),
             UsageRow(group=None if r[0] is None else str(r[0]), requests=int(r[2]), errors=int(r[3] or 0),
                      prompt_tokens=int(r[4] or 0), completion_tokens=int(r[5] or 0), cost_usd=float(r[6] or 0.0)))
            for r in rows]


def bulk_insert(backend: Backend, records: list[RequestRecord]) -> None:
    """Load records known to be new (an import): see ``bulk_load``."""
    bulk_load(backend, [records])


def bulk_load(backend: Backend, batches: Iterable[list[RequestRecord]]) -> int:
    """Load records known to be new (an import, a benchmark) far faster than the gateway's writes,
    into the same tables with the same rollups. Returns how many were loaded.

    The request table's secondary indexes are dropped for the load and rebuilt after it (one sort
    instead of a million random B-tree inserts); rows go in by COPY on PostgreSQL, one prepared
    statement per batch on SQLite (with its sync and cache settings relaxed for the load only);
    the rollups are aggregated over the whole load by the gateway's own ``rollups.Aggregator`` and
    written once. A record whose id already exists is an error (use ``insert`` for those).
    Other writers should not run meanwhile (their lookups would miss the dropped indexes).
    """
    pg = backend.dialect == "postgresql"
    # An import's statements (an index build over the whole log) may run far past the bound on a
    # request's; the backend's own watchdog still applies if it has one.
    unbounded = "SET LOCAL statement_timeout = 0"
    with backend.transaction() as cur:
        if pg:
            cur.execute(unbounded)
            cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'requests' AND indexname NOT IN "
                        "(SELECT conname FROM pg_constraint WHERE conrelid = 'requests'::regclass)")
        else:
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' "
                        "AND sql IS NOT NULL")
        indexes = [str(r[0]) for r in cur.fetchall()]
        for ddl in indexes:
            cur.execute(f"DROP INDEX {_index_name(ddl)}")
    conn = backend.connection()
    if not pg:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB while loading
    agg = rollups.Aggregator()
    n = 0
    try:
        for records in batches:
            rows = [_to_row(r) for r in records]
            with backend.transaction() as cur:
                if pg:
                    cur.execute(unbounded)
                    raw = cur._cur  # type: ignore[attr-defined]  # psycopg's cursor, for COPY
                    with raw.copy(f"COPY requests ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cur.executemany(f"INSERT INTO requests ({', '.join(COLUMNS)}) "
                                    f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
            agg.add(records)
            n += len(records)
        with backend.transaction() as cur:
            if pg:
                cur.execute(unbounded)
            rollups.write(cur, agg.rows(), copy_from=cur._cur if pg else None)  # type: ignore[attr-defined]
    finally:
        with backend.transaction() as cur:
            if pg:
                cur.execute(unbounded)
            for ddl in indexes:
                cur.execute(ddl)
        if not pg:
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-2000")
    return n


def _index_name(ddl: str) -> str:
    # "CREATE [UNIQUE] INDEX name ON ..." (both databases report the statement that made it)
    words = ddl.split()
    return words[words.index("INDEX") + 1]
