"""RouteLLM-style metrics of a two-model router on per-item results.

A router ranks items by ``p_ok`` (probability the cheap model is good enough); sending the
lowest-``p_ok`` items to the strong model traces a curve from "all weak" to "all strong":

- quality(x): mean score when a share x of calls goes to the strong model;
- PGR(x) = (quality(x) − weak) / (strong − weak): performance gap recovered;
- APGR: area under PGR over x in [0, 1] (random routing gives 0.5);
- CPT(p): the smallest strong-call share reaching PGR ≥ p;
- strong share / cost saving at a quality target (e.g. 95 % of the strong model's quality).

Items with equal ``p_ok`` cannot be told apart by a threshold, so the curve has points only at
the edges of tied groups and is linear between them (the expectation under random tie-breaking).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Curve:
    shares: Array  # strong-call share at each point, 0 … 1
    quality: Array  # mean score at each point
    weak: float
    strong: float

    @property
    def pgr(self) -> Array:
        gap = self.strong - self.weak
        if gap == 0:
            return np.full_like(self.quality, np.nan)
        return (self.quality - self.weak) / gap


def routing_curve(p_ok: Array, weak: Array, strong: Array) -> Curve:
    """The cost–quality curve of routing by ``p_ok`` (low values go to the strong model first)."""
    p = np.asarray(p_ok, dtype=np.float64)
    w = np.asarray(weak, dtype=np.float64)
    s = np.asarray(strong, dtype=np.float64)
    n = len(p)
    if n == 0 or len(w) != n or len(s) != n:
        raise ValueError(f"need equal, non-empty arrays (got {len(p)}, {len(w)}, {len(s)})")
    order = np.argsort(p, kind="stable")
    gain = (s - w)[order]
    cum = np.concatenate([[0.0], np.cumsum(gain)])
    sorted_p = p[order]
    # Curve points: before the first item and after the last item of each tied group.
    edges = np.concatenate([[0], np.flatnonzero(np.diff(sorted_p) != 0) + 1, [n]])
    shares = edges / n
    quality = w.mean() + cum[edges] / n
    return Curve(shares=shares, quality=quality, weak=float(w.mean()), strong=float(s.mean()))


def apgr(curve: Curve) -> float:
    return float(np.trapezoid(curve.pgr, curve.shares))


def _first_share(shares: Array, values: Array, level: float) -> float | None:
    """Smallest share where the piecewise-linear ``values`` reach ``level``; None if never."""
    hit = np.flatnonzero(values >= level - 1e-12)
    if len(hit) == 0:
        return None
    k = int(hit[0])
    if k == 0:
        return float(shares[0])
    x0, x1, y0, y1 = shares[k - 1], shares[k], values[k - 1], values[k]
    return float(x0 + (x1 - x0) * (level - y0) / (y1 - y0)) if y1 != y0 else float(x1)


def cpt(curve: Curve, level: float) -> float | None:
    """Call-performance threshold: strong-call share needed for PGR ≥ ``level``."""
    return _first_share(curve.shares, curve.pgr, level)


def share_at_quality(curve: Curve, fraction: float) -> float | None:
    """Strong-call share needed for quality ≥ ``fraction`` × the strong model's quality."""
    return _first_share(curve.shares, curve.quality, fraction * curve.strong)


def cost_saving(share: float | None, cost_ratio: float = 0.0) -> float | None:
    """Saving against sending everything to the strong model; ``cost_ratio`` = weak cost / strong cost
    per call (0 counts only strong calls, as RouteLLM does)."""
    if share is None:
        return None
    return (1.0 - share) * (1.0 - cost_ratio)


@dataclass(frozen=True, slots=True)
class Metrics:
    n: int
    weak_quality: float
    strong_quality: float
    apgr: float
    cpt50: float | None
    cpt80: float | None
    quality_target: float
    strong_share_at_target: float | None
    saving_at_target: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def summarize(p_ok: Array, weak: Array, strong: Array, *, quality_target: float = 0.95,
              cost_ratio: float = 0.0) -> Metrics:
    curve = routing_curve(p_ok, weak, strong)
    share = share_at_quality(curve, quality_target)
    return Metrics(n=len(p_ok), weak_quality=curve.weak, strong_quality=curve.strong, apgr=apgr(curve),
                   cpt50=cpt(curve, 0.5), cpt80=cpt(curve, 0.8), quality_target=quality_target,
                   strong_share_at_target=share, saving_at_target=cost_saving(share, cost_ratio))


def random_p_ok(n: int) -> Array:
    """Random routing in expectation: one tie group, so the curve is the straight line."""
    return np.zeros(n, dtype=np.float64)


def oracle_p_ok(weak: Array, strong: Array) -> Array:
    """What a router that knew the answers would score (strong-only wins first)."""
    return (1.0 + np.asarray(weak, dtype=np.float64) - np.asarray(strong, dtype=np.float64)) / 2.0
