"""The semantic second stage of the sensitivity model: a small head on static MiniLM token vectors.

The linear model (``shoal.privacy.model``) reads hashed n-grams: it knows the frames it was trained
on, and a new way of writing a sensitive request slips past it (``bench/privacy_holdout.py``). Word
vectors carry meaning across wordings: "chemotherapy" sits near "diagnosis", a surname near other
surnames. The stage represents a text by the normalised sum of *static* vectors of its word pieces,
distilled from all-MiniLM-L6-v2 (Model2Vec-style, ``shoal.privacy.semantic_train``): every vocabulary
piece is run through the transformer alone ("[CLS] piece [SEP]", mean-pooled), the outputs are
reduced to ``DIMS`` dimensions by PCA and weighted by a Zipf frequency prior (frequent pieces such
as "the" weigh little). A small head (one ReLU layer, ``semantic_train.HIDDEN`` units, then a
logistic output) reads that vector; a stacker — logistic on [linear logit,
head logit], fitted on predictions for generator families held out of each model's training —
combines the two.

Why static vectors and not the transformer: a MiniLM forward pass over a 64-token window is
~10-30 ms of CPU, and with it the gateway served 0.15x the requests per second of a scan without it.
The static stage is a table lookup and a sum (~0.1 ms for a short prompt, ~0.5 ms for 8 KB), and on
held-out generator families it keeps most of MiniLM's gain (``bench/privacy_static.py``).

Files (``data/``): ``static_minilm.npz`` — the vocabulary and its vectors (int8, one scale per
piece; ~3.5 MB), self-contained: scanning needs numpy only, not the MiniLM package, which only the
training command reads; ``semantic_head.npz`` — the head and the stacker (a few KB). A long text is
read in windows of ``WINDOW_TOKENS`` pieces (half-overlapping); the most sensitive window decides.
The stage runs only when the linear probability lies in ``band``. When the table cannot be read the
scan is the linear model alone, and says so once in the log.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoal.errors import ConfigError
from shoal.privacy.model import write_atomically

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from shoal.privacy.wordpiece import WordPiece

log = logging.getLogger(__name__)

SHIPPED = "semantic_head.npz"
TABLE = "static_minilm.npz"
ENCODER = "minilm-static"
WINDOW_TOKENS = 64  # word pieces per window of a long text (as the linear model's frames are short)
FORMAT_VERSION = 2
TABLE_FORMAT = 1
RETRAIN = "python -m shoal.privacy.semantic_train --distill --out src/shoal/privacy/data/semantic_head.npz"


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


class StaticEncoder:
    """Word pieces → static vectors → one unit vector per window of a text."""

    def __init__(self, tokens: list[str], vectors: npt.NDArray[np.float32], meta: dict[str, object] | None = None) -> None:
        from shoal.privacy.wordpiece import WordPiece

        if len(tokens) != len(vectors):
            raise ValueError(f"{len(tokens)} vocabulary pieces but {len(vectors)} vectors")
        self.tokens = list(tokens)
        self.tokenizer: WordPiece = WordPiece(tokens)
        self.vectors = vectors
        self.meta = meta or {}

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    def embed(self, text: str, window: int = WINDOW_TOKENS) -> npt.NDArray[np.float32]:
        """Unit vectors (rows) of ``text``: one for a text of at most ``window`` pieces, else one per
        window of ``window`` pieces, half-overlapping, the last one ending at the text's end. A text
        without pieces is one zero row."""
        import numpy as np

        rows = self.vectors[self.tokenizer.ids(text)]
        n = len(rows)
        if n <= window:
            sums = rows.sum(0, keepdims=True)
        else:
            # Sums of half-window blocks (a reshape and one contiguous sum: a running sum down the
            # rows is 3x slower), two neighbours per window, and one more window ending at the end.
            half = window // 2
            full = n // half
            blocks = rows[:full * half].reshape(full, half, rows.shape[1]).sum(1)
            sums = np.concatenate([blocks[:-1] + blocks[1:], rows[n - window:].sum(0, keepdims=True)])
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return np.asarray(sums / np.maximum(norms, 1e-9), dtype=np.float32)

    def to_bytes(self) -> bytes:
        """int8 vectors with one float32 scale per piece (a quarter of float32's size; cosine to the
        float vectors ≥ 0.999), the vocabulary as newline-joined text."""
        import numpy as np

        scale = np.abs(self.vectors).max(1) / 127.0
        q = np.round(self.vectors / np.maximum(scale, 1e-12)[:, None]).astype(np.int8)
        meta = {**self.meta, "format": TABLE_FORMAT, "encoder": ENCODER}
        buf = BytesIO()
        np.savez_compressed(buf, q=q, scale=scale.astype(np.float32),
                            vocab=np.frombuffer("\n".join(self.tokens).encode("utf-8"), dtype=np.uint8),
                            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
        return buf.getvalue()

    def save(self, path: Path) -> None:
        write_atomically(path, self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str) -> StaticEncoder:
        import numpy as np

        try:
            with np.load(BytesIO(data), allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                if meta.get("format") != TABLE_FORMAT:
                    raise ValueError("written by another version of Shoal")
                tokens = bytes(z["vocab"]).decode("utf-8").split("\n")
                vectors = z["q"].astype(np.float32) * z["scale"].astype(np.float32)[:, None]
            return cls(tokens, vectors, meta)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"the static token vectors {source} cannot be read ({exc})",
                              hint=f"rebuild them with `{RETRAIN}`") from exc


@dataclass(frozen=True)
class SemanticHead:
    """The head — an optional ReLU hidden layer (weights, biases), then output weights and bias —
    the stacker and the band it is used in."""

    coef: npt.NDArray[np.float32]
    bias: float
    stack: tuple[float, float, float]  # linear-logit weight, head-logit weight, bias
    band: tuple[float, float] = (0.1, 0.5)
    threshold: float = 0.3  # on the stacked probability
    meta: dict[str, object] = field(default_factory=dict)
    hidden: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None

    @property
    def input_dims(self) -> int:
        """The vector dimensions the head reads."""
        return int(self.hidden[0].shape[0] if self.hidden is not None else self.coef.shape[0])

    def head_logit(self, vectors: npt.NDArray[np.float32]) -> float:
        """The head's logit for a text given its windows' vectors: the most sensitive window's."""
        import numpy as np

        if self.hidden is not None:
            vectors = np.maximum(vectors @ self.hidden[0] + self.hidden[1], np.float32(0.0))
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
        arrays: dict[str, Any] = {"coef": self.coef.astype(np.float32),
                                  "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
        if self.hidden is not None:
            arrays.update(w1=self.hidden[0].astype(np.float32), b1=self.hidden[1].astype(np.float32))
        np.savez_compressed(buf, **arrays)
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
                hidden = (z["w1"].astype(np.float32), z["b1"].astype(np.float32)) if "w1" in z.files else None
            if hidden is not None and (hidden[0].shape[1:] != coef.shape or hidden[1].shape != coef.shape):
                raise ValueError("its hidden layer does not fit its output weights")
            stack = tuple(float(x) for x in meta["stack"])
            band = tuple(float(x) for x in meta["band"])
            if meta.get("format") != FORMAT_VERSION or len(stack) != 3 or len(band) != 2:
                raise ValueError("written by another version of Shoal")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"the semantic head {source} cannot be read ({exc})",
                              hint=f"retrain it with `{RETRAIN}`") from exc
        return cls(coef, float(meta["bias"]), (stack[0], stack[1], stack[2]), (band[0], band[1]),
                   float(meta["threshold"]), meta=meta, hidden=hidden)


