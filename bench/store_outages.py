"""Acknowledged requests without a record after kill -9 and 30-second store outages (2 gateway processes).

    python bench/store_outages.py [--outage 30] [--scenarios kill9 pg-refuse pg-hang redis-down]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/0]

Two ``shoal serve`` processes share a scratch PostgreSQL database (and Redis for the counters), both
reached through a loopback TCP proxy that can refuse connections, hang (accept and never answer)
and cut. Three clients send chat requests of one team (with a budget and a rate limit, so every
request goes through the shared counters) round-robin to both processes the whole time:

* kill9      — one process is killed with SIGKILL mid-load, then started again (it replays the
               journal the dead one left);
* pg-refuse  — PostgreSQL refuses every connection for --outage seconds;
* pg-hang    — PostgreSQL accepts and never answers for --outage seconds;
* redis-down — Redis refuses every connection for --outage seconds.

After each scenario both processes stop (flushing their request logs) and the log is compared
with every answer the clients got: acknowledged requests without a record (target 0), duplicates
(0), statuses during the outage (known keys served: 200; never 400 or 500), and the slowest
/readyz answer during the outage (target < 1 s).
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from _cluster import Gateway, gateways, scratch_database, write_config
from tests.servers.tcp_proxy import FaultProxy

MODELS = {"cheap": {"provider": "testing", "input_price": 1.0, "output_price": 2.0,
                    "options": {"responses": ["The capital of France is Paris."]}}}
BODY = {"model": "cheap", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


class Load:
    def __init__(self, gws: list[Gateway], key: str) -> None:
        self.gws, self.key = gws, key
        self.phase = "before"
        self.answers: list[tuple[str, int, str | None]] = []
        self.failed = 0  # no answer at all (connection refused by a killed process): not acknowledged
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(3)]

    def _run(self, n: int) -> None:
        with httpx.Client(timeout=30) as client:
            i = n
            while not self._stop.is_set():
                phase = self.phase
                try:
                    r = client.post(self.gws[i % len(self.gws)].url + "/v1/chat/completions", json=BODY,
                                    headers={"Authorization": f"Bearer {self.key}"})
                    self.answers.append((phase, r.status_code, r.headers.get("x-shoal-request-id")))
                except httpx.HTTPError:
                    self.failed += 1
                i += 1
                time.sleep(0.02)

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(60)


def _readyz_probe(url: str, stop: threading.Event, worst: list[float]) -> None:
    while not stop.is_set():
        start = time.monotonic()
        try:
            httpx.get(url + "/readyz", timeout=30)
        except httpx.HTTPError:
            pass
        worst[0] = max(worst[0], time.monotonic() - start)
        time.sleep(0.5)


def scenario(name: str, outage: float, pg: str, redis: str) -> dict[str, Any]:
    with scratch_database(pg) as url, TemporaryDirectory() as tmp:
        pg_proxy = FaultProxy("127.0.0.1", int(url.split(":")[-1].split("/")[0]))
        rhost, rport = redis.split("//", 1)[1].split("/")[0].split(":")
        redis_proxy = FaultProxy(rhost, int(rport))
        prefix = f"shoal-bench-{uuid.uuid4().hex[:8]}"
        via = url.replace(url.split("@")[1].split("/")[0], pg_proxy.address)
        config = write_config(Path(tmp), {
            "default_model": "cheap", "models": MODELS,
            "store": {"url": via, "redis_url": f"redis://{redis_proxy.address}/0", "redis_prefix": prefix},
            "gateway": {"teams": {"t": {"requests_per_minute": 1_000_000, "usd_per_day": 1_000}}}})
        from shoal.config import load_settings
        from shoal.store import RequestFilter
        from shoal.wiring import open_store

        settings = load_settings(config)
        st = open_store(settings)
        key = st.create_key(team="t")[1]
        st.close()
        worst = [0.0]
        with gateways(config, 2) as gws:
            load = Load(gws, key)
            load.start()
            time.sleep(2.0)
            load.phase = "outage"
            stop_probe = threading.Event()
            probe = threading.Thread(target=_readyz_probe, args=(gws[0].url, stop_probe, worst), daemon=True)
            if name == "kill9":
                gws[1].stop(kill=True)
                time.sleep(2.0)
                gws[1] = Gateway(config)  # a new process: replays the dead one's journal at start
                gws[1].wait_ready()
            else:
                proxy = redis_proxy if name == "redis-down" else pg_proxy
                probe.start()
                proxy.set_mode("hang" if name == "pg-hang" else "refuse")
                time.sleep(outage)
                proxy.set_mode("pass")
                stop_probe.set()
                probe.join()
            load.phase = "after"
            time.sleep(5.0)
            load.stop()
        pg_proxy.close()
        redis_proxy.close()
        from shoal.store import Store
        from shoal.store.backend import PostgresBackend

        st = Store(PostgresBackend(url), journal_dir=Path(tmp) / "data" / "journal")  # not through the proxy
        try:
            st.replay_journals()  # anything still journaled counts as kept (shoal store replay)
            stored = [r.request_id for r in st.query_requests(RequestFilter(team="t"), limit=1_000_000)]
        finally:
            st.close()
        acknowledged = {rid for _, _, rid in load.answers if rid}
        during = Counter(s for p, s, _ in load.answers if p == "outage")
        return {"answers": len(load.answers), "no_answer": load.failed,
                "missing": len(acknowledged - set(stored)), "duplicates": len(stored) - len(set(stored)),
                "statuses_during": dict(sorted(during.items())), "readyz_worst_s": worst[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--scenarios", nargs="+", default=["kill9", "pg-refuse", "pg-hang", "redis-down"],
                        choices=["kill9", "pg-refuse", "pg-hang", "redis-down"])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    print(f"{'scenario':<11} {'answers':>7} {'no answer':>9} {'ack w/o record':>14} {'dupes':>5} {'readyz max':>10}  "
          "statuses during the outage")
    for name in args.scenarios:
        r = scenario(name, args.outage, args.pg, args.redis)
        readyz = f"{r['readyz_worst_s']:.2f} s" if name != "kill9" else "-"
        print(f"{name:<11} {r['answers']:>7} {r['no_answer']:>9} {r['missing']:>14} {r['duplicates']:>5} "
              f"{readyz:>10}  {r['statuses_during']}", flush=True)


if __name__ == "__main__":
    main()
