"""Trained topic models as a small binary file, so no process has to train them at start-up.

The default topics ship pre-trained in ``data/topic_models.bin`` (built by
``python -m shoal.privacy.build_data topics``). A config that adds or removes topics or examples
trains its own models once and caches them by the digest of everything training depends on, under
``$SHOAL_CACHE_DIR`` or ``$XDG_CACHE_HOME/shoal`` (``~/.cache/shoal``) in ``privacy/``.

Format: gzip (fixed mtime, so a rebuild of the same models gives the same bytes) of a 4-byte
big-endian header length, a JSON header (digest, classes, feature names, topic-term patterns,
levels) and
the float32 weight and bias arrays in header order.
float32 halves the file; probabilities move by < 1e-5, which no threshold notices.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import struct
import sys
from array import array
from pathlib import Path
from typing import Any

from shoal.privacy.linear import LinearModel

log = logging.getLogger(__name__)

TOPICS_FILE = "topic_models.bin"
FORMAT = 1
_MODELS = ("topic", "specificity")


def cache_dir() -> Path:
    base = os.environ.get("SHOAL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "shoal")
    return Path(base) / "privacy"


def dump_models(models: dict[str, LinearModel], *, digest: str, lexicon: dict[str, str],
                levels: dict[str, str]) -> bytes:
    """Serialise the two models plus what the detector needs besides them (the topic-term patterns
    and the levels of added topics)."""
    header: dict[str, Any] = {"format": FORMAT, "digest": digest, "lexicon": lexicon, "levels": levels,
                              "models": {}}
    blobs: list[bytes] = []
    for name in _MODELS:
        model = models[name]
        names = sorted(model.vocab, key=model.vocab.__getitem__)
        header["models"][name] = {"classes": list(model.classes), "features": names}
        blobs.append(_le32(model.weights))
        blobs.append(_le32(model.bias))
    head = json.dumps(header, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return gzip.compress(struct.pack(">I", len(head)) + head + b"".join(blobs), compresslevel=9, mtime=0)


def load_models(data: bytes) -> tuple[dict[str, LinearModel], dict[str, Any]]:
    """The models and the header (digest, terms, levels) of a file written by ``dump_models``."""
    raw = gzip.decompress(data)
    (size,) = struct.unpack(">I", raw[:4])
    header: dict[str, Any] = json.loads(raw[4:4 + size].decode("utf-8"))
    if header.get("format") != FORMAT:
        raise ValueError(f"topic model file format {header.get('format')!r}, expected {FORMAT}")
    offset = 4 + size
    models: dict[str, LinearModel] = {}
    for name in _MODELS:
        spec = header["models"][name]
        n_feat, n_cls = len(spec["features"]), len(spec["classes"])
        weights = _from_le32(raw[offset:offset + 4 * n_feat * n_cls])
        offset += 4 * n_feat * n_cls
        bias = _from_le32(raw[offset:offset + 4 * n_cls])
        offset += 4 * n_cls
        if len(weights) != n_feat * n_cls or len(bias) != n_cls:
            raise ValueError("topic model file is truncated")
        models[name] = LinearModel(vocab={f: i for i, f in enumerate(spec["features"])}, weights=weights,
                                   bias=tuple(bias), classes=tuple(spec["classes"]))
    if offset != len(raw):
        raise ValueError("topic model file has trailing bytes: it is truncated or corrupt")
    return models, header


def _le32(values: array[float] | tuple[float, ...]) -> bytes:
    out = array("f", values)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


def _from_le32(data: bytes) -> array[float]:
    if len(data) % 4:
        raise ValueError("topic model file is truncated")
    out = array("f")
    out.frombytes(data)
    if sys.byteorder == "big":
        out.byteswap()
    return out


def read_cached(path: Path, digest: str) -> tuple[dict[str, LinearModel], dict[str, Any]] | None:
    """Models from ``path`` when it exists, is readable and was trained for ``digest``."""
    try:
        models, header = load_models(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, struct.error) as exc:
        log.warning("ignoring unreadable topic model file %s (%s); training instead", path, exc)
        return None
    if header.get("digest") != digest:
        return None
    return models, header


def write_cache(path: Path, data: bytes) -> None:
    """Best effort: a read-only home only means training again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        log.info("could not cache trained topic models at %s: %s", path, exc)
