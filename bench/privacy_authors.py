"""Held out by author: how the full privacy scan does on hand-written prompts by authors it never saw.

    python bench/privacy_authors.py [--folds 5] [--n 45000] [--semantic-n N] [--seed 7]
                                    [--written-weight W] [--c C] [--models DIR] [--out scores.jsonl]
                                    [--threshold T ...] [--floor F ...]

The hand-written training prompts (``src/shoal/privacy/gen/written/*.jsonl``) come one file per
author. The authors are dealt into ``--folds`` groups; for each group, both models are trained
exactly as the shipped ones (``shoal.privacy.train`` and ``shoal.privacy.semantic_train``, the same
generated prompts, weights and solver) with that group's files left out, and the full scan — exact
detectors, names, the linear model, the semantic stage, built-in topics — reads every prompt of the
left-out files. Each prompt is thus scored by a model that never saw its author's wordings, which
is what a hidden set of prompts by another author measures; the in-sample peer in the same run is
the shipped model on the same prompts (it was trained on them, so its numbers are the floor no
held-out estimate reaches).

Printed per author and pooled: leaks (sensitive prompts that would leave) and false pins (harmless
prompts kept on self-hosted models) at the shipped threshold and topic floor, then a grid over
``--threshold`` and ``--floor`` so a threshold can be chosen on thousands of out-of-author prompts
instead of the few hundred of a dev set. ``--out`` keeps every prompt's scores for later analysis.
No evaluation set (``bench/data/privacy_independent_v*.jsonl``, the test half) is read.

Takes about 2–3 minutes of CPU per fold.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shoal.privacy import semantic_train as ST
from shoal.privacy import train as T
from shoal.privacy.config import PrivacyConfig
from shoal.privacy.scanner import CONTEXTUAL, PrivacyScanner
from shoal.privacy.semantic import SemanticHead, SemanticStage, load_encoder


@dataclass(frozen=True)
class Scored:
    """One prompt's evidence: exact detections that decide alone, organisation terms, the final
    (stacked) probability and the built-in topics found (computed whatever the probability)."""

    source: str
    category: str
    sensitive: bool
    exact: bool
    p: float
    topics: bool
    p_linear: float  # the linear model's probability alone (single-window texts: the one window)
    z_head: float  # the semantic head's logit on the text (to try other bands and stackers offline)

    def flagged(self, threshold: float, floor: float) -> bool:
        return self.exact or self.p >= threshold or (self.topics and self.p >= min(floor, threshold))


def folds(sources: Sequence[str], k: int, seed: int) -> list[list[str]]:
    """Authors dealt into ``k`` groups (shuffled with ``seed``)."""
    order = sorted(sources)
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k) if order[i::k]]


def scanner_for(model_path: Path | None, stage: SemanticStage | None) -> PrivacyScanner:
    """The shipped scan with another linear model and semantic stage; topics computed at any probability."""
    config = PrivacyConfig.model_validate({"model": {"path": str(model_path) if model_path else None,
                                                     "topic_floor": 0.0}})
    scanner = PrivacyScanner(config)
    if stage is not None:
        # The semantic head has no config path (teams retrain only the linear model): set it directly.
        scanner._stage, scanner._stage_tried = stage, True
    return scanner


def score(scanner: PrivacyScanner, items: Iterable[T.Labelled]) -> list[Scored]:
    out = []
    stage = scanner.semantic_stage()
    for item in items:
        spans, verdict, topics, _org, _text = scanner._detect_all(item.text)
        exact = any(s.entity_type not in CONTEXTUAL for s in spans)
        linear = scanner.model_verdict(item.text, spans, semantic=False)
        z = stage.head.head_logit(stage.embed(item.text)) if stage is not None else 0.0
        out.append(Scored(item.source, item.category, T.is_sensitive_label(item.label), exact,
                          verdict.p_sensitive if verdict else 0.0, bool(topics),
                          linear.p_sensitive if linear else 0.0, z))
    return out


def counts(rows: Sequence[Scored], threshold: float, floor: float) -> tuple[int, int, int, int]:
    leaks = sum(r.sensitive and not r.flagged(threshold, floor) for r in rows)
    pins = sum(not r.sensitive and r.flagged(threshold, floor) for r in rows)
    return leaks, sum(r.sensitive for r in rows), pins, sum(not r.sensitive for r in rows)


def line(name: str, rows: Sequence[Scored], threshold: float, floor: float) -> str:
    leaks, n_s, pins, n_p = counts(rows, threshold, floor)
    return (f"{name:<22} leaks {leaks:4d}/{n_s:<5d} {leaks / max(n_s, 1):6.1%}   "
            f"false pins {pins:4d}/{n_p:<5d} {pins / max(n_p, 1):6.1%}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n", type=int, default=T.DEFAULT_N, help="generated prompts per training run")
    parser.add_argument("--semantic-n", type=int, default=ST.DEFAULT_N, help="generated prompts for the semantic stage")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--written-weight", type=float, default=T.WRITTEN_WEIGHT, help="as shoal.privacy.train's")
    parser.add_argument("--c", type=float, default=T.DEFAULT_C, help="as shoal.privacy.train's")
    parser.add_argument("--threshold", type=float, nargs="*", default=[0.25, 0.3, 0.35, 0.4, 0.45, 0.5])
    parser.add_argument("--floor", type=float, nargs="*", default=[0.1, 0.2, 0.3, 1.0])
    parser.add_argument("--out", type=Path, help="write every prompt's scores here (JSON Lines)")
    parser.add_argument("--models", type=Path, help="keep each fold's two models in this folder and reuse those "
                        "already there (same folds, same settings: score other code without retraining)")
    args = parser.parse_args(argv)
    # The semantic head's solver stops at its iteration cap on purpose (as in semantic_train): say nothing.
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")

    written = T.written_prompts()
    by_source: dict[str, list[T.Labelled]] = defaultdict(list)
    for item in written:
        by_source[item.source].append(item)
    encoder = load_encoder()
    if encoder is None:
        raise SystemExit("the static token vectors are missing: reinstall shoal")
    shipped = PrivacyScanner()
    held: list[Scored] = []
    inside: list[Scored] = []
    groups = folds(list(by_source), args.folds, args.seed)
    if args.models:
        args.models.mkdir(parents=True, exist_ok=True)
        record = args.models / "folds.json"
        if record.exists() and json.loads(record.read_text()) != groups:
            raise SystemExit(f"{record} holds other folds (the written files changed): use another --models folder")
        record.write_text(json.dumps(groups))
    for i, group in enumerate(groups, 1):
        t0 = time.perf_counter()
        print(f"fold {i}/{len(groups)}: leaving out {', '.join(group)}", flush=True)
        def quiet(_msg: str) -> None:  # the training logs would drown the table
            pass
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.models or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            path, head_path = folder / f"fold{i}-model.npz", folder / f"fold{i}-head.npz"
            if not (path.exists() and head_path.exists()):
                random.seed(args.seed)
                T.train_model(n=args.n, seed=args.seed, c=args.c, written=T.written_prompts(group),
                              written_weight=args.written_weight, log=quiet).save(path)
                ST.train_head(encoder, n=args.semantic_n, seed=args.seed, c_linear=args.c, exclude_written=group,
                              log=quiet).save(head_path)
            head = SemanticHead.from_bytes(head_path.read_bytes(), source=str(head_path))
            scanner = scanner_for(path, SemanticStage(head, encoder))
            items = [item for source in group for item in by_source[source]]
            held += score(scanner, items)
        inside += score(scanner_for(None, shipped.semantic_stage()), items)
        print(f"  {time.perf_counter() - t0:.0f} s", flush=True)

    threshold = PrivacyScanner().threshold
    floor = PrivacyConfig().model.topic_floor
    print(f"\n== each author held out (threshold {threshold}, topic floor {floor}) ==")
    for source in sorted(by_source):
        print(line(source, [r for r in held if r.source == source], threshold, floor))
    print(line("POOLED, held out", held, threshold, floor))
    print(line("shipped (in-sample)", inside, threshold, floor))
    by_kind: dict[str, list[Scored]] = defaultdict(list)
    for r in held:
        by_kind[r.category].append(r)
    print("\n== held out, the most often wrong categories ==")
    worst = sorted(by_kind.items(), key=lambda kv: -sum(r.sensitive != r.flagged(threshold, floor) for r in kv[1]))
    for kind, rows in worst[:15]:
        wrong = sum(r.sensitive != r.flagged(threshold, floor) for r in rows)
        print(f"  {kind:<28} wrong {wrong:3d}/{len(rows)}")
    print("\n== held out, pooled, by threshold and topic floor ==")
    for t in args.threshold:
        for f in args.floor:
            print(line(f"threshold {t:.2f} floor {f:.2f}", held, t, f))
    if args.out:
        with args.out.open("w", encoding="utf-8") as fh:
            for r in held:
                fh.write(json.dumps(r.__dict__) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
