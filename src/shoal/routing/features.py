"""Text features for the learned router, with a scorer that needs only numpy.

Two groups: sublinear TF-IDF over word n-grams (what the prompt is about), and a few "difficulty"
features (length, how many numbers and how long they are, sentences, percentages, fractions or
decimals) standardised on the training prompts. The second group is what lets the router tell hard
GSM8K word problems from easy ones, where the vocabulary alone is close to random.

Fitting builds the vocabulary, inverse document frequencies and the standardisation; ``vector``
turns one prompt into sparse (indices, values) in tens of microseconds, so routing a request costs
well under a millisecond. Everything is plain arrays, saved in the router file (no pickle).
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
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
FRACTION_OR_DECIMAL = re.compile(r"\d/\d|\d\.\d")
DIFFICULTY = ("log_chars", "numbers", "log_words", "sentence_marks", "has_percent", "has_fraction_or_decimal",
              "longest_number", "distinct_numbers")
DENSE_WEIGHT = 0.3  # standardised features are scaled down to sit beside the unit-norm TF-IDF part
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def ngrams(text: str, n_max: int) -> list[str]:
    """Lower-cased word tokens (two or more word characters) and their n-grams up to ``n_max``."""
    tokens = TOKEN.findall(text.lower())
    out = list(tokens)
    for n in range(2, n_max + 1):
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def difficulty(text: str) -> npt.NDArray[np.float64]:
    """The raw difficulty features of one prompt, in the order of ``DIFFICULTY``."""
    numbers = NUMBER.findall(text)
    return np.array([
        math.log1p(len(text)), len(numbers), math.log1p(len(text.split())), text.count(".") + text.count("?"),
        "%" in text, FRACTION_OR_DECIMAL.search(text) is not None, max((len(n) for n in numbers), default=0),
        len(set(numbers))], dtype=np.float64)


class TfidfFeatures:
    """Sublinear TF-IDF over word n-grams (L2-normalised per text), then the standardised difficulty
    features as the last ``len(DIFFICULTY)`` columns."""

    def __init__(self, vocabulary: Sequence[str], idf: FloatArray, *, ngram_max: int = 2,
                 dense_mean: FloatArray | None = None, dense_std: FloatArray | None = None) -> None:
        if len(vocabulary) != len(idf):
            raise ValueError(f"vocabulary has {len(vocabulary)} terms but idf has {len(idf)}")
        self.terms = list(vocabulary)
        self.index: dict[str, int] = {t: i for i, t in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.ngram_max = ngram_max
        k = len(DIFFICULTY)
        self.dense_mean = np.zeros(k, np.float32) if dense_mean is None else np.asarray(dense_mean, np.float32)
        self.dense_std = np.ones(k, np.float32) if dense_std is None else np.asarray(dense_std, np.float32)
        if self.dense_mean.shape != (k,) or self.dense_std.shape != (k,):
            raise ValueError(f"difficulty standardisation needs {k} means and deviations")
        self._dense_idx = np.arange(len(self.terms), len(self.terms) + k, dtype=np.int64)

    @property
    def size(self) -> int:
        """Number of columns: vocabulary terms plus difficulty features."""
        return len(self.terms) + len(DIFFICULTY)

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
        raw = np.stack([difficulty(t) for t in texts]) if len(texts) else np.zeros((1, len(DIFFICULTY)))
        return cls([t for t, _ in kept], idf, ngram_max=ngram_max, dense_mean=raw.mean(axis=0).astype(np.float32),
                   dense_std=(raw.std(axis=0) + 1e-9).astype(np.float32))

    def vector(self, text: str) -> tuple[IntArray, FloatArray]:
        """Sparse features of one text: column indices and L2-normalised weights."""
        counts: Counter[int] = Counter()
        index = self.index
        for g in ngrams(text, self.ngram_max):
            j = index.get(g)
            if j is not None:
                counts[j] += 1
        dense = ((difficulty(text) - self.dense_mean) / self.dense_std * DENSE_WEIGHT).astype(np.float32)
        if not counts:
            return self._dense_idx, dense
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        w = (1.0 + np.log(tf)) * self.idf[idx]
        norm = float(np.sqrt(np.dot(w, w)))
        return np.concatenate([idx, self._dense_idx]), np.concatenate([(w / norm).astype(np.float32), dense])

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
