"""TF-IDF text features for the learned router, with a scorer that needs only numpy.

Fitting builds the vocabulary and inverse document frequencies; ``vector`` turns one prompt into
sparse (indices, values) in tens of microseconds, so routing a request costs well under a
millisecond. The vocabulary and idf are plain arrays, saved in the router file (no pickle).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

TOKEN = re.compile(r"(?u)\b\w\w+\b")
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def ngrams(text: str, n_max: int) -> list[str]:
    """Lower-cased word tokens (two or more word characters) and their n-grams up to ``n_max``."""
    tokens = TOKEN.findall(text.lower())
    out = list(tokens)
    for n in range(2, n_max + 1):
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


class TfidfFeatures:
    """Sublinear TF-IDF over word n-grams, L2-normalised per text."""

    def __init__(self, vocabulary: Sequence[str], idf: FloatArray, *, ngram_max: int = 2) -> None:
        if len(vocabulary) != len(idf):
            raise ValueError(f"vocabulary has {len(vocabulary)} terms but idf has {len(idf)}")
        self.terms = list(vocabulary)
        self.index: dict[str, int] = {t: i for i, t in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.ngram_max = ngram_max

    @property
    def size(self) -> int:
        return len(self.terms)

    @classmethod
    def fit(cls, texts: Sequence[str], *, ngram_max: int = 2, min_df: int = 2,
            max_features: int = 50_000) -> TfidfFeatures:
        """Keep the ``max_features`` most frequent terms seen in at least ``min_df`` texts."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(ngrams(text, ngram_max)))
        kept = [(t, c) for t, c in df.items() if c >= min_df]
        kept.sort(key=lambda tc: (-tc[1], tc[0]))  # deterministic order
        kept = kept[:max_features]
        n = len(texts)
        # Smoothed idf (as if one extra text held every term) so no weight is zero or infinite.
        idf = np.array([math.log((1 + n) / (1 + c)) + 1.0 for _, c in kept], dtype=np.float32)
        return cls([t for t, _ in kept], idf, ngram_max=ngram_max)

    def vector(self, text: str) -> tuple[IntArray, FloatArray]:
        """Sparse features of one text: column indices and L2-normalised weights."""
        counts: Counter[int] = Counter()
        index = self.index
        for g in ngrams(text, self.ngram_max):
            j = index.get(g)
            if j is not None:
                counts[j] += 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        w = (1.0 + np.log(tf)) * self.idf[idx]
        norm = float(np.sqrt(np.dot(w, w)))
        return idx, (w / norm).astype(np.float32)

    def matrix(self, texts: Sequence[str]) -> csr_matrix:
        """All texts as a sparse matrix (training only; needs scipy)."""
        from scipy.sparse import csr_matrix

        indptr = [0]
        indices: list[Any] = []
        values: list[Any] = []
        for text in texts:
            idx, val = self.vector(text)
            indices.append(idx)
            values.append(val)
            indptr.append(indptr[-1] + len(idx))
        data = np.concatenate(values) if values else np.zeros(0, dtype=np.float32)
        cols = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
        return csr_matrix((data, cols, np.array(indptr)), shape=(len(texts), self.size))

    # --- storage ---------------------------------------------------------------------------------

    def vocabulary_bytes(self) -> npt.NDArray[np.uint8]:
        # Terms are \w runs joined by spaces, so a newline can never be part of one.
        return np.frombuffer("\n".join(self.terms).encode("utf-8"), dtype=np.uint8)

    @staticmethod
    def vocabulary_from_bytes(raw: npt.NDArray[np.uint8]) -> list[str]:
        text = raw.tobytes().decode("utf-8")
        return text.split("\n") if text else []
