"""Dashboard speed at 1,000,000 request records, on SQLite and on PostgreSQL.

    python bench/dashboard.py                       # 1M records, both stores, API + page loads
    python bench/dashboard.py --records 200000 --stores sqlite --no-browser

For each store: generate a month of realistic traffic (5 teams, 2,000 users, 4 models, 5 routes,
4 sensitivity levels, diurnal load, router scores, time to first token of streamed answers)
with ``requests_sql.bulk_load`` (COPY / one prepared statement per batch, secondary indexes
rebuilt after the load, rollups from the gateway's own ``rollups.Aggregator`` written once).
First, on a sample (``--verify``), the bulk loader's rollups are checked row for row against the
gateway's write path and against a scan of the log. Then start the real gateway on the data and
time every dashboard API endpoint (admin and a team key; TCO also with its one-minute traffic
cache missed) and every page load in headless Chromium (login done, from navigation to the
page's data drawn), p50 and p95. ``--keep`` / ``--reuse-*`` re-time a loaded store (a reused
store is migrated first, as a gateway upgrade would).
The floor it is compared with: the same Overview totals computed by scanning the request log
(what a dashboard without rollups does), measured in the same run; the ratio is printed.
The target is p95 ≤ 500 ms per endpoint and page.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from shoal.config import Settings, parse_config
from shoal.gateway.server import build_app
from shoal.store import RequestRecord, Store, requests_sql, rollups
from shoal.store.backend import Backend, PostgresBackend, SQLiteBackend

ADMIN = "bench-admin-key-0123456789"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
TEAMS = {"hr": 0.12, "engineering": 0.38, "sales": 0.2, "support": 0.22, "finance": 0.08}
MODELS = {
    "llama-70b": {"provider": "testing", "locality": "self_hosted", "hourly_cost": 2.5, "gpus": 2,
                  "max_tokens_per_s": 800},
    "local": {"provider": "testing", "locality": "self_hosted", "hourly_cost": 0.4},
    "gpt-4o-mini": {"provider": "testing", "locality": "external", "input_price": 0.15, "output_price": 0.6},
    "gpt-4o": {"provider": "testing", "locality": "external", "input_price": 2.5, "output_price": 10.0},
}
PRICES = {"gpt-4o-mini": (0.15, 0.6), "gpt-4o": (2.5, 10.0)}
ENDPOINTS = ("whoami", "overview", "spend", "routing", "privacy", "requests", "evals", "feedback", "models", "tco")
PAGES = ("overview", "spend", "routing", "privacy", "requests", "evals", "feedback", "models", "tco")


def generate(n: int, seed: int, end: float) -> Iterator[list[RequestRecord]]:
    """Records in chunks of 50,000, in time order (as a gateway writes them), spread over the
    30 days before ``end``."""
    rng = random.Random(seed)
    teams, weights = list(TEAMS), list(TEAMS.values())
    users = {t: [f"{t}-{i:04d}" for i in range(int(2000 * w))] for t, w in TEAMS.items()}
    start = end - 30 * 86400
    stamps: list[float] = []
    while len(stamps) < n:
        # diurnal load: more traffic in working hours
        ts = start + rng.random() * 30 * 86400
        hour = (ts % 86400) / 3600
        if rng.random() < 0.25 + 0.75 * math.exp(-((hour - 13) / 4) ** 2):
            stamps.append(ts)
    stamps.sort()
    chunk: list[RequestRecord] = []
    for i, ts in enumerate(stamps):
        team = rng.choices(teams, weights)[0]
        level = rng.choices(("public", "internal", "confidential", "restricted"),
                            (0.62, 0.2, 0.14 + (0.2 if team == "hr" else 0), 0.04))[0]
        p_tokens = int(rng.lognormvariate(6.0, 0.8))
        c_tokens = int(rng.lognormvariate(5.0, 0.7))
        reasons: list[str]
        if level in ("confidential", "restricted"):
            model, route = rng.choices(("llama-70b", "local"), (0.9, 0.1))[0], "privacy"
            reasons = ["privacy:self_hosted-only"]
            s_reasons = [rng.choice(("pii:PERSON", "topic:compensation", "pii:EMAIL", "doc:confidential",
                                     "topic:layoffs", "pii:PHONE"))]
        else:
            s_reasons = []
            route = rng.choices(("router", "pinned", "team", "default"), (0.8, 0.08, 0.07, 0.05))[0]
            if route == "router":
                score = min(0.999, max(0.0, rng.betavariate(4, 2)))
                cheap = score >= 0.62
                model = "llama-70b" if cheap and rng.random() < 0.5 else ("gpt-4o-mini" if cheap else "gpt-4o")
                reasons = [f"router:p_ok={score:.2f}{'>=' if cheap else '<'}0.62→{model}"]
            else:
                model = rng.choice(("gpt-4o-mini", "gpt-4o", "local"))
                reasons = [f"{route}:{model}"]
        status = 200 if rng.random() > 0.012 else rng.choice((429, 500, 502, 504))
        price = PRICES.get(model)
        cost = (p_tokens * price[0] + c_tokens * price[1]) / 1e6 if price and status == 200 else 0.0
        user = rng.choice(users[team])
        latency = rng.lognormvariate(6.3, 0.6)
        stream = rng.random() < 0.6
        # A streamed answer's first token: the prompt's processing plus queueing, a share of the whole.
        ttft = latency * rng.uniform(0.08, 0.45) if stream and status == 200 else None
        chunk.append(RequestRecord(
            request_id=f"{int(ts * 1000):013x}-{i:08x}", ts=ts, endpoint="chat", key_id=f"key-{user}", team=team,
            user=user, segment="pilot" if user.endswith(("1", "7")) else "internal", requested_model="auto", served_model=model,
            served_model_id=model, route=route, route_reasons=reasons, sensitivity=level,
            sensitivity_reasons=s_reasons, prompt_tokens=p_tokens if status == 200 else 0,
            completion_tokens=c_tokens if status == 200 else 0, cost_usd=cost,
            latency_ms=latency, ttft_ms=ttft, status=status, stream=stream,
            request_messages=[{"role": "user", "content": f"question {i}"}] if rng.random() < 0.1 else None,
            response_text=None))
        if len(chunk) == 50_000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load(backend: Backend, n: int, seed: int, end: float) -> float:
    Store(backend).close()  # creates the schema (migrations)
    t0 = time.perf_counter()
    requests_sql.bulk_load(backend, generate(n, seed, end))
    with backend.transaction() as cur:  # planner statistics, as after any large import
        cur.execute("ANALYZE")
    return time.perf_counter() - t0


_TOTALS = ("SELECT COUNT(*), SUM(CASE WHEN status BETWEEN 200 AND 299 THEN 0 ELSE 1 END), SUM(prompt_tokens), "
           "SUM(completion_tokens), SUM(cost_usd), COUNT(ttft_ms) FROM requests")


def _rollup_tables(backend: Backend) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with backend.transaction() as cur:
        for table, keys in rollups._TABLE_KEYS.items():
            cols = ", ".join((*keys, *rollups._TABLE_MEASURES[table]))
            cur.execute(f"SELECT {cols} FROM {table} ORDER BY {', '.join(keys)}")
            out[table] = [tuple(r) for r in cur.fetchall()]
    return out


def _same_rows(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    # Float sums (cost, latency) added in another order differ in the last bits only.
    return len(a) == len(b) and all(
        len(x) == len(y) and all(math.isclose(float(u), float(v), rel_tol=1e-9, abs_tol=1e-9)
                                 if isinstance(u, float) or isinstance(v, float) else u == v for u, v in zip(x, y))
        for x, y in zip(a, b))


def verify(kind: str, make: Any, n: int, seed: int, end: float) -> None:
    """The bulk loader writes what the gateway's write path would: load a sample both ways and
    compare every rollup row, then each rollup's totals against a scan of the log."""
    sample = [r for chunk in generate(n, seed + 1, end) for r in chunk]
    bulk, gateway = make("verify_bulk"), make("verify_gateway")
    try:
        Store(bulk).close()
        Store(gateway).close()
        requests_sql.bulk_load(bulk, [sample[: n // 2], sample[n // 2:]])
        for i in range(0, n, 500):  # the gateway's writer batch size
            requests_sql.insert(gateway, sample[i:i + 500])
        a, b = _rollup_tables(bulk), _rollup_tables(gateway)
        differ = [t for t in a if not _same_rows(a[t], b[t])]
        if differ:
            raise SystemExit(f"{kind}: bulk-loaded rollups differ from the write path's in {differ}")
        with bulk.transaction() as cur:
            cur.execute(_TOTALS)
            scan = tuple(cur.fetchone())
            sums = "SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd), SUM(ttft_n)"
            for table in ("rollup_minute", "rollup_hour", "rollup_day"):
                cur.execute(f"SELECT {sums} FROM {table}")
                got = tuple(cur.fetchone())
                if [int(x) for x in got[:4]] + [int(got[5])] != [int(x) for x in scan[:4]] + [int(scan[5])] \
                        or abs(float(got[4]) - float(scan[4])) > 1e-6:
                    raise SystemExit(f"{kind}: {table} totals {got} differ from a scan of the log {scan}")
        print(f"   verified on {n:,} records: bulk-loaded rollups == the gateway write path's, "
              f"and == a scan of the log", flush=True)
    finally:
        bulk.close()
        gateway.close()


def scan_floor(backend: Backend, since: float, until: float, reps: int) -> list[float]:
    """Overview totals by scanning the log (what a dashboard without rollups does)."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        with backend.transaction() as cur:
            cur.execute("SELECT CAST(ts / 3600 AS BIGINT), COUNT(*), SUM(prompt_tokens), SUM(cost_usd), "
                        "AVG(latency_ms) FROM requests WHERE ts >= ? AND ts < ? GROUP BY CAST(ts / 3600 AS BIGINT)",
                        (since, until))
            cur.fetchall()
        times.append(time.perf_counter() - t0)
    return times


@contextmanager
def serve(app: Any) -> Iterator[str]:
    import uvicorn

    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, loop="asyncio", http="httptools", lifespan="on",
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def time_api(url: str, key: str, reps: int, end: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    headers = {"authorization": f"Bearer {key}"}
    windows = {"7d": end - 7 * 86400, "30d": end - 30 * 86400}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        first = client.get("/v1/dashboard/requests", params={"since": windows["30d"], "until": end}).json()
        detail_id = first["data"][0]["request_id"]
        cases: list[tuple[str, str, dict[str, Any]]] = []
        for name in ENDPOINTS:
            for label, since in windows.items():
                cases.append((f"{name} {label}", f"/v1/dashboard/{name}", {"since": since, "until": end}))
        cases.append(("requests page 2 (keyset)", "/v1/dashboard/requests",
                      {"since": windows["30d"], "until": end, **first["next"]}))
        cases.append(("requests model=gpt-4o&status=500", "/v1/dashboard/requests",
                      {"since": windows["30d"], "until": end, "model": "gpt-4o", "status": "500"}))
        cases.append(("requests sensitivity=restricted", "/v1/dashboard/requests",
                      {"since": windows["30d"], "until": end, "sensitivity": "restricted"}))
        cases.append(("request detail", f"/v1/dashboard/requests/{detail_id}", {}))
        cases.append(("tco what-if (a.engineer_hourly_usd)", "/v1/dashboard/tco",
                      {"since": windows["30d"], "until": end, "a.engineer_hourly_usd": "150"}))
        # The gateway keeps a window's traffic profile a minute: these move the window by a minute
        # per call, so every call reads the rollups (the first load of the TCO page).
        cases.append(("tco 30d, traffic not cached", "/v1/dashboard/tco", {"since": windows["30d"], "until": end}))
        cases.append(("tco 7d, traffic not cached", "/v1/dashboard/tco", {"since": windows["7d"], "until": end}))
        for label, path, params in cases:
            cold = "not cached" in label
            client.get(path, params=params)  # warm
            times = []
            for _ in range(reps):
                if cold:
                    params = {**params, "since": params["since"] - 60, "until": params["until"] - 60}
                t0 = time.perf_counter()
                r = client.get(path, params=params)
                times.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(f"{label}: HTTP {r.status_code} {r.text[:200]}")
            out[label] = times
    return out


def time_pages(url: str, key: str, reps: int) -> dict[str, list[float]]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("  (no chromium: page loads not measured)")
        return {}
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/dashboard")
        page.fill("#key", key)
        page.click("button[type=submit]")
        page.wait_for_selector("#page[data-ready]", timeout=60_000)
        page.select_option("#range", "30")  # kept in the tab's session storage
        for name in PAGES:
            times = []
            for i in range(reps + 1):
                # A full navigation: HTML, CSS, JS, key check, the page's API call, drawing.
                t0 = time.perf_counter()
                page.goto(f"{url}/dashboard?load={i}#/{name}")
                page.wait_for_selector(f"#page[data-ready='{name}']", timeout=60_000)
                times.append(time.perf_counter() - t0)
            out[f"page {name} (30 days, full load)"] = times[1:]
        browser.close()
    return out


def report(title: str, results: dict[str, list[float]], floor: list[float] | None = None) -> bool:
    print(f"\n{title}")
    print(f"  {'endpoint / page':44s} {'p50 ms':>8s} {'p95 ms':>8s}  ≤500 ms")
    ok = True
    for label, times in results.items():
        p50, p95 = statistics.median(times) * 1000, pct(times, 0.95) * 1000
        ok &= p95 <= 500
        print(f"  {label:44s} {p50:8.1f} {p95:8.1f}  {'yes' if p95 <= 500 else 'NO'}")
    if floor:
        f50 = statistics.median(floor) * 1000
        o50 = statistics.median(results.get("overview 30d", [float("nan")])) * 1000
        print(f"  floor: Overview totals by scanning the log (30 days): p50 {f50:.1f} ms "
              f"→ rollups are {f50 / o50:.1f}× faster (whole endpoint, HTTP included)")
    return ok


def run_store(kind: str, args: argparse.Namespace, end: float) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="shoal-bench-dash-"))
    pg_db = None
    admin_conn = None
    reuse = args.reuse_sqlite if kind == "sqlite" else args.reuse_pg
    scratch: list[str] = []
    try:
        if kind == "sqlite":
            path = Path(reuse) if reuse else (Path(args.keep_dir) if args.keep else tmp) / "shoal.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            backend: Backend = SQLiteBackend(path)
            url = f"sqlite:///{path}"
        else:
            import psycopg

            pg_db = reuse or f"shoal_bench_{uuid.uuid4().hex[:10]}"
            admin_conn = psycopg.connect(PG_ADMIN, autocommit=True)
            if not reuse:
                admin_conn.execute(f'CREATE DATABASE "{pg_db}"')
            url = f"postgresql://postgres@127.0.0.1:5432/{pg_db}"
            # No watchdog for the load (the gateway below keeps its own bound per request).
            backend = PostgresBackend(url, timeout_s=None)  # type: ignore[arg-type]
        if reuse:
            with backend.transaction() as cur:
                cur.execute("SELECT COUNT(*), MAX(ts) FROM requests")
                count, last = cur.fetchone()
            end = float(last) + 1.0
            print(f"\n== {kind}: reusing {count:,} records ({'file ' + str(path) if kind == 'sqlite' else pg_db})",
                  flush=True)
        else:
            print(f"\n== {kind}: checking the bulk loader on {args.verify:,} records ...", flush=True)
            verify(kind, lambda name: _scratch(kind, tmp, name, admin_conn, scratch), args.verify, args.seed, end)
            print(f"== {kind}: generating {args.records:,} records (bulk insert + rollups) ...", flush=True)
            seconds = load(backend, args.records, args.seed, end)
            print(f"   loaded in {seconds:.1f} s ({args.records / seconds:,.0f} records/s)"
                  + (f"; kept: {url}" if args.keep else ""), flush=True)
        floor = scan_floor(backend, end - 30 * 86400, end, max(3, args.reps // 4))
        backend.close()
        settings = Settings(parse_config({"data_dir": str(tmp / "data"), "default_model": "gpt-4o-mini",
                                          "models": MODELS, "store": {"url": url},
                                          "routing": {"privacy": {"models": ["llama-70b"]}}}, "bench.yaml"),
                            tmp / "shoal.yaml")
        app = build_app(settings, admin_key=ADMIN)
        _, team_key = app.state.store.create_key(team="support", user="bench")
        with serve(app) as base:
            ok = report(f"{kind} · admin key (all teams) · API", time_api(base, ADMIN, args.reps, end), floor)
            ok &= report(f"{kind} · team key (support) · API", time_api(base, team_key, args.reps, end))
            if not args.no_browser:
                ok &= report(f"{kind} · admin key · page loads in Chromium", time_pages(base, ADMIN, args.page_reps))
        return ok
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if admin_conn is not None:
            for name in scratch + ([pg_db] if pg_db is not None and not args.keep and not reuse else []):
                admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin_conn.close()


def _scratch(kind: str, tmp: Path, name: str, admin_conn: Any, created: list[str]) -> Backend:
    if kind == "sqlite":
        return SQLiteBackend(tmp / f"{name}.db")
    db = f"shoal_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin_conn.execute(f'CREATE DATABASE "{db}"')
    created.append(db)
    return PostgresBackend(f"postgresql://postgres@127.0.0.1:5432/{db}", timeout_s=None)  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--stores", default="sqlite,postgres")
    ap.add_argument("--reps", type=int, default=20, help="timed calls per endpoint")
    ap.add_argument("--page-reps", type=int, default=10, help="timed loads per page")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--verify", type=int, default=20_000, help="records loaded both ways to check the bulk loader")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the generated data (SQLite under --keep-dir, "
                                                          "the PostgreSQL database) to re-time with --reuse-*")
    ap.add_argument("--keep-dir", default="bench/results/dashboard")
    ap.add_argument("--reuse-sqlite", help="time an existing SQLite file instead of generating")
    ap.add_argument("--reuse-pg", help="time an existing PostgreSQL database (name) instead of generating")
    args = ap.parse_args()
    end = time.time()
    ok = True
    for kind in args.stores.split(","):
        ok &= run_store(kind.strip(), args, end)
    print("\nall p95 ≤ 500 ms" if ok else "\nsome p95 > 500 ms")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
