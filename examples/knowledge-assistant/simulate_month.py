#!/usr/bin/env python3
"""A month of Northwind's assistant traffic through Shoal's real request path, into the request log.

Every request of data/traffic.jsonl goes through the same pipeline the gateway uses (privacy scan
of the whole request, routing policy with the learned router, model call with fallbacks) and is
recorded as one request record with its usage, cost (capacity rate for the self-hosted model),
route, reasons and sensitivity. Only the clock is simulated: timestamps are spread over the last
30 days (working hours, weekdays busier), so `shoal tco` and the dashboard see a month of use.

    python simulate_month.py [--days 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import time
import uuid
from collections import Counter
from pathlib import Path

from shoal.config import load_settings
from shoal.errors import ShoalError
from shoal.models.types import ChatRequest, Message
from shoal.principal import Principal
from shoal.store import RequestRecord
from shoal.wiring import build_pipeline, open_store
from shoal.wiring import catalog as build_catalog


def month_of_timestamps(n: int, days: int, rng: random.Random) -> list[float]:
    end = time.time()
    start = end - days * 86400
    out: list[float] = []
    while len(out) < n:
        ts = start + rng.random() * days * 86400
        t = time.gmtime(ts)
        hour = t.tm_hour + t.tm_min / 60
        busy = math.exp(-((hour - 14) / 3.5) ** 2) * (0.35 if t.tm_wday >= 5 else 1.0)
        if rng.random() < 0.05 + busy:
            out.append(ts)
    return sorted(out)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--traffic", type=Path, default=Path("data/traffic.jsonl"))
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    settings = load_settings()
    catalog = build_catalog(settings)
    pipeline = build_pipeline(settings, catalog)
    store = open_store(settings, background_writes=True)
    rows = [json.loads(line) for line in args.traffic.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(args.seed)
    stamps = month_of_timestamps(len(rows), args.days, rng)
    routes: Counter[str] = Counter()
    started = time.perf_counter()
    for i, (row, ts) in enumerate(zip(rows, stamps, strict=True), 1):
        # The question alone, as in the evals the router was trained on (the router reads the
        # whole prompt text: a system prompt it never saw in training would shift its scores).
        request = ChatRequest(messages=(Message.user(row["prompt"]),), max_tokens=300)
        principal = Principal(user=row["user"], team=row["team"], segment="internal",
                              groups=frozenset({row["team"]}))
        rec = RequestRecord(request_id=f"sim-{int(ts * 1000):x}-{uuid.uuid4().hex[:8]}", ts=ts, team=row["team"],
                            user=row["user"], segment="internal", key_id=f"sim-{row['team']}", requested_model="auto")
        t0 = time.perf_counter()
        try:
            prepared = pipeline.prepare(request, requested="auto", principal=principal)
            d = prepared.decision
            rec.route, rec.route_reasons = d.route, list(d.reasons)
            rec.sensitivity = prepared.sensitivity.level
            rec.sensitivity_reasons = list(prepared.sensitivity.reasons)
            completion = await pipeline.complete(prepared)
            rec.served_model = completion.name or d.model
            rec.served_model_id = completion.model
            rec.prompt_tokens, rec.completion_tokens = completion.usage.prompt_tokens, completion.usage.completion_tokens
            rec.cost_usd = completion.cost_usd
            # replayed answers take no time: a plausible serving latency for the chosen model
            per_token = 0.012 if rec.served_model == "frontier" else 0.02
            rec.latency_ms = (0.25 + per_token * rec.completion_tokens + rng.expovariate(4)) * 1000
        except ShoalError as exc:
            rec.status, rec.error = 503, str(exc)
            rec.latency_ms = (time.perf_counter() - t0) * 1000
        routes[f"{rec.route}→{rec.served_model}"] += 1
        store.record_request(rec)
        if i % 2000 == 0:
            print(f"  {i:,} requests ({time.perf_counter() - started:.0f} s)", flush=True)
    store.close()
    await catalog.aclose()
    print(f"recorded {len(rows):,} requests over {args.days} days:")
    for key, n in routes.most_common():
        print(f"  {key:32s} {n:6,d}")


if __name__ == "__main__":
    asyncio.run(main())
