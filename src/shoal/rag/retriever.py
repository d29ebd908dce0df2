"""``RagRetriever``: the ``shoal.pipeline.Retriever`` stage (structurally: nothing here imports the
pipeline) that grounds a request in the caller's documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoal.models.types import ChatRequest
from shoal.principal import Principal
from shoal.privacy.types import DocLabel
from shoal.rag.prompt import grounded_request, no_sources_request, question_of
from shoal.rag.search import Searcher
from shoal.rag.stores.base import collection_name
from shoal.rag.stores.registry import open_store
from shoal.rag.types import Augmented, Citation, Grounding

if TYPE_CHECKING:
    from shoal.catalog import Catalog
    from shoal.paths import Paths
    from shoal.rag.config import RagConfig


def has_index(config: RagConfig, paths: Paths, collection: str | None = None) -> bool:
    """True when the collection exists and holds at least one chunk (``shoal ask`` then retrieves)."""
    from shoal.rag.stores.embedded import DB_FILE, index_dir

    name = collection_name(config, collection)
    if config.store.type == "embedded" and not (index_dir(paths.data_dir, name) / DB_FILE).exists():
        return False  # cheap path: no file, no index, no SQLite or numpy work
    store = open_store(config, paths, name, create=False)
    if store is None:
        return False
    try:
        return store.info().chunks > 0
    finally:
        store.close()


class RagRetriever:
    """Retrieves with the caller's principal and builds the grounded request.

    Hits below ``rag.min_similarity`` (cosine to the question) are dropped; when none remain the
    request asks the model to say the documents do not cover the question, with the same wording
    whether nothing matched or only documents the caller may not see did.
    """

    def __init__(self, config: RagConfig, paths: Paths, catalog: Catalog) -> None:
        self.config = config
        self.searcher = Searcher(config, paths, catalog)

    def augment(self, request: ChatRequest, principal: Principal, collection: str | None) -> Augmented:
        question = question_of(request)
        hits = self.searcher.search(question, principal, collection=collection, k=self.config.top_k)
        relevant = [h for h in hits if h.dense_score is None or h.dense_score >= self.config.min_similarity]
        if not relevant:
            return Augmented(no_sources_request(request), retrieved=0, grounding=Grounding(question))
        citations = tuple(
            Citation(number=n, path=h.chunk.path, title=h.chunk.title, section=h.chunk.section,
                     page=h.chunk.page, label=h.chunk.label, chunk_id=h.chunk.chunk_id, score=h.score)
            for n, h in enumerate(relevant, start=1))
        labels = tuple(DocLabel(h.chunk.label, h.chunk.path) for h in relevant)
        return Augmented(grounded_request(request, relevant), citations=citations, doc_labels=labels,
                         retrieved=len(relevant),
                         grounding=Grounding(question, tuple(h.chunk.text for h in relevant)))

    def close(self) -> None:
        self.searcher.close()
