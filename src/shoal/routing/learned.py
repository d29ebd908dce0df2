"""The learned router: from per-item results to "is the cheaper model good enough for this prompt?".

Method (documented in bench/router_routellm.py with its numbers):

- features: sublinear TF-IDF over word 1–2-grams of the prompt plus a few standardised difficulty
  features (length, numbers, sentences…; ``features.TfidfFeatures``);
- one logistic head per model predicting its expected score q_i(x) in 0..1 (soft labels, so
  1–10 judge scores work as well as True/False);
- ``p_ok_i(x) = (1 + q_i(x) − q_strong(x)) / 2``. For 0/1 scores, if the two models' outcomes are
  independent given the prompt, this is P(cheap beats strong) + ½·P(tie): the probability the
  cheap model is at least as good, ties counted half. Predicting both models' scores (not only
  "strong wins") also uses the items where the cheap model is right and the strong one wrong;
- routing: the cheapest model i whose ``p_ok_i ≥ threshold``, else the strongest;
- calibration: 5-fold out-of-fold predictions on the training items give a table threshold →
  (call share per model, quality); the threshold is the smallest meeting "≥ X of the strongest
  model's quality", or the largest keeping "≤ Y strong calls". The table is saved with the router,
  so a new target needs no data (``with_target``).

The router file is one ``.npz`` (arrays + a JSON header; loaded with ``allow_pickle=False``).
Scoring one prompt is a tokenisation plus a sparse dot product: tens of microseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from shoal.errors import ConfigError
from shoal.routing.config import RouterTarget
from shoal.routing.data import ItemTable
from shoal.routing.features import TfidfFeatures

FORMAT = "shoal-router/2"
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RouterChoice:
    """Which model (index into the router's cost-ordered models), with the numbers behind it."""

    index: int
    p_ok: float  # of the chosen cheaper model; of the best cheaper model when the strongest is chosen
    threshold: float
    strongest: bool

    def reason(self, name: str) -> str:
        op = "<" if self.strongest else ">="
        return f"router:p_ok={self.p_ok:.2f}{op}{self.threshold:.2f}→{name}"


@dataclass(frozen=True, slots=True)
class Calibration:
    """Out-of-fold routing outcomes per threshold (ascending)."""

    thresholds: F64
    shares: F64  # (thresholds × models) share of calls per model
    quality: F64  # mean score at each threshold
    strong_quality: float

    def threshold_for(self, target: RouterTarget) -> float:
        if target.quality is not None:
            ok = np.flatnonzero(self.quality >= target.quality * self.strong_quality - 1e-12)
            return float(self.thresholds[ok[0]]) if len(ok) else float(self.thresholds[-1])
        assert target.max_strong_share is not None
        ok = np.flatnonzero(self.shares[:, -1] <= target.max_strong_share + 1e-12)
        return float(self.thresholds[ok[-1]]) if len(ok) else float(self.thresholds[0])

    def at(self, threshold: float) -> tuple[F64, float]:
        """(shares per model, quality) at the largest tabulated threshold ≤ ``threshold``."""
        k = max(0, int(np.searchsorted(self.thresholds, threshold, side="right")) - 1)
        return self.shares[k], float(self.quality[k])


def prompt_hashes(prompts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """64-bit digests of prompts: enough to tell whether an item was in the training data, without
    keeping the (possibly confidential) text in the router file."""
    return np.array(sorted({int.from_bytes(hashlib.blake2b(p.encode("utf-8"), digest_size=8).digest(), "little")
                            for p in prompts}), dtype=np.uint64)


def _sigmoid(z: F64) -> F64:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def p_ok_from_quality(q: F64) -> F64:
    """(items × models) predicted scores → (items × cheaper models) p_ok against the strongest."""
    return (1.0 + q[:, :-1] - q[:, -1:]) / 2.0


def assign(p_ok: F64, threshold: float) -> npt.NDArray[np.int64]:
    """Model index per item: the first cheaper model with p_ok ≥ threshold, else the strongest."""
    passes = p_ok >= threshold
    first = np.argmax(passes, axis=1)
    out: npt.NDArray[np.int64] = np.where(passes.any(axis=1), first, p_ok.shape[1]).astype(np.int64)
    return out


def calibration_table(p_ok: F64, scores: F64, *, max_points: int = 2000) -> Calibration:
    values = np.unique(p_ok)
    if len(values) > max_points:
        values = np.unique(np.quantile(values, np.linspace(0.0, 1.0, max_points)))
    thresholds = np.concatenate([[0.0], values, [np.nextafter(max(1.0, float(values[-1])), np.inf)]])
    thresholds = np.unique(thresholds)
    n_models = scores.shape[1]
    shares = np.zeros((len(thresholds), n_models))
    quality = np.zeros(len(thresholds))
    rows = np.arange(len(scores))
    for k, t in enumerate(thresholds):
        chosen = assign(p_ok, float(t))
        shares[k] = np.bincount(chosen, minlength=n_models) / len(chosen)
        quality[k] = scores[rows, chosen].mean()
    return Calibration(thresholds, shares, quality, float(scores[:, -1].mean()))


def _fit_head(x: Any, y: F64, c: float) -> tuple[F64, float]:
    """Logistic regression on soft labels y in 0..1 (each item counts y as 1 and 1−y as 0)."""
    from scipy.sparse import vstack
    from sklearn.linear_model import LogisticRegression

    mean = float(y.mean())
    if mean <= 0.0 or mean >= 1.0:  # one class only: a constant is all there is to learn
        m = min(max(mean, 1e-3), 1 - 1e-3)
        return np.zeros(x.shape[1]), float(np.log(m / (1 - m)))
    pos, neg = np.flatnonzero(y > 0), np.flatnonzero(y < 1)
    xx = vstack([x[pos], x[neg]]).tocsr()
    yy = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    ww = np.concatenate([y[pos], 1.0 - y[neg]])
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(xx, yy, sample_weight=ww)
    return np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0])


