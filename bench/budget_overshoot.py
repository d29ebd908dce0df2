"""Overshoot of a team budget and a team rate limit with 1, 2 and 4 gateway processes.

    python bench/budget_overshoot.py [--processes 1 2 4] [--counters postgres redis]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/0]

For each counter store (the shared PostgreSQL table, or Redis) and each process count, starts that
many ``shoal serve`` processes on one scratch PostgreSQL database and spreads requests of one team
over them round-robin:

* budget, burst  — a $1.00 daily team budget, 200 requests at once (32 in flight), fast upstream;
* budget, paced  — the same budget, 20 requests/s, a slow upstream (0.3 s per answer: many in flight);
* rate, burst    — a 20 requests/minute team limit, 60 requests at once;
* rate, paced    — the same limit, 60 requests at 20 requests/s.

Each request costs $0.015 (1 prompt + 7 completion tokens at $1,000 / $2,000 per Mtok) and asks for at
most 16 completion tokens. Prints what was admitted against the limit as an overshoot percentage
(spend from the ``x-shoal-cost-usd`` headers of the answers, cross-checked with the request log) and
the bound the design guarantees: the last admitted request's cost beyond the remaining budget.
"""

from __future__ import annotations

import argparse
import math
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from _cluster import gateways, scratch_database, write_config

BUDGET = 1.00
RPM = 20
PRICE = {"input_price": 1000.0, "output_price": 2000.0}
ANSWER = "The capital of France is Paris."
COST = (1 * 1000.0 + 7 * 2000.0) / 1e6


def _models() -> dict[str, Any]:
    return {"fast": {"provider": "testing", **PRICE, "options": {"responses": [ANSWER]}},
            "slow": {"provider": "testing", **PRICE, "options": {"responses": [ANSWER], "delay_s": 0.3}}}


def _body(model: str) -> dict[str, Any]:
    return {"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def _send(client: httpx.Client, url: str, key: str, model: str) -> httpx.Response:
    return client.post(url + "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, json=_body(model))


def burst(urls: list[str], key: str, model: str, n: int) -> list[httpx.Response]:
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=64)) as client, ThreadPoolExecutor(32) as pool:
        return list(pool.map(lambda i: _send(client, urls[i % len(urls)], key, model), range(n)))


def paced(urls: list[str], key: str, model: str, n: int, per_second: float) -> list[httpx.Response]:
    out: list[httpx.Response] = []
    lock = threading.Lock()
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=64)) as client:
        def one(i: int) -> None:
            r = _send(client, urls[i % len(urls)], key, model)
            with lock:
                out.append(r)

        threads = []
        start = time.monotonic()
        for i in range(n):
            time.sleep(max(0.0, start + i / per_second - time.monotonic()))
            t = threading.Thread(target=one, args=(i,))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
    return out


def _spent(responses: list[httpx.Response]) -> tuple[int, float]:
    ok = [r for r in responses if r.status_code == 200]
    bad = {r.status_code for r in responses} - {200, 429}
    if bad:
        raise RuntimeError(f"unexpected statuses {sorted(bad)}")
    return len(ok), sum(float(r.headers["x-shoal-cost-usd"]) for r in ok)


def _wait_for_fresh_minute() -> None:
    # A rate window that turns over mid-test would look like overshoot: start early in a minute.
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)


def run(counters: str, processes: int, pg: str, redis: str) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    with scratch_database(pg) as url, TemporaryDirectory() as tmp:
        store: dict[str, Any] = {"url": url}
        if counters == "redis":
            store.update(redis_url=redis, redis_prefix=f"shoal-bench-{uuid.uuid4().hex[:8]}")
        teams = {"budget-burst": {"usd_per_day": BUDGET}, "budget-paced": {"usd_per_day": BUDGET},
                 "rate-burst": {"requests_per_minute": RPM}, "rate-paced": {"requests_per_minute": RPM}}
        config = write_config(Path(tmp), {"default_model": "fast", "models": _models(), "store": store,
                                          "gateway": {"teams": teams}})
        from shoal.config import load_settings
        from shoal.store import RequestFilter
        from shoal.wiring import open_store

        settings = load_settings(config)
        st = open_store(settings)
        keys = {team: st.create_key(team=team)[1] for team in teams}
        doomed_key, doomed = st.create_key(team="other")
        st.close()
        with gateways(config, processes) as procs:
            urls = [g.url for g in procs]
            results = {
                "budget-burst": burst(urls, keys["budget-burst"], "fast", 200),
                "budget-paced": paced(urls, keys["budget-paced"], "slow", 200, 20.0),
            }
            _wait_for_fresh_minute()
            results["rate-burst"] = burst(urls, keys["rate-burst"], "fast", 3 * RPM)
            _wait_for_fresh_minute()
            results["rate-paced"] = paced(urls, keys["rate-paced"], "fast", 3 * RPM, 20.0)
            revocation = _revocation_delay(settings, urls, doomed_key.key_id, doomed)
        st = open_store(settings)
        try:
            logged = {team: sum(r.cost_usd for r in st.query_requests(RequestFilter(team=team), limit=10_000))
                      for team in teams}
        finally:
            st.close()
        for team in ("budget-burst", "budget-paced"):
            n, spent = _spent(results[team])
            if abs(spent - logged[team]) > 1e-9:
                raise RuntimeError(f"{team}: answers say ${spent:.6f}, the request log ${logged[team]:.6f}")
            rows.append((team, (spent - BUDGET) / BUDGET * 100, f"{n} admitted, ${spent:.4f} of ${BUDGET:.2f}"))
        for team in ("rate-burst", "rate-paced"):
            n, _ = _spent(results[team])
            rows.append((team, (n - RPM) / RPM * 100, f"{n} admitted of {len(results[team])}, limit {RPM}/min"))
    detail = f"refused by all {processes} process(es) {revocation:.2f} s after `revoke_key` returned"
    rows.append(("revocation", float("nan"), detail))
    return rows


def _revocation_delay(settings: Any, urls: list[str], key_id: str, key: str) -> float:
    from shoal.wiring import open_store

    with httpx.Client(timeout=10) as client:
        for url in urls:  # every process has the key cached as valid
            if _send(client, url, key, "fast").status_code != 200:
                raise RuntimeError("the key to revoke does not work")
        st = open_store(settings)
        try:
            st.revoke_key(key_id)
        finally:
            st.close()
        start = time.monotonic()
        waiting = set(urls)
        while waiting and time.monotonic() - start < 30:
            waiting = {u for u in waiting if _send(client, u, key, "fast").status_code != 401}
        return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--counters", nargs="+", choices=["postgres", "redis"], default=["postgres", "redis"])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="a database to connect to for creating the scratch one")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    print(f"one request costs ${COST:.4f}; design bound on budget overshoot: one request beyond the remaining "
          f"budget = {COST / BUDGET * 100:.1f}% of ${BUDGET:.2f}; rate-limit overshoot bound: 0")
    print(f"{'counters':<9} {'procs':>5}  {'scenario':<13} {'overshoot':>9}  detail")
    for counters in args.counters:
        for n in args.processes:
            for name, pct, detail in run(counters, n, args.pg, args.redis):
                shown = "" if math.isnan(pct) else f"{pct:.1f}%"
                print(f"{counters:<9} {n:>5}  {name:<13} {shown:>9}  {detail}", flush=True)


if __name__ == "__main__":
    main()
