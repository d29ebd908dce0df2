"""Training the sensitivity model: generated prompts (``shoal.privacy.gen``) plus a team's own labelled ones.

    python -m shoal.privacy.train --out src/shoal/privacy/data/sensitivity.npz --threshold 0.1   # the shipped model
    python -m shoal.privacy.semantic_train --out src/shoal/privacy/data/semantic_head.npz   # its semantic stage

(about four minutes each. The thresholds — 0.1 here, where the model decides alone, and the semantic
stage's 0.12 on the stacked probability, ``semantic_train.THRESHOLD`` — are the highest of those tried
(0.08-0.12 alone, 0.09-0.2 with the stage) at which the evaluation sets v1-v10 of
``bench/data/privacy_independent*.jsonl`` leak no more than the earlier models (6 prompts), or where
none does, the highest with the fewest leaks (alone: 6 at 0.1; with the stage: 7 at every threshold
from 0.09 to 0.12). v11 onwards and the test half of ``bench/data/privacy_prompts.jsonl`` took no part
in the choice. The scanner's ``topic_floor`` 0.1 was chosen by scoring each hand-written file with
models trained without it, ``bench/privacy_authors.py``.)

Reproducible: the generator is seeded, with its calendar pinned (Faker draws dates relative to
today; ``gen.fakers.CALENDAR_TODAY``) and Faker's release pinned in the ``privacy-data`` extra; the
features are hashed with CRC-32 and the solver is deterministic. Needs the ``privacy-data`` extra
(Faker) and scikit-learn (``routing`` extra) — at training time only; the scanner needs numpy alone.

The hand-written prompts of ``gen/written/*.jsonl`` (one file per author, each with a SOURCE note;
written without access to the evaluation sets) are added to the generated ones with weight
``WRITTEN_WEIGHT``: the generator's templates teach the detectors' shapes, the written prompts the
range of wordings real users type. Scored by author held out (``bench/privacy_authors.py``: each file
by models trained without it; threshold 0.35, topic floor 0.1), weight 4 gave 68 leaks in 3,141 and 649
false pins in 4,096 and weight 8 gave 65 and 595 (both with the detectors before the example-value
rules); with them, weight 8 gave 66 and 544 and weight 16 gave 64 and 528: the human wordings
generalise to other authors better than the generator's; 16 ships.

A team file is JSON Lines, one ``{"text": ..., "label": ...}`` per line, where ``label`` is
``public``/``none``, ``sensitive``, or a class (``personal``, ``secret``, ``business``); a plain
``sensitive`` takes the class the generated-data model finds most likely. Team rows weigh more than
generated ones (``team_weight``) so a few hundred of them move the model.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shoal.errors import ConfigError
from shoal.privacy.features import BUCKETS, SHORT, Featurizer, load_names, tokens
from shoal.privacy.model import CLASSES, SensitivityModel

PUBLIC_LABELS = frozenset({"public", "none", "not_sensitive", "harmless", "false", "0"})
SENSITIVE_LABELS = frozenset({"sensitive", "confidential", "true", "1"})
DEFAULT_N = 45_000
DEFAULT_C = 5.0  # inverse L2 strength; 5 and 15 scored alike on the dev half, the smaller is steadier
DEFAULT_SEED = 7
TARGET_RECALL = 0.995  # on a generated check set (another seed): the threshold keeps this recall
WRITTEN_DIR = Path(__file__).resolve().parent / "gen" / "written"
WRITTEN_WEIGHT = 16.0  # see the module docstring
UNIT_BUDGET = 3.0  # the units of one long text weigh this many texts together (``_fit_on_units``)


@dataclass(frozen=True)
class Labelled:
    text: str
    label: str  # "public"/"none", "sensitive" or a class name
    category: str = ""
    source: str = ""  # the file a written prompt came from (its author): held out together


def read_labelled(path: Path) -> list[Labelled]:
    """Rows of a labelled JSONL file; a bad line is an error that names the line."""
    out: list[Labelled] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path.name}: {exc.strerror}") from exc
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = row["text"]
            label = str(row.get("label", row.get("sensitive"))).lower()
            if not isinstance(text, str) or not text.strip():
                raise ValueError("text must be a non-empty string")
            if label not in PUBLIC_LABELS | SENSITIVE_LABELS | set(CLASSES):
                raise ValueError(f"label {label!r} is not public/sensitive or one of {', '.join(CLASSES)}")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path.name} line {no}: {exc}",
                              hint='each line must be {"text": "...", "label": "public" | "sensitive"}') from exc
        out.append(Labelled(text, label, str(row.get("category", "")), path.stem))
    if not out:
        raise ConfigError(f"{path.name} has no labelled prompts")
    return out


def written_prompts(exclude: Sequence[str] = (), folder: Path = WRITTEN_DIR) -> list[Labelled]:
    """The hand-written training prompts shipped in ``gen/written`` (one file per author), except
    the files whose stem is in ``exclude`` (to measure how the model does on an author it has not
    seen)."""
    if not folder.is_dir():
        return []
    return [item for path in sorted(folder.glob("*.jsonl")) if path.stem not in exclude
            for item in read_labelled(path)]


def balanced(items: Sequence[Labelled], weight: float) -> list[float]:
    """Per-row weights averaging ``weight`` that give the sensitive and the public rows the same
    total: the written files lean public (authors found harmless prompts easier to vary), and an
    unbalanced set would move the decision boundary, not just teach wordings."""
    sensitive = sum(1 for item in items if is_sensitive_label(item.label))
    public = len(items) - sensitive
    if not sensitive or not public:
        return [weight] * len(items)
    half = len(items) / 2
    return [weight * half / (sensitive if is_sensitive_label(item.label) else public) for item in items]


def is_sensitive_label(label: str) -> bool:
    return label not in PUBLIC_LABELS


def _features(featurizer: Featurizer, detect: Callable[[str], set[str]], texts: Sequence[str]) -> list[list[int]]:
    return [featurizer.windows(t, sorted(detect(t)), whole=True)[0] for t in texts]


def _matrix(rows: Sequence[list[int]]):  # type: ignore[no-untyped-def]
    import numpy as np
    from scipy.sparse import csr_matrix

    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for ids in rows:  # a repeated feature counts as often as it occurs (the matrix sums duplicates)
        indices += ids
        data += [1.0 / max(len(ids), 1) ** 0.5] * len(ids)
        indptr.append(len(indices))
    x = csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices), np.asarray(indptr)),
                   shape=(len(rows), BUCKETS))
    x.sum_duplicates()
    return x


def fit(rows: Sequence[list[int]], labels: Sequence[str], weights: Sequence[float] | None = None, *,
        c: float = 20.0, threshold: float = 0.5) -> SensitivityModel:
    """Multinomial logistic regression on the hashed features; classes in ``CLASSES`` order."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = _matrix(rows)
    y = np.asarray([CLASSES.index(lbl) for lbl in labels])
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    clf = LogisticRegression(C=c, max_iter=400, tol=1e-4)
    # One BLAS thread: with several, sums are taken in a varying order and the (not fully converged)
    # solver ends at a visibly different point on every run.
    with threadpool_limits(limits=1):
        clf.fit(x, y, sample_weight=None if weights is None else np.asarray(weights))
    w = np.zeros((BUCKETS, len(CLASSES)), dtype=np.float32)
    b = np.zeros(len(CLASSES), dtype=np.float32)
    for j, cls in enumerate(clf.classes_):
        w[:, cls] = clf.coef_[j]
        b[cls] = clf.intercept_[j]
    # Classes absent from the data keep a very low bias (never predicted).
    for cls in range(len(CLASSES)):
        if cls not in set(clf.classes_.tolist()):
            b[cls] = -30.0
    return SensitivityModel(w, b, threshold=threshold)


