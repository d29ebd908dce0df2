"""The learned sensitivity model: a softmax regression over hashed n-grams (``shoal.privacy.features``).

Classes: ``none``, ``personal`` (personal data about an identifiable private person), ``secret``
(a credential or secret) and ``business`` (confidential business information). A text is sensitive
when, in any of its windows, ``1 - P(none)`` reaches the model's threshold. Inference is numpy only:
a gather and a sum over the window's feature ids. The weights ship as ``data/sensitivity.npz``
(float16, a few MB); ``shoal privacy train`` writes an adapted copy where the config says.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from shoal.errors import ConfigError
from shoal.privacy._native import compiled
from shoal.privacy.features import BUCKETS, Encoded

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

CLASSES: tuple[str, ...] = ("none", "personal", "secret", "business")
SHIPPED = "sensitivity.npz"
FORMAT_VERSION = 5  # 5: pet names' shape (4: public-name shapes and template blanks; 3: a feature once per WINDOW tokens)


def write_atomically(path: Path, data: bytes) -> None:
    """Write a model file so that a reader (or a crash) never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


@dataclass(frozen=True)
class Verdict:
    """The model's answer for one text: the best window's probability of being sensitive and its class."""

    p_sensitive: float
    category: str  # the most likely sensitive class in that window


class SensitivityModel:
    """Weights (BUCKETS × classes), bias per class, and the decision threshold."""

    def __init__(self, weights: npt.NDArray[np.float32], bias: npt.NDArray[np.float32], *, threshold: float,
                 classes: tuple[str, ...] = CLASSES, meta: dict[str, object] | None = None) -> None:
        if weights.shape != (BUCKETS, len(classes)) or bias.shape != (len(classes),):
            raise ValueError(f"weights {weights.shape} / bias {bias.shape} do not fit {BUCKETS} × {len(classes)}")
        if classes[0] != "none":
            raise ValueError("the first class must be 'none'")
        self.weights = weights
        self.bias = bias
        self._bias = [float(b) for b in bias]
        self.threshold = threshold
        self.classes = classes
        self.meta = dict(meta or {})

    def verdict(self, units: list[list[int]]) -> Verdict:
        """Score every unit given as its feature ids (``Featurizer.windows``); the most sensitive decides."""
        import numpy as np

        best: Verdict | None = None
        for ids in units:
            arr = np.asarray(ids, dtype=np.int64)
            sums = self.weights[arr].sum(axis=0, dtype=np.float64)
            v = self._decide(sums[None, :], np.asarray([len(ids)]))
            if best is None or v.p_sensitive > best.p_sensitive:
                best = v
        return best or Verdict(0.0, self.classes[1])

    def score(self, enc: Encoded) -> Verdict:
        """``verdict`` of an encoded text, all units at once: one gather of every feature's weights,
        one sum per stretch between two unit boundaries, and each unit's total as a difference of
        running sums over those stretches; compiled (``shoal.privacy._unitscore``) where it was built."""
        if not enc.units:
            return Verdict(0.0, self.classes[1])
        if _score_units is not None:
            p, best = _score_units(enc.ids, enc.starts, enc.units, enc.global_ids, self._weights32, self._bias)
            return Verdict(p, self.classes[best])
        import numpy as np

        if len(enc.units) == 1:  # a short text: one sum, no running sums (numpy calls cost more than the data)
            (a, b), = enc.units
            ids = enc.ids[enc.starts[a]:enc.starts[b]] + enc.global_ids
            total = self.weights.take(np.asarray(ids, dtype=np.int64), axis=0).sum(axis=0, dtype=np.float64)
            return self._decide_one(total.tolist(), len(ids))
        # ``fromiter`` with the count converts a list of ints a third faster than ``asarray``.
        ids_arr = np.fromiter(enc.ids, dtype=np.int64, count=len(enc.ids))
        glob = self.weights[np.asarray(enc.global_ids, dtype=np.int64)].sum(axis=0, dtype=np.float64)
        starts = np.asarray(enc.starts, dtype=np.int64)
        a = starts[np.asarray([u[0] for u in enc.units])]
        b = starts[np.asarray([u[1] for u in enc.units])]
        # Sums only between unit boundaries (``reduceat``), not a running sum over every feature
        # (``cumsum`` along rows was most of the scoring time). Loaded weights are float16 values, so
        # every float64 sum here is exact and the order of additions changes nothing (a model fresh
        # from training, in float32, agrees with the running sums to rounding).
        bounds = np.unique(np.concatenate([a, b]))
        inner = bounds[bounds < len(ids_arr)]  # each stretch runs from one inner boundary to the next (or the end)
        running = np.zeros((len(inner) + 1, len(self.classes)))
        if len(inner):
            rows = self.weights.take(ids_arr, axis=0)
            np.cumsum(np.add.reduceat(rows, inner, axis=0, dtype=np.float64), axis=0, out=running[1:])
        sums = running[np.searchsorted(inner, b)] - running[np.searchsorted(inner, a)] + glob
        return self._decide(sums, (b - a) + len(enc.global_ids))

    @cached_property
    def _weights32(self) -> npt.NDArray[np.float32]:
        """The weights as one C-contiguous float32 block, for the compiled scorer."""
        import numpy as np

        return np.ascontiguousarray(self.weights, dtype=np.float32)

    def _decide_one(self, sums: list[float], count: int) -> Verdict:
        """``_decide`` for one unit, in plain floats: numpy's per-call cost is most of a short text's."""
        scale = math.sqrt(max(count, 1))
        logits = [s / scale + b for s, b in zip(sums, self._bias, strict=True)]
        top = max(logits)
        p = [math.exp(x - top) for x in logits]
        total = sum(p)
        p = [x / total for x in p]
        best = max(range(1, len(p)), key=p.__getitem__)  # the first most likely sensitive class
        return Verdict(max(1.0 - p[0], 0.0), self.classes[best])

    def _decide(self, sums: npt.NDArray[np.float64], counts: npt.NDArray[np.int64]) -> Verdict:
        import numpy as np

        logits = sums / np.sqrt(np.maximum(counts, 1))[:, None] + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        sens = 1.0 - p[:, 0]
        best = int(np.argmax(sens))
        category = self.classes[1 + int(np.argmax(p[best, 1:]))]
        return Verdict(max(float(sens[best]), 0.0), category)

    def to_bytes(self) -> bytes:
        import numpy as np

        buf = BytesIO()
        meta = {**self.meta, "classes": list(self.classes), "threshold": self.threshold, "buckets": BUCKETS,
                "format": FORMAT_VERSION}
        np.savez_compressed(buf, weights=self.weights.astype(np.float16), bias=self.bias.astype(np.float32),
                            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
        return buf.getvalue()

    def save(self, path: Path) -> None:
        write_atomically(path, self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str) -> SensitivityModel:
        import numpy as np

        try:
            with np.load(BytesIO(data), allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                weights = z["weights"].astype(np.float32)
                bias = z["bias"].astype(np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"the sensitivity model {source} cannot be read ({exc})",
                              hint="retrain it with `shoal privacy train --data FILE`") from exc
        if meta.get("format") != FORMAT_VERSION or meta.get("buckets") != BUCKETS:
            raise ConfigError(f"the sensitivity model {source} was written by another version of Shoal",
                              hint="retrain it with `shoal privacy train --data FILE`")
        return cls(weights, bias, threshold=float(meta["threshold"]), classes=tuple(meta["classes"]), meta=meta)


_score_units: Callable[..., tuple[float, int]] | None = compiled("_unitscore", "score_units")  # else numpy


def load_model(path: Path | None = None) -> SensitivityModel:
    """The model at ``path`` (written by ``shoal privacy train``), or the shipped one."""
    if path is not None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"the sensitivity model file cannot be read ({exc.strerror})",
                              key="privacy.model.path",
                              hint="train one with `shoal privacy train --data FILE` or remove the setting") from exc
        return SensitivityModel.from_bytes(data, source=str(path))
    data = resources.files("shoal.privacy").joinpath("data", SHIPPED).read_bytes()
    return SensitivityModel.from_bytes(data, source="(shipped)")
