"""Leaks and false pins of the whole privacy scan on every hand-written evaluation set, in one run.

    python bench/privacy_sets.py [--no-semantic] [--threshold T ...] [--model FILE] [--test-half]

Reads ``bench/data/privacy_independent.jsonl`` (v1) and ``privacy_independent_v2.jsonl`` onwards, each
written by its own author (see its SOURCE note), and the dev half of ``privacy_prompts.jsonl``. It
prints leaks (sensitive prompts the scan calls public) and false pins (harmless prompts it calls
sensitive) per set, then per group: v1-v10 (the sets thresholds are chosen on, see
``shoal.privacy.train``), v11-v16 (near twins by six authors), v17-v20 (four authors who wrote after
the unit-training change), v21-v22 (near twins by two authors who wrote after the models shipped on
2026-11-29, ``0331b7c``, were trained) and v23 onwards (independent prompts, not twins, as a new user
types them: a mixed set of the issue's kinds and a set of pasted work documents). ``--threshold``
runs the scan again at each threshold (on the stage's stacked probability, or the model's own with
``--no-semantic``), the way a threshold is chosen;
``--model`` scores a model written by ``shoal privacy train`` (which decides alone, see
``privacy.model.semantic``). ``--test-half`` adds the test half of ``privacy_prompts.jsonl``: report
it, never choose anything on it.

The scan is ``shoal privacy eval``'s (``shoal.privacy.evaluate``), built once per threshold.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/privacy_routing.py

from privacy_routing import load  # the split loader of the bench this one extends

from shoal.privacy.config import ModelConfig, PrivacyConfig
from shoal.privacy.evaluate import Report, evaluate
from shoal.privacy.scanner import PrivacyScanner
from shoal.privacy.train import Labelled, read_labelled

DATA = Path(__file__).resolve().parent / "data"
GROUPS = (("v1-v10", range(1, 11)), ("v11-v16", range(11, 17)), ("v17-v20", range(17, 21)),
          ("v21-v22", range(21, 23)), ("v23+", range(23, 1000)))


def evaluation_sets() -> dict[str, list[Labelled]]:
    """Every ``privacy_independent*.jsonl`` by its number (v1 has none in its name), in order."""
    found: dict[int, Path] = {}
    for path in DATA.glob("privacy_independent*.jsonl"):
        match = re.fullmatch(r"privacy_independent(?:_v(\d+))?", path.stem)
        if match:
            found[int(match.group(1) or 1)] = path
    return {f"v{n}": read_labelled(found[n]) for n in sorted(found)}


def line(name: str, report: Report) -> str:
    return (f"{name:10s} leaks {report.fn:4d} / {report.sensitive:<5d} ({report.leak_rate:5.1%})   "
            f"false pins {report.fp:4d} / {report.public:<5d} ({report.false_pin_rate:5.1%})")


def pooled(reports: list[Report]) -> Report:
    total = Report()
    for r in reports:
        total.tp += r.tp
        total.fn += r.fn
        total.fp += r.fp
        total.tn += r.tn
    return total


def decider(scanner: PrivacyScanner) -> Callable[[str], bool]:
    """Whether ``scanner`` calls a text sensitive (``shoal privacy eval``'s decision)."""
    return lambda text: scanner.scan(text).is_sensitive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-semantic", action="store_true", help="the n-gram model alone")
    parser.add_argument("--threshold", type=float, action="append", default=[],
                        help="run at this threshold too (repeatable); default: the shipped one")
    parser.add_argument("--model", type=Path, help="a model written by `shoal privacy train`")
    parser.add_argument("--test-half", action="store_true", help="also report the test half (never choose on it)")
    args = parser.parse_args()

    sets = evaluation_sets()
    sets["dev half"] = [item for item, _ in load("dev")]
    if args.test_half:
        sets["test half"] = [item for item, _ in load("test")]
    for threshold in args.threshold or [None]:
        model = ModelConfig(path=str(args.model) if args.model else None, semantic=not args.no_semantic,
                            threshold=threshold)
        scanner = PrivacyScanner(PrivacyConfig(model=model))
        print(f"\n== threshold {threshold if threshold is not None else scanner.threshold:g}"
              f"{', n-gram model alone' if args.no_semantic or args.model else ', with the semantic stage'}")
        reports = {name: evaluate(items, decider(scanner)) for name, items in sets.items()}
        for name, report in reports.items():
            print(line(name, report))
        for group, numbers in GROUPS:
            members = [reports[f"v{n}"] for n in numbers if f"v{n}" in reports]
            if members:
                print(line(group, pooled(members)))


if __name__ == "__main__":
    main()
