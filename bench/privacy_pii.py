"""Benchmark shoal.privacy's PII detection on Presidio's synthetic dataset v2.

    python bench/privacy_pii.py [--data ../shared/data/pii/synth_dataset_v2.json] [--seed 20240601]
                                [--show-errors N]   # dev half only

The 1,500 records are shuffled with a fixed seed and split in two halves: ``dev`` (rules may be
looked at and tuned against it) and ``held-out`` (only reported). Both are printed.

Entity mapping (dataset type → Shoal type) and matching criterion are printed with the results:
a gold entity is *found* when at least half of its characters are covered by predicted spans of the
same type; a predicted span is *correct* when it overlaps a gold span of its type and at least half
of its characters lie in gold spans of its type or of a type that is part of it (a city labelled
GPE inside a predicted street address). Dataset types that are not personal data Shoal looks for
(GPE, ORGANIZATION, DATE_TIME, TITLE, AGE, NRP, ZIP_CODE, DOMAIN_NAME) are not scored; predictions
of Shoal-only types (credentials, bank numbers, dates of birth) have no gold labels here and are
counted separately.

Request level: a text with any in-scope entity must come out ``is_sensitive`` (the full scan,
the learned sensitivity model and organisation terms included); also shown: texts with any entity at all, texts with none
(false alarms), and ``bench/data/general_prompts*.txt``: 100 + 50 ordinary requests (coding,
writing, general knowledge, everyday) written by hand, none of which should be flagged; the second
set was written after the rules and never used to tune them.
Policy split of the request-level recall: the dataset labels every name a PERSON, but the README's
policy calls a name sensitive only with a personal attribute or in a personal or transactional
context, not a public figure, author, performer or fictional character in a general, news-like or
creative sentence. ``PUBLIC_CONTEXT`` lists the templates (by ``template_id``, chosen by reading the
templates' masked text, not from any result) whose persons appear only in such sentences: music and
film commentary, author and artist bios, news headlines and quotes, keynote speakers, fiction and
dialogue. Recall is printed for all texts (the issue's target) and for the two parts apart: texts
from the other templates (a private person with an address, card, phone, account, family, employer,
character or whereabouts) should all be flagged; for the public-context part a miss is what the
policy asks for.
Start-up: a fresh interpreter imports the scanner, builds it and scans one text (timed separately).
Latency: per-text ``scan`` time after warm-up, p50/p99, beside a peer measured in the same run
(the pattern detectors alone, without names, addresses and topics).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from shoal.privacy.config import PrivacyConfig
from shoal.privacy.scanner import PrivacyScanner
from shoal.privacy.types import Span

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "pii" / "synth_dataset_v2.json"
GENERAL_PROMPTS = [Path(__file__).resolve().parent / "data" / name
                   for name in ("general_prompts.txt", "general_prompts_2.txt")]
MAPPING: dict[str, str] = {
    "PERSON": "PERSON", "STREET_ADDRESS": "STREET_ADDRESS", "CREDIT_CARD": "CREDIT_CARD",
    "PHONE_NUMBER": "PHONE_NUMBER", "EMAIL_ADDRESS": "EMAIL_ADDRESS", "IBAN_CODE": "IBAN_CODE",
    "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS", "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
}
NOT_SCORED = ("GPE", "ORGANIZATION", "DATE_TIME", "TITLE", "AGE", "NRP", "ZIP_CODE", "DOMAIN_NAME")
# Gold types whose characters may lie inside a predicted span of the key type without making it wrong.
PART_OF: dict[str, frozenset[str]] = {"STREET_ADDRESS": frozenset({"GPE", "ZIP_CODE"}),
                                      "PERSON": frozenset({"TITLE"})}
# Templates whose persons appear only in public, news-like or creative contexts (see the docstring):
PUBLIC_CONTEXT: frozenset[int] = frozenset({
    # performers, songs, films, books: music and film commentary, credits, author bios
    93, 94, 95, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 111, 112, 113, 114, 115, 116,
    122, 127, 199,
    # news and public roles: headlines, quotes, keynote speakers, founders on an about page, awards
    85, 120, 126, 180, 181, 184, 186, 197,
    # fiction and dialogue: characters, no identifiable private person
    96, 125, 159, 168, 173, 175, 200,
})
ANCHORS = {"Presidio default": 0.618, "Presidio + transformer NER": 0.845}
TARGETS = {"entity F2": 0.85, "request recall": 0.99, "p99 ms": 5.0, "general flagged": 0.05, "first scan s": 0.3}


def load(path: Path) -> list[dict[str, Any]]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        sys.exit(f"cannot read {path}: {exc} — pass --data PATH to synth_dataset_v2.json")
    good = []
    for i, rec in enumerate(records):
        try:
            text = rec["full_text"]
            for s in rec["spans"]:
                if text[s["start_position"]:s["end_position"]] != s["entity_value"]:
                    raise ValueError(f"span {s['entity_type']} offsets do not match its value")
            good.append(rec)
        except (KeyError, TypeError, ValueError) as exc:
            print(f"skipping record {i}: {exc}", file=sys.stderr)
    return good


def split(records: list[dict[str, Any]], seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    half = len(order) // 2
    return [records[i] for i in order[:half]], [records[i] for i in order[half:]]


def _chars(start: int, end: int, text: str) -> set[int]:
    return {i for i in range(start, end) if not text[i].isspace()}


class Score:
    def __init__(self) -> None:
        self.found: Counter[str] = Counter()
        self.gold: Counter[str] = Counter()
        self.correct: Counter[str] = Counter()
        self.pred: Counter[str] = Counter()
        self.unscored_pred: Counter[str] = Counter()
        self.misses: list[tuple[str, str, str]] = []
        self.false: list[tuple[str, str, str]] = []

    def add(self, text: str, gold: list[dict[str, Any]], pred: list[Span]) -> None:
        covered: dict[str, set[int]] = defaultdict(set)
        for p in pred:
            covered[p.entity_type] |= _chars(p.start, p.end, text)
        gold_chars: dict[str, set[int]] = defaultdict(set)
        for g in gold:
            gold_chars[g["entity_type"]] |= _chars(g["start_position"], g["end_position"], text)
        for g in gold:
            ours = MAPPING.get(g["entity_type"])
            if ours is None:
                continue
            chars = _chars(g["start_position"], g["end_position"], text)
            self.gold[ours] += 1
            if chars and len(chars & covered[ours]) * 2 >= len(chars):
                self.found[ours] += 1
            else:
                self.misses.append((ours, g["entity_value"], text))
        inverse: dict[str, set[str]] = defaultdict(set)
        for theirs, ours in MAPPING.items():
            inverse[ours].add(theirs)
        for p in pred:
            if p.entity_type not in inverse:
                self.unscored_pred[p.entity_type] += 1
                continue
            chars = _chars(p.start, p.end, text)
            own = set().union(*(gold_chars[t] for t in inverse[p.entity_type]))
            allowed = own | set().union(*(gold_chars[t] for t in PART_OF.get(p.entity_type, ())))
            self.pred[p.entity_type] += 1
            if chars & own and len(chars & allowed) * 2 >= len(chars):
                self.correct[p.entity_type] += 1
            else:
                self.false.append((p.entity_type, p.text, text))

    @staticmethod
    def prf(correct: int, pred: int, found: int, gold: int) -> tuple[float, float, float]:
        p = correct / pred if pred else 1.0
        r = found / gold if gold else 1.0
        f2 = 5 * p * r / (4 * p + r) if p + r else 0.0
        return p, r, f2

    def overall(self) -> tuple[float, float, float]:
        return self.prf(sum(self.correct.values()), sum(self.pred.values()),
                        sum(self.found.values()), sum(self.gold.values()))


def evaluate(name: str, records: list[dict[str, Any]], scanner: PrivacyScanner, show_errors: int) -> float:
    score = Score()
    parts: dict[str, list[int]] = {"private": [0, 0], "public-context": [0, 0]}
    in_scope_texts = flagged_in_scope = any_texts = flagged_any = clean_texts = flagged_clean = hinted = 0
    request_misses: list[str] = []
    missed_types: Counter[str] = Counter()
    for rec in records:
        text, gold = rec["full_text"], rec["spans"]
        pred = scanner.detect_pii(text)
        score.add(text, gold, pred)
        result = scanner.scan(text)
        sensitive = result.is_sensitive
        hinted += any(r.startswith("model:") for r in result.reasons) and not pred
        if any(g["entity_type"] in MAPPING for g in gold):
            in_scope_texts += 1
            flagged_in_scope += sensitive
            part = parts["public-context" if rec.get("template_id") in PUBLIC_CONTEXT else "private"]
            part[0] += 1
            part[1] += sensitive
            if not sensitive:
                request_misses.append(text)
                missed_types.update({MAPPING[g["entity_type"]] for g in gold if g["entity_type"] in MAPPING})
        if gold:
            any_texts += 1
            flagged_any += sensitive
        else:
            clean_texts += 1
            flagged_clean += sensitive
    print(f"\n== {name}: {len(records)} texts ==")
    print(f"{'type':<18}{'gold':>6}{'pred':>6}{'prec':>8}{'recall':>8}{'F2':>8}")
    for ours in sorted(set(score.gold) | set(score.pred)):
        p, r, f2 = score.prf(score.correct[ours], score.pred[ours], score.found[ours], score.gold[ours])
        print(f"{ours:<18}{score.gold[ours]:>6}{score.pred[ours]:>6}{p:>8.3f}{r:>8.3f}{f2:>8.3f}")
    p, r, f2 = score.overall()
    print(f"{'OVERALL (micro)':<18}{sum(score.gold.values()):>6}{sum(score.pred.values()):>6}{p:>8.3f}{r:>8.3f}{f2:>8.3f}")
    if score.unscored_pred:
        print("predictions of types without gold labels here (not scored):", dict(score.unscored_pred))
    rr = flagged_in_scope / in_scope_texts if in_scope_texts else 1.0
    print(f"request-level recall, texts with an in-scope entity: {flagged_in_scope}/{in_scope_texts} = {rr:.3f}"
          f"  (target ≥ {TARGETS['request recall']})")
    for label, (n_part, hit) in parts.items():
        print(f"  {label + ' contexts:':<26}{hit}/{n_part} = {hit / max(n_part, 1):.3f}"
              + ("  (policy: a miss here is public by the README's policy)" if label != "private" else ""))
    if missed_types:
        print("  missed texts by the in-scope types they hold:", dict(sorted(missed_types.items())))
    print(f"request-level recall, texts with any entity (incl. GPE/ORG/DATE...): {flagged_any}/{any_texts}"
          f" = {flagged_any / max(any_texts, 1):.3f}")
    print(f"request-level false alarms, texts with no entity: {flagged_clean}/{clean_texts}"
          f" = {flagged_clean / max(clean_texts, 1):.3f}")
    print(f"texts sensitive only through the learned model (no entity span): {hinted}")
    if show_errors:
        print(f"-- first {show_errors} request-level misses --")
        for text in request_misses[:show_errors]:
            print(f"  MISSED REQUEST: {text[:160]!r}")
        print(f"-- first {show_errors} misses --")
        for ours, value, text in score.misses[:show_errors]:
            print(f"  MISS {ours}: {value!r} in {text[:160]!r}")
        print(f"-- first {show_errors} false detections --")
        for ours, value, text in score.false[:show_errors]:
            print(f"  FALSE {ours}: {value!r} in {text[:160]!r}")
    return f2


def general_prompts(scanner: PrivacyScanner, path: Path, show: bool) -> float:
    """Share of ordinary requests flagged sensitive (each is a false alarm)."""
    prompts = [line.strip() for line in path.read_text("utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    flagged = [(p, scanner.scan(p).reasons) for p in prompts]
    flagged = [(p, r) for p, r in flagged if r]
    rate = len(flagged) / max(len(prompts), 1)
    print(f"\nordinary requests flagged sensitive ({path.name}): {len(flagged)}/{len(prompts)} = {rate:.3f}"
          f" (target ≤ {TARGETS['general flagged']})")
    if show:
        for prompt, reasons in flagged:
            print(f"  FLAGGED {list(reasons)}: {prompt!r}")
    return rate


_STARTUP = """
import time
t0 = time.perf_counter()
from shoal.privacy.scanner import PrivacyScanner
t1 = time.perf_counter()
PrivacyScanner().scan("Warm-up: Dana Whitfield's bonus this year")
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def startup(runs: int = 3) -> tuple[float, float]:
    """Best of ``runs`` fresh interpreters: (import seconds, build + first scan seconds)."""
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _STARTUP], capture_output=True, text=True, check=True)
        imp, first = (float(x) for x in out.stdout.split())
        best = min(best, (imp, first), key=lambda t: t[0] + t[1])
    return best


