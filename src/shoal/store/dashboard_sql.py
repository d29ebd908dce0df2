"""Reads for the dashboard: everything from the rollups, plus keyset pages of the request log.

No query here scans the request log: time series and breakdowns read ``rollup_*`` tables (a month
is a few thousand rows), and the log itself is only read a page at a time through an index
(``ts, request_id``), whatever its size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from shoal.errors import ShoalError
from shoal.store.backend import Backend
from shoal.store.records import RequestRecord
from shoal.store.requests_sql import SELECT_COLUMNS, from_row
from shoal.store.rollups import LAT_COLUMNS, LATENCY_EDGES_MS, N_LAT, TTFT_COLUMNS, WEEK_SECONDS

TIME_DIMENSIONS = {"team": "team", "model": "model", "route": "route", "sensitivity": "sensitivity"}
WHO_DIMENSIONS = {"team": "team", "user": "user_name", "segment": "segment", "key": "key_id", "model": "model"}
_SUMS = "SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd)"
_LAT_SUMS = ", ".join(f"SUM({c})" for c in LAT_COLUMNS)
_TTFT_SUMS = "SUM(ttft_n), SUM(ttft_ms_sum), " + ", ".join(f"SUM({c})" for c in TTFT_COLUMNS)
_SERIES_COLUMNS = ("requests", "errors", "prompt_tokens", "completion_tokens", "cost_usd", "latency_ms_sum",
                   *LAT_COLUMNS, "ttft_n", "ttft_ms_sum", *TTFT_COLUMNS)
_HOUR, _DAY = 3600, 86400


@dataclass(frozen=True, slots=True)
class Window:
    """``[since, until)`` in unix seconds and, optionally, one team (``None``: every team)."""

    since: float
    until: float
    team: str | None = None


def quantile(hist: list[int], q: float) -> float | None:
    """Quantile of a latency histogram (linear inside the bucket; the open bucket reports its edge)."""
    total = sum(hist)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for i, n in enumerate(hist):
        if n and seen + n >= rank:
            lo = 0.0 if i == 0 else float(LATENCY_EDGES_MS[i - 1])
            if i >= len(LATENCY_EDGES_MS):
                return lo
            hi = float(LATENCY_EDGES_MS[i])
            return lo + (hi - lo) * (rank - seen) / n
        seen += n
    return float(LATENCY_EDGES_MS[-1])


def _where(w: Window, *, grain_seconds: int) -> tuple[str, list[Any]]:
    # A bucket belongs to the window when it starts inside it (buckets align to their grain).
    lo = int(w.since // grain_seconds) * grain_seconds
    clauses = ["bucket >= ?", "bucket < ?"]
    params: list[Any] = [lo, w.until]
    if w.team is not None:
        clauses.append("team = ?")
        params.append(w.team)
    return " WHERE " + " AND ".join(clauses), params


def _totals(row: Any) -> dict[str, Any]:
    return {"requests": int(row[0] or 0), "errors": int(row[1] or 0), "prompt_tokens": int(row[2] or 0),
            "completion_tokens": int(row[3] or 0), "cost_usd": float(row[4] or 0.0)}


GRAINS = ("minute", "hour", "day")  # the time series grains the rollup tables serve


def grain_for(w: Window) -> str:
    """Minutes for spans up to 6 hours, hours up to 8 days, days beyond."""
    span = w.until - w.since
    return "minute" if span <= 6 * 3600 else "hour" if span <= 8 * _DAY else "day"


def _hour_source(w: Window, columns: tuple[str, ...], *, day_buckets: bool = False) -> tuple[str, list[Any]]:
    """Rows of the hourly rollup for the window, as a subquery: whole days from ``rollup_day``, and
    only the ragged ends (before the first midnight, after the last) from ``rollup_hour``.

    The same hour buckets as reading ``rollup_hour`` alone (those starting in
    ``[floor_hour(since), until)``), so the answer does not depend on the split; a month is then
    ~30 day rows per combination plus at most 46 hour rows, instead of ~720. ``day_buckets``: the
    hour rows report the day they fall in (for a daily time series).
    """
    lo = int(w.since // _HOUR) * _HOUR
    hi = math.ceil(w.until / _HOUR) * _HOUR  # hour buckets < until are those < hi
    d0, d1 = -(-lo // _DAY) * _DAY, hi // _DAY * _DAY
    team = " AND team = ?" if w.team is not None else ""
    tp: list[Any] = [w.team] if w.team is not None else []
    cols = ", ".join(columns)
    hour_cols = cols.replace("bucket", f"(bucket / {_DAY}) * {_DAY} AS bucket", 1) if day_buckets else cols
    if d0 >= d1:
        return (f"SELECT {hour_cols} FROM rollup_hour WHERE bucket >= ? AND bucket < ?{team}", [lo, hi, *tp])
    parts = [f"SELECT {cols} FROM rollup_day WHERE bucket >= ? AND bucket < ?{team}"]
    params: list[Any] = [d0, d1, *tp]
    for a, b in ((lo, d0), (d1, hi)):
        if a < b:
            parts.append(f"SELECT {hour_cols} FROM rollup_hour WHERE bucket >= ? AND bucket < ?{team}")
            params += [a, b, *tp]
    return " UNION ALL ".join(parts), params


_WHO_MEASURES = ("requests", "errors", "prompt_tokens", "completion_tokens", "cost_usd")


def _who_source(w: Window, columns: tuple[str, ...]) -> tuple[str, list[Any]]:
    """Rows of the daily per-user rollup for the window, as a subquery: whole 7-day buckets from
    ``rollup_week_who`` and only the ragged days from ``rollup_day_who`` (day precision: the
    same day buckets as reading ``rollup_day_who`` alone, those starting in
    ``[floor_day(since), until)``)."""
    lo = int(w.since // _DAY) * _DAY
    hi = math.ceil(w.until / _DAY) * _DAY
    w0, w1 = -(-lo // WEEK_SECONDS) * WEEK_SECONDS, hi // WEEK_SECONDS * WEEK_SECONDS
    team = " AND team = ?" if w.team is not None else ""
    tp: list[Any] = [w.team] if w.team is not None else []
    cols = ", ".join(columns)
    if w0 >= w1:
        return f"SELECT {cols} FROM rollup_day_who WHERE bucket >= ? AND bucket < ?{team}", [lo, hi, *tp]
    parts = [f"SELECT {cols} FROM rollup_week_who WHERE bucket >= ? AND bucket < ?{team}"]
    params: list[Any] = [w0, w1, *tp]
    for a, b in ((lo, w0), (w1, hi)):
        if a < b:
            parts.append(f"SELECT {cols} FROM rollup_day_who WHERE bucket >= ? AND bucket < ?{team}")
            params += [a, b, *tp]
    return " UNION ALL ".join(parts), params


def timeseries(backend: Backend, w: Window, grain: str | None = None) -> dict[str, Any]:
    """Per bucket: requests, errors, tokens, cost, mean and p50/p95 latency and time to first
    token; plus the totals."""
    grain = grain or grain_for(w)
    seconds = {"minute": 60, "hour": _HOUR, "day": _DAY}.get(grain)
    if seconds is None:
        raise ShoalError(f"unknown grain {grain!r}", hint="use minute, hour or day")
    sums = f"{_SUMS}, SUM(latency_ms_sum), {_LAT_SUMS}, {_TTFT_SUMS}"
    if grain == "minute":
        where, params = _where(w, grain_seconds=seconds)
        sql = f"SELECT bucket, {sums} FROM rollup_minute{where} GROUP BY bucket ORDER BY bucket"
    else:
        source, params = _hour_source(w, ("bucket", *_SERIES_COLUMNS), day_buckets=grain == "day")
        sql = f"SELECT bucket, {sums} FROM ({source}) u GROUP BY bucket ORDER BY bucket"
    with backend.transaction() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    points = []
    total_hist = [0] * N_LAT
    total_ttft = [0] * N_LAT
    totals: dict[str, float] = {"requests": 0, "errors": 0, "prompt_tokens": 0, "completion_tokens": 0,
                                "cost_usd": 0.0}
    latency_sum = ttft_sum = 0.0
    ttft_n = 0
    t0 = 7 + N_LAT  # ttft_n, ttft_ms_sum, then the time-to-first-token histogram
    for r in rows:
        t = _totals(r[1:6])
        hist = [int(x or 0) for x in r[7:7 + N_LAT]]
        thist = [int(x or 0) for x in r[t0 + 2:t0 + 2 + N_LAT]]
        for i in range(N_LAT):
            total_hist[i] += hist[i]
            total_ttft[i] += thist[i]
        for k in totals:
            totals[k] += t[k]
        latency_sum += float(r[6] or 0.0)
        n_t = int(r[t0] or 0)
        ttft_n += n_t
        ttft_sum += float(r[t0 + 1] or 0.0)
        points.append({"t": int(r[0]), **t, "latency_ms_mean": float(r[6] or 0.0) / t["requests"]
                       if t["requests"] else None, "latency_ms_p50": quantile(hist, 0.5),
                       "latency_ms_p95": quantile(hist, 0.95), "streamed": n_t,
                       "ttft_ms_p50": quantile(thist, 0.5), "ttft_ms_p95": quantile(thist, 0.95)})
    n = int(totals["requests"])
    summary: dict[str, Any] = {**totals, "error_rate": totals["errors"] / n if n else None,
               "latency_ms_mean": latency_sum / n if n else None,
               "latency_ms_p50": quantile(total_hist, 0.5), "latency_ms_p95": quantile(total_hist, 0.95),
               "streamed": ttft_n, "ttft_ms_mean": ttft_sum / ttft_n if ttft_n else None,
               "ttft_ms_p50": quantile(total_ttft, 0.5), "ttft_ms_p95": quantile(total_ttft, 0.95)}
    return {"grain": grain, "bucket_seconds": seconds, "points": points, "totals": summary}


def breakdown(backend: Backend, w: Window, by: str | tuple[str, ...]) -> list[dict[str, Any]]:
    """Totals per value of one or more of team/model/route/sensitivity (daily and hourly rollups)."""
    dims = (by,) if isinstance(by, str) else by
    cols = []
    for d in dims:
        col = TIME_DIMENSIONS.get(d)
        if col is None:
            raise ShoalError(f"cannot break down by {d!r}", hint=f"use one of: {', '.join(TIME_DIMENSIONS)}")
        cols.append(col)
    group = ", ".join(cols)
    source, params = _hour_source(w, (*dict.fromkeys(cols), "requests", "errors", "prompt_tokens",
                                      "completion_tokens", "cost_usd", "latency_ms_sum"))
    with backend.transaction() as cur:
        cur.execute(f"SELECT {group}, {_SUMS}, SUM(latency_ms_sum) FROM ({source}) u GROUP BY {group} "
                    "ORDER BY SUM(cost_usd) DESC, SUM(requests) DESC", params)
        rows = cur.fetchall()
    k = len(cols)
    return [{**{d: (r[i] or None) for i, d in enumerate(dims)}, **_totals(r[k:k + 5]),
             "latency_ms_mean": float(r[k + 5] or 0.0) / int(r[k]) if r[k] else None} for r in rows]


def who(backend: Backend, w: Window, by: str, limit: int = 50) -> list[dict[str, Any]]:
    """Totals per team, user, segment, key or model, biggest spenders first.

    Team and model come from the time rollups (hour precision; the daily per-user rollup does not
    split by model); user, segment and key from the daily per-user rollup (day precision).
    """
    col = WHO_DIMENSIONS.get(by)
    if col is None:
        raise ShoalError(f"cannot group spend by {by!r}", hint=f"use one of: {', '.join(WHO_DIMENSIONS)}")
    if by in TIME_DIMENSIONS:
        return [{"group": r[by], **{k: r[k] for k in ("requests", "errors", "prompt_tokens", "completion_tokens",
                                                      "cost_usd")}} for r in breakdown(backend, w, by)[:limit]]
    source, params = _who_source(w, (col, *_WHO_MEASURES))
    with backend.transaction() as cur:
        cur.execute(f"SELECT {col}, {_SUMS} FROM ({source}) u GROUP BY {col} "
                    f"ORDER BY SUM(cost_usd) DESC, SUM(requests) DESC LIMIT {int(limit)}", params)
        rows = cur.fetchall()
    return [{"group": r[0] or None, **_totals(r[1:6])} for r in rows]


def who_many(backend: Backend, w: Window, bys: tuple[str, ...], limit: int = 50) -> dict[str, list[dict[str, Any]]]:
    """``who`` for several of user / segment / key at once: one read of the daily per-user
    rollup (grouped by all of them) instead of one per dimension."""
    cols = []
    for by in bys:
        col = WHO_DIMENSIONS.get(by)
        if col is None or by in TIME_DIMENSIONS:
            raise ShoalError(f"cannot group spend by {by!r} here", hint="use one of: user, segment, key")
        cols.append(col)
    group = ", ".join(cols)
    source, params = _who_source(w, (*cols, *_WHO_MEASURES))
    with backend.transaction() as cur:
        cur.execute(f"SELECT {group}, {_SUMS} FROM ({source}) u GROUP BY {group}", params)
        rows = cur.fetchall()
    k = len(cols)
    out: dict[str, list[dict[str, Any]]] = {}
    for i, by in enumerate(bys):
        acc: dict[Any, list[float]] = {}
        for r in rows:
            a = acc.setdefault(r[i], [0, 0, 0, 0, 0.0])
            for j in range(5):
                a[j] += r[k + j] or 0
        ranked = sorted(acc.items(), key=lambda kv: (-kv[1][4], -kv[1][0]))[:limit]
        out[by] = [{"group": g or None, **_totals(v)} for g, v in ranked]
    return out


def reasons(backend: Backend, w: Window, kind: str, limit: int = 20) -> list[dict[str, Any]]:
    """How often each route or sensitivity reason was given (numbers masked), most frequent first."""
    where, params = _where(w, grain_seconds=86400)
    with backend.transaction() as cur:
        cur.execute(f"SELECT reason, SUM(requests) FROM rollup_day_reason{where} AND kind = ? GROUP BY reason "
                    f"ORDER BY SUM(requests) DESC, reason LIMIT {int(limit)}", (*params, kind))
        rows = cur.fetchall()
    return [{"reason": r[0], "requests": int(r[1])} for r in rows]


def router_scores(backend: Backend, w: Window) -> list[dict[str, Any]]:
    """Requests the learned router decided, by recorded score (hundredths) and routed model."""
    where, params = _where(w, grain_seconds=86400)
    with backend.transaction() as cur:
        cur.execute(f"SELECT score, model, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens) "
                    f"FROM rollup_day_router{where} GROUP BY score, model ORDER BY score, model", params)
        rows = cur.fetchall()
    return [{"score": int(r[0]) / 100.0, "model": r[1] or None, "requests": int(r[2]),
             "prompt_tokens": int(r[3]), "completion_tokens": int(r[4])} for r in rows]


def peak_tokens_per_s(backend: Backend, w: Window, scope: str = "*") -> float:
    """Tokens/s of the busiest minute in the window for a scope (``*``, ``team:X``, ``model:Y``)."""
    lo = int(w.since // 60) * 60
    with backend.transaction() as cur:
        cur.execute("SELECT MAX(tokens) FROM rollup_peak WHERE scope = ? AND bucket >= ? AND bucket < ?",
                    (scope, lo, w.until))
        row = cur.fetchone()
    return 0.0 if row is None or row[0] is None else float(row[0]) / 60.0


def first_ts(backend: Backend) -> float | None:
    """Start of the first hour with a record (from the rollup; no log scan)."""
    with backend.transaction() as cur:
        cur.execute("SELECT MIN(bucket) FROM rollup_hour")
        row = cur.fetchone()
    return None if row is None or row[0] is None else float(row[0])


# --- the request log, a page at a time ---------------------------------------------------------

PAGE_FILTERS = {"team": "team", "user": "user_name", "model": "served_model", "route": "route",
                "sensitivity": "sensitivity", "status": "status", "key": "key_id"}


def page(backend: Backend, filters: dict[str, Any], *, limit: int, before: tuple[float, str] | None,
         since: float | None = None, until: float | None = None) -> list[RequestRecord]:
    """Newest first; ``before`` is the (ts, request_id) of the last row of the previous page."""
    clauses: list[str] = []
    params: list[Any] = []
    for name, value in filters.items():
        col = PAGE_FILTERS.get(name)
        if col is None:
            raise ShoalError(f"cannot filter requests by {name!r}", hint=f"use one of: {', '.join(PAGE_FILTERS)}")
        if value is not None:
            clauses.append(f"{col} = ?")
            params.append(value)
    if since is not None:
        clauses.append("ts >= ?")
        params.append(since)
    if until is not None:
        clauses.append("ts < ?")
        params.append(until)
    if before is not None:
        clauses.append("(ts < ? OR (ts = ? AND request_id < ?))")
        params.extend([before[0], before[0], before[1]])
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    with backend.transaction() as cur:
        cur.execute(f"{SELECT_COLUMNS}{where} ORDER BY ts DESC, request_id DESC LIMIT ?", (*params, int(limit)))
        rows = cur.fetchall()
    return [from_row(tuple(r)) for r in rows]
