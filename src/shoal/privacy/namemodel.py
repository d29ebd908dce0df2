"""How much a single word *looks like* a person's name: a character n-gram logistic model.

The gazetteer knows ~54k names, but people are called many things it has never seen
("Roeterdink", "Umkhayev"). Names share spelling patterns (endings such as -ova, -enko, -sson,
-ini, -ez; letter pairs rare in English) that a linear model over character n-grams learns from the
gazetteer itself. Negatives are English and other frequent words and place names, so the model
separates "looks like a surname" from "looks like a word or a town".

Training is offline (``python -m shoal.privacy.build_data names``), deterministic (``shoal.privacy.linear``),
and the weights ship as ``data/name_model.txt.gz``: one ``ngram<TAB>weight`` per line. Scoring a
word is a few dozen dictionary lookups, microseconds, in plain Python.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

NAME_MODEL_FILE = "name_model.txt.gz"
_ORDERS = (2, 3, 4, 5)


def ngram_features(word: str) -> dict[str, float]:
    """Character n-grams of ``^word$`` (lower case), each weighted 1/sqrt(count) so long words do not
    dominate, plus a coarse length bucket."""
    padded = f"^{word.lower()}$"
    grams: dict[str, float] = {}
    for n in _ORDERS:
        for i in range(len(padded) - n + 1):
            grams[padded[i:i + n]] = 1.0
    if not grams:
        return {}
    norm = 1.0 / math.sqrt(len(grams))
    feats = {g: norm for g in grams}
    feats[f"#len{min(len(word), 12)}"] = 1.0
    return feats


@dataclass(frozen=True)
class NameModel:
    """Logistic weights per n-gram; ``probability`` is P(word is a person's name)."""

    weights: Mapping[str, float]
    bias: float

    def probability(self, word: str) -> float:
        w = self.weights
        z = self.bias + sum(v * w.get(g, 0.0) for g, v in ngram_features(word).items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_bytes(self, header: str) -> bytes:
        lines = [f"# {header}", f"#bias\t{self.bias:.5g}"]
        lines.extend(f"{g}\t{v:.4g}" for g, v in sorted(self.weights.items()) if abs(v) >= 1e-3)
        return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)

    @classmethod
    def from_bytes(cls, data: bytes) -> NameModel:
        weights: dict[str, float] = {}
        bias = 0.0
        for line in gzip.decompress(data).decode("utf-8").split("\n"):
            if not line or line.startswith("# "):
                continue
            gram, _, value = line.rpartition("\t")
            if gram == "#bias":
                bias = float(value)
            else:
                weights[gram] = float(value)
        return cls(weights, bias)


def train_name_model(names: Iterable[str], others: Iterable[str], *, steps: int = 150,
                     min_count: int = 3) -> NameModel:
    """Fit the model on lower-case ``names`` (positives) and ordinary words (negatives), classes
    weighted equally; words in both lists are dropped (they are ambiguous, not evidence). N-grams
    seen in fewer than ``min_count`` training words are dropped: they memorise words rather than
    generalise, and they would make the shipped file ten times larger."""
    from collections import Counter

    from shoal.privacy.linear import train

    pos, neg = set(names), set(others)
    both = pos & neg
    words = sorted(pos - both) + sorted(neg - both)
    labels = ["name"] * len(pos - both) + ["other"] * len(neg - both)
    share = {lbl: len(labels) / (2 * labels.count(lbl)) for lbl in ("name", "other")}
    feats = [ngram_features(w) for w in words]
    counts = Counter(g for f in feats for g in f)
    feats = [{g: v for g, v in f.items() if counts[g] >= min_count} for f in feats]
    model = train(feats, labels, l2=1e-5, steps=steps, learning_rate=0.1, class_weight=share)
    k = model.classes.index("name")
    o = 1 - k
    weights = {g: model.weights[i * 2 + k] - model.weights[i * 2 + o] for g, i in model.vocab.items()}
    return NameModel(weights, model.bias[k] - model.bias[o])


@lru_cache(maxsize=1)
def load_name_model() -> NameModel:
    """The shipped model (read once per process)."""
    return NameModel.from_bytes(resources.files("shoal.privacy").joinpath("data", NAME_MODEL_FILE).read_bytes())