def load_head() -> SemanticHead:
    """The shipped head (``data/semantic_head.npz``)."""
    data = resources.files("shoal.privacy").joinpath("data", SHIPPED).read_bytes()
    return SemanticHead.from_bytes(data, source="(shipped)")


_ENCODERS: dict[str, StaticEncoder] = {}


def load_encoder(path: Path | None = None) -> StaticEncoder | None:
    """The static token vectors at ``path`` (default: the shipped ``data/static_minilm.npz``; read
    once per process), or ``None`` with a warning when they cannot be read — then the scan is the
    linear model alone."""
    key = str(path) if path is not None else ""
    if key in _ENCODERS:
        return _ENCODERS[key]
    try:
        data = (path.read_bytes() if path is not None
                else resources.files("shoal.privacy").joinpath("data", TABLE).read_bytes())
        encoder = StaticEncoder.from_bytes(data, source=str(path or "(shipped)"))
    except (OSError, ConfigError) as exc:
        log.warning("privacy: the semantic stage is off — its static token vectors cannot be read (%s); "
                    "the scan uses the linear model alone (rebuild them with `%s`)", exc, RETRAIN)
        return None
    _ENCODERS[key] = encoder
    return encoder


class SemanticStage:
    """The head and the static vectors: ``refine`` turns a linear probability into the stacked one."""

    def __init__(self, head: SemanticHead, encoder: StaticEncoder) -> None:
        if head.input_dims != encoder.dims:
            raise ConfigError(f"the semantic head reads {head.input_dims} dimensions, the static vectors "
                              f"have {encoder.dims}", hint=f"retrain both with `{RETRAIN}`")
        self.head = head
        self.encoder = encoder

    def embed(self, text: str) -> npt.NDArray[np.float32]:
        return self.encoder.embed(text)

    def refine(self, p_linear: float, text: str) -> float:
        """The stacked probability for ``text`` when ``p_linear`` is in the band, else ``p_linear``."""
        if not self.head.in_band(p_linear) or not text.strip():
            return p_linear
        return self.head.combine(p_linear, self.head.head_logit(self.embed(text)))