def choose_threshold(model: SensitivityModel, featurizer: Featurizer, detect: Callable[[str], set[str]],
                     check: Sequence[Labelled], target_recall: float = TARGET_RECALL) -> float:
    """The highest threshold that keeps ``target_recall`` of the sensitive check texts."""
    scores = sorted(model.score(featurizer.encode(s.text, sorted(detect(s.text)))).p_sensitive
                    for s in check if is_sensitive_label(s.label))
    if not scores:
        return 0.5
    k = int((1.0 - target_recall) * len(scores))
    return float(min(0.5, max(0.02, scores[k] - 1e-6)))


MIX_SHARE = 0.25


def mix(samples: list[dict[str, str]], seed: int, share: float = MIX_SHARE) -> list[dict[str, str]]:
    """Add texts made of 2-4 samples joined together (``share`` of the set): sensitive when any part
    is, with that part's class. A long prompt mixes a question, pasted text and a task; without these
    the model learns that the cues of a harmless request outweigh a sensitive sentence beside them."""
    rng = random.Random(seed)
    out = list(samples)
    for _ in range(int(len(samples) * share)):
        parts = rng.sample(samples, rng.randrange(2, 5))
        label = next((p["label"] for p in parts if p["label"] != "none"), "none")
        sep = rng.choice([" ", "\n", "\n\n", " Also, ", "\n---\n"])
        out.append({"text": sep.join(p["text"] for p in parts), "label": label, "kind": "mix"})
    return out