class LearnedRouter:
    """Scores prompts and picks the cheapest good-enough model. Build with ``train`` or ``load``."""

    def __init__(self, models: Sequence[str], features: TfidfFeatures, coef: F32, intercept: F32,
                 calibration: Calibration, target: RouterTarget, *, info: dict[str, Any] | None = None,
                 train_hashes: npt.NDArray[np.uint64] | None = None) -> None:
        if len(models) < 2:
            raise ValueError("a router needs at least two models (cheapest first)")
        self.models = list(models)
        self.features = features
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.calibration = calibration
        self.target = target
        self.threshold = calibration.threshold_for(target)
        self.info = dict(info or {})
        self.train_hashes = train_hashes if train_hashes is not None else np.zeros(0, dtype=np.uint64)
        # Column-major copy: scoring gathers a few columns per prompt.
        self._coef_t = np.ascontiguousarray(self.coef.T)

    # --- training --------------------------------------------------------------------------------

    @classmethod
    def train(cls, table: ItemTable, *, target: RouterTarget | None = None, c: float = 1.0,
              folds: int = 5, seed: int = 0, ngram_max: int = 2, min_df: int = 2,
              max_features: int = 50_000) -> LearnedRouter:
        """Fit on ``table`` (models cheapest first) and calibrate on out-of-fold predictions."""
        target = target or RouterTarget(quality=0.95)
        n = len(table)
        if n < 2 * folds:
            raise ValueError(f"need at least {2 * folds} items to train and calibrate a router, got {n}")
        scores = table.scores
        rng = np.random.default_rng(seed)
        fold_of = rng.permutation(n) % folds
        oof = np.zeros_like(scores)
        for f in range(folds):
            tr, te = np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)
            feats = TfidfFeatures.fit([table.prompts[i] for i in tr], ngram_max=ngram_max, min_df=min_df,
                                      max_features=max_features)
            x_tr = feats.matrix([table.prompts[i] for i in tr])
            x_te = feats.matrix([table.prompts[i] for i in te])
            for m in range(scores.shape[1]):
                w, b = _fit_head(x_tr, scores[tr, m], c)
                oof[te, m] = _sigmoid(x_te @ w + b)
        calibration = calibration_table(p_ok_from_quality(oof), scores)
        feats = TfidfFeatures.fit(table.prompts, ngram_max=ngram_max, min_df=min_df, max_features=max_features)
        x = feats.matrix(table.prompts)
        heads = [_fit_head(x, scores[:, m], c) for m in range(scores.shape[1])]
        coef = np.stack([w for w, _ in heads]).astype(np.float32)
        intercept = np.array([b for _, b in heads], dtype=np.float32)
        info = {"items": n, "features": f"tfidf-word-1-{ngram_max}+difficulty", "vocabulary": feats.size, "C": c,
                "folds": folds, "seed": seed, "binary_scores": table.binary,
                "mean_scores": {m: float(scores[:, i].mean()) for i, m in enumerate(table.models)}}
        return cls(table.models, feats, coef, intercept, calibration, target, info=info,
                   train_hashes=prompt_hashes(table.prompts))

    # --- scoring ---------------------------------------------------------------------------------

    def quality(self, prompt: str) -> F64:
        """Predicted score of every model on this prompt (0..1)."""
        idx, val = self.features.vector(prompt)
        z = self.intercept.astype(np.float64) + (val @ self._coef_t[idx] if len(idx) else 0.0)
        return _sigmoid(np.asarray(z, dtype=np.float64))

    def p_ok_all(self, prompt: str) -> F64:
        """p_ok of each cheaper model against the strongest, cheapest first."""
        row: F64 = p_ok_from_quality(self.quality(prompt)[None, :])[0]
        return row

    def p_ok(self, prompt: str) -> float:
        """Probability the cheapest model is good enough (at least as good as the strongest)."""
        return float(self.p_ok_all(prompt)[0])

    def p_ok_batch(self, prompts: Sequence[str]) -> F64:
        """(prompts × cheaper models) p_ok."""
        return np.stack([self.p_ok_all(p) for p in prompts]) if prompts else np.zeros((0, len(self.models) - 1))

    def choose(self, prompt: str) -> RouterChoice:
        p = self.p_ok_all(prompt)
        passing = np.flatnonzero(p >= self.threshold)
        if len(passing):
            i = int(passing[0])
            return RouterChoice(i, float(p[i]), self.threshold, strongest=False)
        return RouterChoice(len(self.models) - 1, float(p.max()), self.threshold, strongest=True)

    def with_target(self, target: RouterTarget) -> LearnedRouter:
        """The same router re-calibrated to another target (from the saved table; no data needed)."""
        clone = LearnedRouter.__new__(LearnedRouter)
        for k, v in vars(self).items():
            setattr(clone, k, v)
        clone.target = target
        clone.threshold = self.calibration.threshold_for(target)
        return clone

    def seen_in_training(self, prompts: Sequence[str]) -> int:
        """How many of ``prompts`` were training items (their metrics would be optimistic)."""
        if not len(self.train_hashes) or not prompts:
            return 0
        return int(np.isin(prompt_hashes(prompts), self.train_hashes).sum())

    def expected(self) -> dict[str, Any]:
        """Call shares and quality the calibration data predicts at the current threshold."""
        shares, quality = self.calibration.at(self.threshold)
        return {"threshold": self.threshold, "quality": quality,
                "quality_vs_strongest": quality / self.calibration.strong_quality
                if self.calibration.strong_quality else None,
                "shares": {m: float(s) for m, s in zip(self.models, shares, strict=True)}}

    # --- storage ---------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "models": self.models, "ngram_max": self.features.ngram_max,
                "target": self.target.model_dump(exclude_none=True), "threshold": self.threshold,
                "strong_quality": self.calibration.strong_quality, "info": self.info}
        with path.open("wb") as fh:
            np.savez_compressed(
                fh, meta=np.array(json.dumps(meta)), vocabulary=self.features.vocabulary_bytes(),
                idf=self.features.idf, dense_mean=self.features.dense_mean, dense_std=self.features.dense_std,
                coef=self.coef,
                intercept=self.intercept, cal_thresholds=self.calibration.thresholds,
                cal_shares=self.calibration.shares, cal_quality=self.calibration.quality,
                train_hashes=self.train_hashes)
        return path

    @classmethod
    def load(cls, path: str | Path) -> LearnedRouter:
        path = Path(path)
        hint = "train one with `shoal router train --data FILE --weak A --strong B --out FILE`"
        if not path.is_file():
            raise ConfigError("router file not found", file=str(path), hint=hint)
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("format") != FORMAT:
                    raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
                features = TfidfFeatures(TfidfFeatures.vocabulary_from_bytes(z["vocabulary"]), z["idf"],
                                         ngram_max=int(meta["ngram_max"]), dense_mean=z["dense_mean"],
                                         dense_std=z["dense_std"])
                calibration = Calibration(z["cal_thresholds"], z["cal_shares"], z["cal_quality"],
                                          float(meta["strong_quality"]))
                coef, intercept, hashes = z["coef"], z["intercept"], z["train_hashes"]
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
            raise ConfigError(f"not a usable router file: {exc}", file=str(path), hint=hint) from None
        if coef.shape != (len(meta["models"]), features.size):
            raise ConfigError(f"router file is inconsistent: weights {coef.shape} for "
                              f"{len(meta['models'])} models and {features.size} terms", file=str(path), hint=hint)
        return cls(meta["models"], features, coef, intercept, calibration, RouterTarget(**meta["target"]),
                   info=meta.get("info"), train_hashes=hashes)

    def __repr__(self) -> str:
        return (f"<LearnedRouter {' < '.join(self.models)} threshold={self.threshold:.3f} "
                f"target={self.target.model_dump(exclude_none=True)}>")
