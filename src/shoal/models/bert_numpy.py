"""A numpy forward pass of a BERT sentence encoder (mean pooling), for short query batches.

``shoal search`` embeds one query. Through sentence-transformers that means importing torch and
transformers first — about 6 s of a ~8 s call on a 2-core machine — for a forward pass that takes
milliseconds. This encoder reads the same ``model.safetensors`` and ``tokenizer.json`` with numpy,
safetensors and tokenizers (light imports) and computes the same vectors (cosine to the torch
vectors ≥ 0.9999 in the tests), so a query is answered without torch. Ingest batches still go
through torch, which is faster on large batches.

Supported: the folders sentence-transformers writes for BERT models with a ``Transformer`` →
``Pooling`` (mean tokens) [→ ``Normalize``] pipeline, absolute positions, GELU — all-MiniLM-L6-v2
and its kin. ``load`` returns ``None`` for anything else, and the caller uses torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_MEAN_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


_SQRT_2_OVER_PI = np.float32(np.sqrt(2.0 / np.pi))


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU by its tanh form, in place on ``x`` (a fresh product): one ``tanh`` instead of the erf
    polynomial's exp and five multiply-adds — the erf form was ~30% of a 128-token forward pass.
    The two forms differ by < 1e-3 per activation; embeddings keep cosine ≥ 0.9999 to torch's."""
    inner = x * x
    inner *= np.float32(0.044715)
    inner += np.float32(1.0)
    inner *= x
    inner *= _SQRT_2_OVER_PI
    np.tanh(inner, out=inner)
    inner += np.float32(1.0)
    x *= np.float32(0.5)
    x *= inner
    return x


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """Layer norm in place on ``x`` (always a fresh float32 sum here): no temporaries beyond the
    per-row statistics."""
    x -= x.mean(-1, keepdims=True)
    var = np.einsum("...i,...i->...", x, x)[..., None]
    var *= np.float32(1.0 / x.shape[-1])
    var += np.float32(eps)
    np.sqrt(var, out=var)
    x /= var
    x *= weight
    x += bias
    return x


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv: tuple[np.ndarray, np.ndarray]  # query, key and value weights side by side: one product
    attn_out: tuple[np.ndarray, np.ndarray]
    attn_norm: tuple[np.ndarray, np.ndarray]
    inter: tuple[np.ndarray, np.ndarray]
    out: tuple[np.ndarray, np.ndarray]
    out_norm: tuple[np.ndarray, np.ndarray]


