#!/usr/bin/env python3
"""Send helpdesk tickets through the Shoal gateway and, as the support agents would, give feedback.

Each ticket goes to ``POST /v1/chat/completions`` (model ``helpdesk`` by default: the registry's
champion). The agent who handles the ticket knows the right queue: when the model's answer is the
right queue they rate it up, otherwise they rate it down and type the queue they used
(``POST /v1/feedback`` with the request id from the ``x-shoal-request-id`` header). Agents are human:
a small, seeded share of corrections is sloppy (free text instead of a queue name) — the review
step has to catch those.

    python simulate_traffic.py --gateway http://127.0.0.1:8765/v1 --key $KEY --tickets data/traffic.jsonl

Prints the model's accuracy on the traffic and writes one line per ticket to --out.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import httpx

SLOPPY = ["send to billing pls", "wrong team!!", "this is for the shipping people", "idk, not mine"]


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", " ", text.lower()).strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gateway", required=True, help="base URL, e.g. http://127.0.0.1:8765/v1")
    ap.add_argument("--key", required=True)
    ap.add_argument("--tickets", type=Path, required=True)
    ap.add_argument("--system", type=Path, default=None, help="system prompt file (default: beside --tickets)")
    ap.add_argument("--model", default="helpdesk")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--no-feedback", action="store_true")
    ap.add_argument("--sloppy", type=float, default=0.04, help="share of corrections typed carelessly")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    system = (args.system or args.tickets.parent / "system_prompt.txt").read_text(encoding="utf-8").strip()
    rows = [json.loads(line) for line in args.tickets.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[:args.limit] if args.limit else rows
    rng = random.Random(args.seed)
    headers = {"authorization": f"Bearer {args.key}"}
    correct = 0
    out = args.out.open("w", encoding="utf-8") if args.out else None
    start = time.perf_counter()
    with httpx.Client(base_url=args.gateway, headers=headers, timeout=120) as client:
        for i, row in enumerate(rows, 1):
            body = {"model": args.model, "max_tokens": 16, "temperature": 0,
                    "messages": [{"role": "system", "content": system}, {"role": "user", "content": row["ticket"]}]}
            resp = client.post("/chat/completions", json=body)
            resp.raise_for_status()
            answer = resp.json()["choices"][0]["message"]["content"]
            request_id = resp.headers["x-shoal-request-id"]
            ok = normalise(answer) == row["queue"]
            correct += ok
            feedback: dict[str, object] = {"request_id": request_id, "rating": 1}
            if not ok:
                fix = rng.choice(SLOPPY) if rng.random() < args.sloppy else row["queue"]
                feedback = {"request_id": request_id, "rating": -1, "correction": fix}
            if not args.no_feedback:
                client.post("/feedback", json=feedback).raise_for_status()
            if out:
                out.write(json.dumps({"id": row.get("id"), "request_id": request_id, "answer": answer,
                                      "queue": row["queue"], "correct": ok}) + "\n")
            if i % 25 == 0:
                print(f"  {i}/{len(rows)} tickets, accuracy so far {correct / i:.1%}", file=sys.stderr, flush=True)
    if out:
        out.close()
    elapsed = time.perf_counter() - start
    print(f"{len(rows)} tickets through {args.model} in {elapsed:.0f} s: {correct} routed right "
          f"({correct / max(1, len(rows)):.1%}); feedback {'not sent' if args.no_feedback else 'sent'} "
          "(which registry version answered each request: `shoal registry usage`)")


if __name__ == "__main__":
    main()
