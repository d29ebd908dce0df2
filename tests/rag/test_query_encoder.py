"""The torch-free query encoder computes the vectors sentence-transformers computes, and a search
query does not import torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from shoal.models.bert_numpy import NumpyBertEncoder
from shoal.models.sentence_transformers import SentenceTransformersEmbedding, bundled_model_dir
from shoal.models.types import ModelSpec

pytestmark = pytest.mark.embeddings

TEXTS = [
    "How much parental leave do we get?",
    "Économie: the café's naïve résumé — 12,000 € per year!",
    "短い日本語の文も読めます。",
    "word " * 400,  # longer than max_seq_length: truncated the same way
    "",
]


def test_numpy_vectors_match_sentence_transformers() -> None:
    encoder = NumpyBertEncoder.load(bundled_model_dir())
    assert encoder is not None
    ours = encoder.encode(TEXTS)  # one padded batch: padding must not change any vector
    alone = np.stack([encoder.encode([t])[0] for t in TEXTS])
    torch_model = SentenceTransformersEmbedding(ModelSpec(name="minilm", provider="sentence_transformers",
                                                          model_id="all-MiniLM-L6-v2", kind="embedding",
                                                          options={"query_encoder": "torch"}))
    reference = np.asarray(torch_model.embed_blocking(TEXTS), dtype=np.float32)
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert np.min(np.sum(ours * reference, axis=1)) > 0.9999
    assert np.abs(alone - ours).max() < 1e-4
    assert encoder.token_counts(["parental leave"]) == [4]  # [CLS] parental leave [SEP]


def test_unsupported_layouts_fall_back_to_torch(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(bundled_model_dir(), folder, ignore=shutil.ignore_patterns("model.safetensors"))
    assert NumpyBertEncoder.load(folder) is None  # no weights file
    (folder / "model.safetensors").symlink_to(bundled_model_dir() / "model.safetensors")
    assert NumpyBertEncoder.load(folder) is not None
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    assert NumpyBertEncoder.load(folder) is None
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    assert NumpyBertEncoder.load(folder) is None


def test_a_query_embeds_without_importing_torch() -> None:
    code = ("import sys; from shoal.config import Settings, ShoalConfig; from shoal.wiring import catalog; "
            "m = catalog(Settings(ShoalConfig(), None)).embedding_model('minilm'); "
            "v = m.embed_sync(['parental leave']).vectors[0]; "
            "print(len(v), 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split() == ["384", "False", "False"]