def latency(records: list[dict[str, Any]], scanner: PrivacyScanner, repeat: int = 3) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread) milliseconds per ``scan``. On a shared, busy machine the wall
    clock includes time the process waited for a core; the CPU time does not."""
    for rec in records[:50]:
        scanner.scan(rec["full_text"])
    wall, cpu = [], []
    for _ in range(repeat):
        for rec in records:
            t0, c0 = time.perf_counter(), time.thread_time()
            scanner.scan(rec["full_text"])
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)
    return wall, cpu


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--show-errors", type=int, default=0, help="print N misses/false detections (dev half only)")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--model", type=Path, help="a sensitivity model file to use instead of the shipped one")
    ap.add_argument("--dev-only", action="store_true", help="score the dev half only (while tuning)")
    ap.add_argument("--general", type=Path, nargs="*", default=GENERAL_PROMPTS,
                    help="files of ordinary prompts, one per line")
    args = ap.parse_args(argv)
    records = load(args.data)
    dev, held = split(records, args.seed)
    print(f"data: {args.data} ({len(records)} records), split seed {args.seed}: dev {len(dev)}, held-out {len(held)}")
    print("mapping (dataset → shoal):", ", ".join(f"{k}→{v}" for k, v in MAPPING.items()))
    print("not scored (not personal data shoal looks for):", ", ".join(NOT_SCORED))
    print("criterion: gold found if ≥50% of its non-space chars are covered by predictions of its type; prediction"
          " correct if it overlaps gold of its type and ≥50% of its chars lie in gold of its type or a part type"
          f" ({', '.join(f'{k}⊃{sorted(v)}' for k, v in PART_OF.items())}); F2 = (5·P·R)/(4·P+R), micro-averaged")
    t0 = time.perf_counter()
    scanner = PrivacyScanner(PrivacyConfig.model_validate({"model": {"path": str(args.model)}}) if args.model
                             else None)
    scanner.scan("Warm-up: Dana Whitfield's bonus this year")
    cold = (time.perf_counter() - t0) * 1000
    f2_dev = evaluate("dev half", dev, scanner, args.show_errors)
    f2_held = float("nan") if args.dev_only else evaluate("held-out half (report only)", held, scanner, 0)
    print(f"\nentity F2: dev {f2_dev:.3f}, held-out {f2_held:.3f} (target ≥ {TARGETS['entity F2']}; "
          + ", ".join(f"{k} {v}" for k, v in ANCHORS.items()) + " — published, token-level, other type set)")
    for path in args.general:
        general_prompts(scanner, path, bool(args.show_errors))
    if not args.skip_latency:
        imp, first = startup()
        print(f"start-up in a fresh interpreter (best of 3): import {imp:.3f} s (pydantic config included), "
              f"build + first scan {first:.3f} s (target ≤ {TARGETS['first scan s']} s); "
              f"in this process: {cold / 1000:.3f} s")
        texts = dev + held
        wall, cpu = latency(texts, scanner)
        peer_cfg = PrivacyConfig(disabled_entities=["PERSON", "STREET_ADDRESS"],
                                 topics={"enabled": False})  # type: ignore[arg-type]
        peer_wall, peer_cpu = latency(texts, PrivacyScanner(peer_cfg))
        print(f"latency per text, full scan ({len(wall)} runs, target p99 ≤ {TARGETS['p99 ms']} ms):")
        print(f"  wall: p50 {pct(wall, .5):.3f} ms, p99 {pct(wall, .99):.3f} ms, max {max(wall):.2f} ms, "
              f"mean {statistics.fmean(wall):.3f} ms")
        print(f"  cpu:  p50 {pct(cpu, .5):.3f} ms, p99 {pct(cpu, .99):.3f} ms, max {max(cpu):.2f} ms")
        print(f"peer, pattern detectors only: wall p99 {pct(peer_wall, .99):.3f} ms, cpu p99 "
              f"{pct(peer_cpu, .99):.3f} ms; full/peer cpu p99 {pct(cpu, .99) / max(pct(peer_cpu, .99), 1e-9):.1f}x, "
              f"cpu p50 {pct(cpu, .5) / max(pct(peer_cpu, .5), 1e-9):.1f}x")

if __name__ == "__main__":
    main()
