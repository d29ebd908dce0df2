"""The DocumentStore conformance suite (shipped as ``shoal.testing``) on every built-in store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shoal.testing import DocumentStoreConformance
from tests.plugins import install


class TestEmbeddedStore(DocumentStoreConformance):
    store_type = "embedded"


class TestQdrantLocalStore(DocumentStoreConformance):
    """Qdrant in local mode (no server): the same client code as a cluster, the data in a folder."""

    store_type = "qdrant"

    def store_settings(self, root: Path) -> dict[str, Any]:
        return {"type": "qdrant", "path": str(root / "qdrant")}


class TestStoreRegisteredByAPlugin(DocumentStoreConformance):
    """A store known only through a plug-in's entry point: rag.store.type accepts its name, the
    registry loads it, and the shipped suite runs from a subclass as a third party would run it."""

    store_type = "plugin_embedded"

    @pytest.fixture(autouse=True)
    def _installed(self, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
        install(monkeypatch, tmp_path_factory.mktemp("site"),
                {"shoal.document_stores": {"plugin_embedded": "shoal.rag.stores.embedded:EmbeddedStore.open"}})


def test_an_unknown_store_type_names_the_installed_ones() -> None:
    from shoal.rag.config import RagConfig

    with pytest.raises(ValueError, match=r"unknown store type 'qdrnt'; installed: .*embedded.*qdrant"):
        RagConfig.model_validate({"store": {"type": "qdrnt"}})
