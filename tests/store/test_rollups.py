"""Rollups: maintained in the insert transaction, equal to a scan of the log, never double counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shoal.store import RequestRecord, Store, requests_sql, rollups
from shoal.store import dashboard_sql as dash
from shoal.store.backend import Backend, PostgresBackend, SQLiteBackend
from shoal.store.migrations import MIGRATIONS, migrate
from shoal.store.rollups import reason_key, router_score
from tests.store.test_store import pg_url  # noqa: F401 - the fixture, shared with the store tests

T0 = 1_700_000_000.0 - 1_700_000_000.0 % 86400  # a UTC midnight


def _rec(i: int, **kw: object) -> RequestRecord:
    base: dict[str, object] = {
        "request_id": f"r{i:05d}", "ts": T0 + i * 61.0, "team": ("hr", "eng")[i % 2], "user": f"u{i % 3}",
        "served_model": ("local", "gpt")[i % 3 == 0], "route": ("privacy", "router")[i % 2],
        "sensitivity": ("confidential", "none")[i % 2], "prompt_tokens": 10 + i, "completion_tokens": 5,
        "cost_usd": 0.001 * (i % 4), "latency_ms": 40.0 * (1 + i % 5), "status": 500 if i % 7 == 0 else 200,
        "route_reasons": [f"router:p_ok={0.5 + (i % 5) / 10:.2f}>=0.70→gpt"] if i % 2 else ["privacy:self_hosted-only"],
        "sensitivity_reasons": ["pii:PERSON"] if i % 2 == 0 else []}
    base.update(kw)
    return RequestRecord(**base)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        b: Backend = SQLiteBackend(tmp_path / "shoal.db")
    else:
        b = PostgresBackend(request.getfixturevalue("pg_url"))
    yield b
    b.close()


def _scan(backend: Backend, sql: str) -> list[tuple[object, ...]]:
    with backend.transaction() as cur:
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]


def test_rollups_equal_a_scan_and_ignore_duplicates(backend: Backend) -> None:
    store = Store(backend)
    records = [_rec(i) for i in range(200)]
    requests_sql.insert(backend, records[:120])
    requests_sql.insert(backend, records[100:])  # 20 replayed duplicates
    requests_sql.insert(backend, [records[5], records[5]])
    w = dash.Window(T0, T0 + 86400)
    ts = dash.timeseries(backend, w, "minute")
    expect = _scan(backend, "SELECT COUNT(*), SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), SUM(prompt_tokens), "
                            "SUM(cost_usd) FROM requests")[0]
    assert ts["totals"]["requests"] == expect[0] == 200
    assert ts["totals"]["errors"] == expect[1]
    assert ts["totals"]["prompt_tokens"] == expect[2]
    assert ts["totals"]["cost_usd"] == pytest.approx(float(expect[3]))  # type: ignore[arg-type]
    assert dash.timeseries(backend, w, "hour")["totals"]["requests"] == 200
    by_team = {r["team"]: r["requests"] for r in dash.breakdown(backend, w, "team")}
    assert by_team == {"hr": 100, "eng": 100}
    users = {r["group"]: r["requests"] for r in dash.who(backend, w, "user")}
    assert users == {"u0": 67, "u1": 67, "u2": 66}
    many = dash.who_many(backend, w, ("user", "segment"))
    for by in ("user", "segment"):
        one = dash.who(backend, w, by)
        assert [(r["group"], r["requests"], r["prompt_tokens"]) for r in many[by]] == \
            [(r["group"], r["requests"], r["prompt_tokens"]) for r in one]
        assert [r["cost_usd"] for r in many[by]] == pytest.approx([r["cost_usd"] for r in one])
    team_only = dash.timeseries(backend, dash.Window(T0, T0 + 86400, team="hr"), "hour")
    assert team_only["totals"]["requests"] == 100
    reasons = {r["reason"]: r["requests"] for r in dash.reasons(backend, w, "sensitivity")}
    assert reasons == {"pii:PERSON": 100}
    scores = dash.router_scores(backend, w)
    assert sum(s["requests"] for s in scores) == 100  # only odd records carry a router score
    # odd i runs through every residue of 5: scores 0.5 .. 0.9, 20 requests each
    per_score: dict[float, int] = {}
    for s in scores:
        per_score[s["score"]] = per_score.get(s["score"], 0) + s["requests"]
    assert per_score == {0.5: 20, 0.6: 20, 0.7: 20, 0.8: 20, 0.9: 20}
    # Peak per scope: r00199 alone in its minute is the biggest (10 + 199 + 5 tokens).
    assert dash.peak_tokens_per_s(backend, w) == pytest.approx(214 / 60)
    assert dash.peak_tokens_per_s(backend, w, "team:eng") == pytest.approx(214 / 60)
    assert dash.peak_tokens_per_s(backend, w, "team:hr") == pytest.approx(213 / 60)
    store.close()


def test_backfill_counts_records_written_before_the_rollups_existed(backend: Backend) -> None:
    migrate(backend, migrations=MIGRATIONS[:4])
    # The request table as it was then: no ttft_ms column yet (a later migration adds it).
    old = requests_sql.COLUMNS[:requests_sql.COLUMNS.index("ttft_ms")]
    rows = [requests_sql._to_row(_rec(i))[:len(old)] for i in range(30)]
    with backend.transaction() as cur:
        cur.executemany(f"INSERT INTO requests ({', '.join(old)}) VALUES ({', '.join('?' * len(old))})", rows)
    Store(backend)  # applies the rollup migration, which counts the 30 records once
    requests_sql.insert(backend, [_rec(i) for i in range(25, 40)])  # 5 old, 10 new
    w = dash.Window(T0, T0 + 86400)
    assert dash.timeseries(backend, w)["totals"]["requests"] == 40
    # The daily rollup was filled from the hourly one by its migration, then kept up to date.
    assert dash.timeseries(backend, dash.Window(T0 - 86400, T0 + 5 * 86400), "day")["totals"]["requests"] == 40
    # Peak minute: one record per 61 s, so each minute holds at most one record; the biggest is i=39.
    assert dash.peak_tokens_per_s(backend, w) == pytest.approx((10 + 39 + 5) / 60)


def test_keyset_pages_walk_the_log_without_gaps(backend: Backend) -> None:
    Store(backend)
    requests_sql.insert(backend, [_rec(i, ts=T0 + i // 3) for i in range(50)])  # ties on ts
    seen: list[str] = []
    before = None
    while True:
        page = dash.page(backend, {"team": "hr"}, limit=7, before=before)
        if not page:
            break
        seen += [r.request_id for r in page]
        before = (page[-1].ts, page[-1].request_id)
    expected = sorted((r for r in (_rec(i, ts=T0 + i // 3) for i in range(50)) if r.team == "hr"),
                      key=lambda r: (r.ts, r.request_id), reverse=True)
    assert seen == [r.request_id for r in expected]


def test_latency_quantiles_from_the_histogram() -> None:
    # 10 requests in (0, 25] ms and 10 in (25, 50]: the median is the edge, p95 is 47.5 ms.
    hist = [10, 10] + [0] * 14
    assert dash.quantile(hist, 0.5) == pytest.approx(25.0)
    assert dash.quantile(hist, 0.95) == pytest.approx(25 + 25 * 9 / 10)
    assert dash.quantile([0] * 16, 0.5) is None


def test_reason_keys_mask_numbers_and_scores_parse() -> None:
    assert reason_key("router:p_ok=0.83>=0.71→gpt") == "router:p_ok=#>=#→gpt"
    assert reason_key("router:p_ok=0.2<0.5→llama-3b") == "router:p_ok=#<#→llama-3b"
    assert router_score(["pii:PERSON", "router:p_ok=0.83<0.90→big"]) == pytest.approx(0.83)
    assert router_score(["team:finance"]) is None


def test_bulk_insert_builds_the_same_rollups_as_the_gateway_path(backend: Backend, tmp_path: Path) -> None:
    Store(backend)
    records = [_rec(i) for i in range(2600)]  # > 2,000 rollup rows: PostgreSQL takes the COPY form
    requests_sql.bulk_insert(backend, records)
    other = SQLiteBackend(tmp_path / "other.db")
    Store(other)
    for i in range(0, 2600, 500):
        requests_sql.insert(other, records[i:i + 500])
    w = dash.Window(T0, T0 + 3 * 86400)
    for b in (backend, other):
        assert dash.timeseries(b, w, "minute")["totals"]["requests"] == 2600
    def rounded(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()} for r in rows]

    assert rounded(dash.breakdown(backend, w, ("team", "model"))) == rounded(dash.breakdown(other, w, ("team", "model")))
    assert dash.reasons(backend, w, "route") == dash.reasons(other, w, "route")
    assert dash.peak_tokens_per_s(backend, w) == dash.peak_tokens_per_s(other, w)
    other.close()


def _all_rollups(backend: Backend, *, approx: bool = False) -> dict[str, list[tuple[object, ...]]]:
    out = {}
    for table, keys in rollups._TABLE_KEYS.items():
        cols = ", ".join((*keys, *rollups._TABLE_MEASURES[table]))
        rows = _scan(backend, f"SELECT {cols} FROM {table} ORDER BY {', '.join(keys)}")
        # float sums added in another order differ in the last bits only
        out[table] = [tuple(pytest.approx(x, rel=1e-9) if approx and isinstance(x, float) else x for x in r)
                      for r in rows]
    return out


def test_long_windows_read_whole_days_and_agree_with_the_hourly_rollup(backend: Backend) -> None:
    Store(backend)
    # Three days and a bit, one record every 7 minutes, some streamed with a time to first token.
    records = [_rec(i, ts=T0 + 3600 * 5 + i * 420.0, ttft_ms=(30.0 + i % 9 * 100) if i % 3 else None)
               for i in range(800)]
    requests_sql.insert(backend, records)
    since, until = T0 + 3600 * 7 + 1234, T0 + 3 * 86400 + 3600 * 2 + 17
    w = dash.Window(since, until)
    # Hour precision: every hour that starts in the window counts whole (as in rollup_hour alone).
    expect = [r for r in records if int(since // 3600) * 3600 <= int(r.ts // 3600) * 3600 < until]
    by_model = {r["model"]: r["requests"] for r in dash.breakdown(backend, w, "model")}
    assert by_model == {m: sum(1 for r in expect if r.served_model == m) for m in ("local", "gpt")}
    hourly = dash.timeseries(backend, w, "hour")["totals"]
    daily = dash.timeseries(backend, w, "day")
    assert daily["totals"]["requests"] == hourly["requests"] == len(expect)
    assert daily["totals"]["cost_usd"] == pytest.approx(hourly["cost_usd"])
    assert [p["t"] for p in daily["points"]] == [T0 + d * 86400 for d in range(4)]
    streamed = [r.ttft_ms for r in expect if r.ttft_ms is not None]
    assert daily["totals"]["streamed"] == hourly["streamed"] == len(streamed)
    assert daily["totals"]["ttft_ms_mean"] == pytest.approx(sum(streamed) / len(streamed))
    assert daily["totals"]["ttft_ms_p50"] == hourly["ttft_ms_p50"] is not None
    team = dash.Window(since, until, team="eng")
    assert dash.timeseries(backend, team, "day")["totals"]["requests"] == sum(1 for r in expect if r.team == "eng")
    assert {r["group"]: r["requests"] for r in dash.who(backend, w, "model")} == by_model


def test_bulk_load_builds_the_same_rows_as_the_write_path(backend: Backend, tmp_path: Path) -> None:
    records = [_rec(i, ts=T0 + i * 37.0, ttft_ms=float(i % 400) if i % 2 else None) for i in range(600)]
    Store(backend)
    requests_sql.bulk_insert(backend, records[:350])
    requests_sql.bulk_insert(backend, records[350:])
    other = SQLiteBackend(tmp_path / "gateway.db")
    Store(other)
    for i in range(0, 600, 50):  # the gateway writer's path, in its batch size
        requests_sql.insert(other, records[i:i + 50])
    assert _all_rollups(backend, approx=True) == _all_rollups(other)
    assert _scan(backend, "SELECT COUNT(*) FROM requests") == [(600,)]
    page = dash.page(backend, {"team": "eng", "model": "gpt", "status": 500}, limit=3, before=None)
    expected = sorted((r for r in records if (r.team, r.served_model, r.status) == ("eng", "gpt", 500)),
                      key=lambda r: (r.ts, r.request_id), reverse=True)[:3]
    assert [(r.request_id, r.ttft_ms) for r in page] == [(r.request_id, r.ttft_ms) for r in expected]
    other.close()


def test_spend_per_user_over_weeks_agrees_with_a_count_at_day_precision(backend: Backend) -> None:
    Store(backend)
    # 40 days, a record every 2.5 hours, users and keys rotating.
    records = [_rec(i, ts=T0 + i * 9000.0, user=f"u{i % 4}", key_id=f"k{i % 5}") for i in range(384)]
    requests_sql.insert(backend, records)
    for since, until, team in ((T0 + 3 * 86400 + 500, T0 + 31 * 86400 + 7, None),
                               (T0 + 1000, T0 + 39 * 86400, "hr"), (T0 + 2 * 86400, T0 + 5 * 86400, None)):
        w = dash.Window(since, until, team)
        inside = [r for r in records if int(since // 86400) * 86400 <= int(r.ts // 86400) * 86400 < until
                  and (team is None or r.team == team)]
        many = dash.who_many(backend, w, ("user", "key"), 100)
        for by, attr in (("user", "user"), ("key", "key_id")):
            expect: dict[str, int] = {}
            for r in inside:
                expect[getattr(r, attr)] = expect.get(getattr(r, attr), 0) + 1
            assert {r["group"]: r["requests"] for r in many[by]} == expect
            assert {r["group"]: r["requests"] for r in dash.who(backend, w, by, 100)} == expect