def train_model(team: Sequence[Labelled] = (), *, n: int = DEFAULT_N, seed: int = DEFAULT_SEED,
                team_weight: float = 5.0, c: float = DEFAULT_C, detect: Callable[[str], set[str]] | None = None,
                written: Sequence[Labelled] | None = None, written_weight: float = WRITTEN_WEIGHT,
                unit_budget: float = UNIT_BUDGET, log: Callable[[str], None] = print) -> SensitivityModel:
    """Generate, featurise, fit, choose the threshold. The hand-written prompts (``written``,
    default: all of ``gen/written``) are added with ``written_weight``, a team's rows with
    ``team_weight``; with ``unit_budget`` above 0, the model is refitted on the scanning units of
    long texts too (``_fit_on_units``)."""
    from shoal.privacy.gen.frames import generate

    if detect is None:
        detect = default_detector()
    if written is None:
        written = written_prompts()
    featurizer = Featurizer(load_names())
    log(f"generating {n} prompts (seed {seed})")
    samples = mix(generate(n, seed), seed)
    check = [Labelled(s["text"], s["label"]) for s in mix(generate(max(2000, n // 10), seed + 1000), seed + 1000)]
    texts = [s["text"] for s in samples]
    labels = [s["label"] for s in samples]
    weights = [1.0] * len(samples)
    log("featurising")
    rows = _features(featurizer, detect, texts)
    # The written prompts keep their share of the mix whatever ``n`` is: with fewer generated prompts
    # (``shoal privacy train --generated 2000``) at full weight they would drown a team's own rows.
    share = written_weight * n / DEFAULT_N
    extra = [(item, weight) for item, weight in zip(written, balanced(written, share), strict=True)]
    extra += [(item, team_weight) for item in team]
    if extra:
        # A plain "sensitive" row takes the class the generated-data model finds most likely.
        base = fit(rows, labels, c=c)
        for (item, weight), row in zip(extra, _features(featurizer, detect, [item.text for item, _ in extra]),
                                       strict=True):
            rows.append(row)
            if item.label in CLASSES:
                labels.append(item.label)
            elif is_sensitive_label(item.label):
                labels.append(base.verdict([rows[-1]]).category)
            else:
                labels.append("none")
            weights.append(weight)
        check += [item for item in team if is_sensitive_label(item.label)]
        log(f"added {len(written)} written prompts (weight {written_weight}) and {len(team)} team prompts "
            f"(weight {team_weight})")
    log(f"fitting on {len(rows)} prompts")
    model = fit(rows, labels, weights, c=c)
    if unit_budget > 0:
        model = _fit_on_units(model, featurizer, detect, texts + [item.text for item, _ in extra], rows, labels,
                              weights, unit_budget, c=c, log=log, twins_from=len(texts))
    threshold = choose_threshold(model, featurizer, detect, check)
    log(f"threshold {threshold:.3f} (keeps {TARGET_RECALL:.1%} of the sensitive check prompts)")
    return SensitivityModel(model.weights, model.bias, threshold=threshold,
                            meta={"generated": n, "seed": seed, "written_rows": len(written),
                                  "team_rows": len(team), "c": c})


def _fit_on_units(model: SensitivityModel, featurizer: Featurizer, detect: Callable[[str], set[str]],
                  texts: Sequence[str], rows: list[list[int]], labels: list[str], weights: list[float],
                  budget: float, *, c: float, log: Callable[[str], None], twins_from: int | None = None
                  ) -> SensitivityModel:
    """Refit with the scanning units of the long texts as rows of their own.

    A long text is trained on whole but scanned in units (sentences, sentence pairs, windows; the
    most sensitive decides), so nothing taught the model that a unit of a harmless document said
    alone ("Attendees: Marta Kowalczyk, Devon Price", "Everyone agreed. Next meeting on 14 May.")
    is harmless. Every unit of a harmless long text becomes a harmless row; of a sensitive one,
    the unit ``model`` finds most sensitive becomes a row with the text's class (the sensitive
    sentence is somewhere in it; without these rows every unit row would be harmless, and the
    text-level features all units share, the layout, would learn "a unit, so harmless"). The
    units of one text weigh ``budget`` texts together at most, so a document is not counted once
    per sentence. ``rows``, ``labels`` and ``weights`` (whose first ``len(texts)`` entries belong
    to ``texts``) are extended in place.

    Hand-written sensitive documents are often near twins of harmless ones (the same minutes with
    one sentence about someone's health added): for a sensitive text among ``texts[twins_from:]``
    whose twin is found there (``_twins``), the top unit is chosen among the units the twin does not
    contain, the deciding sentence, and not the attendee list both share, which the twin's own
    units teach as harmless at the same time."""
    twins = {} if twins_from is None else _twins(
        texts, labels, [i for i in range(twins_from, len(texts)) if len(tokens(texts[i])) > SHORT])
    added = 0
    for i, text in enumerate(texts):
        enc = featurizer.encode(text, sorted(detect(text)))
        units = enc.unit_ids()
        if len(units) < 2:
            continue
        if labels[i] == "none":
            each = weights[i] * min(1.0, budget / len(units))
            rows += units
            labels += ["none"] * len(units)
            weights += [each] * len(units)
            added += len(units)
        else:
            if i in twins:
                own = _units_not_in(text, enc.units, texts[twins[i]])
                units = [units[k] for k in own] or units
            rows.append(max(units, key=lambda ids: model.verdict([ids]).p_sensitive))
            labels.append(labels[i])
            weights.append(weights[i])
            added += 1
    log(f"{len(twins)} sensitive documents matched to a harmless twin")
    log(f"refitting with {added} units of long texts as rows of their own ({len(rows)} rows)")
    return fit(rows, labels, weights, c=c)


TWIN_OVERLAP = 0.6  # Jaccard of lower-cased token sets. Of the 750 long written sensitive prompts (2026-11-29),
                    # 157 have a harmless partner at 0.6 or more; the best shares thin out between 0.4 and 0.6
                    # (37 and 24 texts per tenth), against 373 between 0.1 and 0.2: documents of one kind.


def _twins(texts: Sequence[str], labels: Sequence[str], candidates: Sequence[int]) -> dict[int, int]:
    """For each sensitive text among ``candidates``, the harmless candidate sharing the most of its
    words, where that share is at least ``TWIN_OVERLAP``."""
    words = {i: frozenset(tokens(texts[i].lower())) for i in candidates}
    harmless = [i for i in candidates if labels[i] == "none"]
    out: dict[int, int] = {}
    for i in candidates:
        if labels[i] == "none":
            continue
        best, best_share = -1, TWIN_OVERLAP
        for j in harmless:
            share = len(words[i] & words[j]) / len(words[i] | words[j])
            if share >= best_share:
                best, best_share = j, share
        if best >= 0:
            out[i] = best
    return out


def _units_not_in(text: str, units: Sequence[tuple[int, int]], twin: str) -> list[int]:
    """Indices of ``units`` (token ranges of ``text``) whose tokens do not occur, in order, in ``twin``."""
    sep = "\x00"
    toks = tokens(text)
    haystack = sep + sep.join(tokens(twin)) + sep
    return [k for k, (a, b) in enumerate(units) if sep + sep.join(toks[a:b]) + sep not in haystack]


def default_detector() -> Callable[[str], set[str]]:
    """Entity types the exact detectors find in a text (the model's ``d:`` features)."""
    from shoal.privacy.scanner import PrivacyScanner

    scanner = PrivacyScanner()
    return lambda text: {s.entity_type for s in scanner.detect_pii(text)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--data", type=Path, help="a team's labelled JSONL to add")
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="inverse L2 strength of the solver")
    parser.add_argument("--written-weight", type=float, default=WRITTEN_WEIGHT,
                        help="weight of each hand-written prompt of gen/written at the default --n (a generated "
                             "one weighs 1; scaled with --n so the written share stays the same)")
    parser.add_argument("--exclude-written", action="append", default=[], metavar="STEM",
                        help="leave out gen/written/STEM.jsonl (measure on an author the model has not seen)")
    parser.add_argument("--unit-budget", type=float, default=UNIT_BUDGET,
                        help="refit on the scanning units of long texts too; the units of one text weigh this "
                             "many texts together (0: train on whole texts only)")
    parser.add_argument("--threshold", type=float,
                        help="decision threshold to store instead of the one chosen on generated prompts "
                             "(the shipped model's: see the module docstring)")
    args = parser.parse_args(argv)
    team = read_labelled(args.data) if args.data else []
    random.seed(args.seed)
    model = train_model(team, n=args.n, seed=args.seed, c=args.c,
                        written=written_prompts(args.exclude_written), written_weight=args.written_weight,
                        unit_budget=args.unit_budget)
    if args.threshold is not None:
        model = SensitivityModel(model.weights, model.bias, threshold=args.threshold,
                                 meta={**model.meta, "threshold_from": "command line (the shipped model's: see the "
                                                                       "module docstring of shoal.privacy.train)"})
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