_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def _mapped_tensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file as read-only memory maps (the format: an 8-byte header
    length, a JSON header of dtype/shape/offsets, then the raw little-endian data)."""
    with path.open("rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    out: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(meta["dtype"])
        if dtype is None:
            raise ValueError(f"unsupported tensor dtype {meta['dtype']}")
        start, end = meta["data_offsets"]
        out[name] = data[start:end].view(np.dtype(dtype).newbyteorder("<")).reshape(meta["shape"])
    return out


_CONTROLLER: list[Any] = []


def _controller() -> Any:
    """One ``ThreadpoolController`` per process: ``threadpool_limits()`` looks up the loaded BLAS
    libraries on every call (~5 ms), as much as a short query's forward pass."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]
        except ImportError:
            _CONTROLLER.append(None)
        else:
            _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def _linear(x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return np.asarray(x @ wb[0] + wb[1], dtype=np.float32)


class NumpyBertEncoder:
    """Mean-pooled (optionally L2-normalised) BERT sentence embeddings, computed with numpy."""

    def __init__(self, tensors: dict[str, np.ndarray], config: dict[str, Any], tokenizer: Any,
                 normalize: bool, max_length: int) -> None:
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.normalize = normalize
        self.tokenizer = tokenizer
        self._untruncated: Any = None  # a copy without truncation, for ``windows``
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))
        p = "embeddings."
        self.word = tensors[p + "word_embeddings.weight"]
        self.position = tensors[p + "position_embeddings.weight"]
        self.token_type = tensors[p + "token_type_embeddings.weight"]
        self.emb_norm = (tensors[p + "LayerNorm.weight"], tensors[p + "LayerNorm.bias"])

        def lin(name: str) -> tuple[np.ndarray, np.ndarray]:
            # torch stores Linear weights as (out, in); x @ W.T is the forward pass. The transposed
            # view is not copied: BLAS reads it as is, and the mapped file stays unread until used.
            return tensors[name + ".weight"].T, tensors[name + ".bias"]

        def fused(*names: str) -> tuple[np.ndarray, np.ndarray]:
            # One (hidden, 3 * hidden) product instead of three (hidden, hidden) ones: fewer BLAS
            # calls and one pass over x. Copied once at load (~1.8 MB per layer for MiniLM).
            parts = [lin(n) for n in names]
            return (np.ascontiguousarray(np.concatenate([w for w, _ in parts], axis=1), dtype=np.float32),
                    np.concatenate([b for _, b in parts]).astype(np.float32))

        def norm(name: str) -> tuple[np.ndarray, np.ndarray]:
            return tensors[name + ".weight"], tensors[name + ".bias"]

        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            b = f"encoder.layer.{i}."
            self.layers.append(_Layer(
                qkv=fused(b + "attention.self.query", b + "attention.self.key", b + "attention.self.value"),
                attn_out=lin(b + "attention.output.dense"), attn_norm=norm(b + "attention.output.LayerNorm"),
                inter=lin(b + "intermediate.dense"), out=lin(b + "output.dense"), out_norm=norm(b + "output.LayerNorm")))

    @classmethod
    def load(cls, folder: Path, *, max_length: int | None = None) -> NumpyBertEncoder | None:
        """The encoder for a sentence-transformers folder, or ``None`` when it is not a supported layout;
        ``max_length`` caps the tokens read per text below the model's own limit."""
        try:
            modules = json.loads((folder / "modules.json").read_text())
            config = json.loads((folder / "config.json").read_text())
            kinds = [m.get("type") for m in modules]
            if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu" \
                    or config.get("position_embedding_type", "absolute") != "absolute" \
                    or kinds[1:2] != [_MEAN_POOLING] or any(k not in (_NORMALIZE,) for k in kinds[2:]):
                return None
            pooling = json.loads((folder / modules[1].get("path", "1_Pooling") / "config.json").read_text())
            if not pooling.get("pooling_mode_mean_tokens") or any(
                    pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                             "pooling_mode_mean_sqrt_len_tokens")):
                return None
            st_config = folder / "sentence_bert_config.json"
            limit = int(json.loads(st_config.read_text()).get("max_seq_length", 256)) if st_config.is_file() else 256
            max_length = min(limit, max_length) if max_length else limit
            from tokenizers import Tokenizer

            raw = _mapped_tensors(folder / "model.safetensors")
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except (OSError, ValueError, KeyError, IndexError, ImportError):
            return None
        # Some exports prefix every name ("bert.", "0.auto_model."): strip to the BertModel names.
        tensors = {}
        for name, value in raw.items():
            for prefix in ("bert.", "0.auto_model.", "auto_model.", "model."):
                name = name.removeprefix(prefix)
            if value.dtype.kind == "f":
                tensors[name] = value if value.dtype == np.float32 else value.astype(np.float32)
        try:
            return cls(tensors, config, tokenizer, normalize=_NORMALIZE in kinds, max_length=max_length)
        except KeyError:
            return None

    def windows(self, text: str, tokens: int) -> list[str]:
        """``text`` itself when it fits in ``tokens`` word pieces, else its first and last ``tokens``
        pieces as two texts (cut at piece boundaries): a bounded view of a long text."""
        if self._untruncated is None:
            self._untruncated = self.tokenizer.__class__.from_str(self.tokenizer.to_str())
            self._untruncated.no_truncation()
            self._untruncated.no_padding()
        offsets = self._untruncated.encode(text, add_special_tokens=False).offsets
        if len(offsets) <= tokens:
            return [text]
        return [text[offsets[0][0]:offsets[tokens - 1][1]], text[offsets[-tokens][0]:offsets[-1][1]]]

    def token_counts(self, texts: list[str]) -> list[int]:
        """Tokens per text after truncation, special tokens included (what the model reads)."""
        return [sum(e.attention_mask) for e in self.tokenizer.encode_batch(texts)]

    def encode(self, texts: list[str], *, threads: int = 1, normalize: bool = True) -> np.ndarray:
        """One vector per text, float32, shape (len(texts), hidden); unit length when ``normalize``
        and the model ends in a Normalize module.

        ``threads`` caps the BLAS threads: a query is a few small matrix products, and on a busy
        machine spinning BLAS threads made one query 20-40x slower (1 s against 25-50 ms).
        """
        controller = _controller()
        if controller is None:  # numpy still works, only without the cap
            return self._encode(texts, normalize)
        with controller.limit(limits=threads, user_api="blas"):
            return self._encode(texts, normalize)

    def _encode(self, texts: list[str], normalize: bool) -> np.ndarray:
        batch = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        types = np.array([e.type_ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.float32)
        n, length = ids.shape
        x = self.word[ids] + self.position[np.arange(length)][None, :, :] + self.token_type[types]
        x = _layer_norm(np.asarray(x, dtype=np.float32), *self.emb_norm, self.eps)
        hidden = x.shape[-1]
        d = hidden // self.heads
        scale = np.float32(1.0 / np.sqrt(d))
        # No padding (one text, or texts of one length): no mask to add to every score.
        bias = None if mask.all() else ((1.0 - mask) * np.float32(np.finfo(np.float32).min))[:, None, None, :]

        def heads(t: np.ndarray) -> np.ndarray:
            return t.reshape(n, length, self.heads, d).transpose(0, 2, 1, 3)

        for layer in self.layers:
            qkv = _linear(x, layer.qkv)
            q, k, v = heads(qkv[..., :hidden]), heads(qkv[..., hidden:2 * hidden]), heads(qkv[..., 2 * hidden:])
            weights = q @ k.transpose(0, 1, 3, 2)
            weights *= scale
            if bias is not None:
                weights += bias
            weights -= weights.max(-1, keepdims=True)
            np.exp(weights, out=weights)
            weights /= weights.sum(-1, keepdims=True)
            context = (weights @ v).transpose(0, 2, 1, 3).reshape(n, length, hidden)
            x = _layer_norm(_linear(context, layer.attn_out) + x, *layer.attn_norm, self.eps)
            inner = _gelu(_linear(x, layer.inter))
            x = _layer_norm(_linear(inner, layer.out) + x, *layer.out_norm, self.eps)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        if self.normalize and normalize:
            pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return np.asarray(pooled, dtype=np.float32)

