"""Weighted reciprocal rank fusion, shared by every store so hybrid ranking is identical."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def rrf(rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float], k: int) -> list[tuple[str, float]]:
    """Fuse ranked id lists: ``score(id) = Σ_ranker weight / (k + rank)`` with rank starting at 1.

    Ties are broken by the best single rank, then by id, so results are deterministic.
    """
    scores: dict[str, float] = {}
    best: dict[str, int] = {}
    for name, ids in rankings.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        for rank, item in enumerate(ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            best[item] = min(best.get(item, rank), rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], best[kv[0]], kv[0]))
