"""Conformance suite for ``DocumentStore`` implementations (RAG stores), shipped for plug-ins.

A store written outside Shoal runs the same suite as the built-in ones, in its own pytest run::

    from shoal.testing import DocumentStoreConformance

    class TestMyStore(DocumentStoreConformance):
        store_type = "mystore"          # its name under the entry-point group shoal.document_stores

        def store_settings(self, root):  # the rag.store keys it needs (root: a fresh temp folder)
            return {"type": "mystore", "options": {"url": "http://127.0.0.1:7700"}}

Every test opens the store through the registry (``shoal.rag.stores.registry.open_store``), the way
Shoal opens it, so the entry point is checked too; override ``open_store`` to open it otherwise.
The contract (``shoal.rag.stores.base``): the caller's access is applied inside the query (hidden
chunks are neither returned, counted nor used for BM25 statistics), an upsert replaces a document
atomically, filters only narrow, data and roots persist across ``close()`` and re-open, and an
index built with one embedder refuses another.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from shoal.errors import ConfigError
from shoal.models.testing import HashEmbeddingModel
from shoal.paths import Paths
from shoal.principal import Principal
from shoal.rag.config import RagConfig
from shoal.rag.stores.base import DocumentStore
from shoal.rag.stores.registry import open_store
from shoal.rag.types import Access, ChunkRecord, DocumentRecord, Filters

__all__ = ["DocumentStoreConformance", "StoreFactory", "add", "make_doc", "query_vector"]

EMBED = HashEmbeddingModel(dim=64)  # deterministic vectors: rankings do not depend on a model download
EMBEDDER = "minilm"  # the embedder name recorded in the index
EVERYONE = Access.for_principal(Principal(), ("public", "internal"))
HR = Access.for_principal(Principal.of("ann", "hr"), ("public", "internal"))

StoreFactory = Callable[..., DocumentStore]


def make_doc(path: str, texts: Sequence[str], *, label: str = "internal", groups: Sequence[str] = (),
             version: str = "v1", title: str = "", section: str = "") -> tuple[DocumentRecord, list[ChunkRecord]]:
    """A document and its chunks, one per text, embedded with the suite's deterministic embedder."""
    doc_id = "/abs/" + path
    title = title or path.rsplit("/", 1)[-1]
    chunks = []
    for i, text in enumerate(texts):
        chunk_id = hashlib.sha1(f"{doc_id}{version}{i}".encode()).hexdigest()[:24]
        chunks.append(ChunkRecord(chunk_id, doc_id, i, text, path, title, section, None, label,  # type: ignore[arg-type]
                                  tuple(sorted(groups)), hashlib.sha256(text.encode()).hexdigest()[:16],
                                  tuple(EMBED.vector(f"{title}\n{text}"))))
    doc = DocumentRecord(doc_id, path, title, label, tuple(sorted(groups)), version, len(chunks),  # type: ignore[arg-type]
                         doc_id)
    return doc, chunks


def add(store: DocumentStore, path: str, texts: Sequence[str], **kw: Any) -> DocumentRecord:
    """Upsert one document (see ``make_doc`` for the keywords)."""
    doc, chunks = make_doc(path, texts, **kw)
    store.upsert(doc, chunks, embedder=EMBEDDER)
    return doc


def query_vector(text: str) -> list[float]:
    """The query's vector in the suite's embedding space."""
    return EMBED.vector(text)


def search(store: DocumentStore, text: str, access: Access = EVERYONE, k: int = 10, mode: str = "hybrid",
           filters: Filters | None = None) -> list[str]:
    hits = store.search(text, query_vector(text), k, access=access, filters=filters, mode=mode)  # type: ignore[arg-type]
    return [h.chunk.path for h in hits]


def seed(store: DocumentStore) -> None:
    add(store, "docs/holidays.md", ["Employees get twenty five days of annual leave per year.",
                                    "Public holidays are in addition to annual leave."])
    add(store, "docs/expenses.md", ["Submit travel expenses within thirty days with receipts."])
    add(store, "docs/security.md", ["Report lost laptops to the security desk immediately."], label="public")
    add(store, "hr/salaries.md", ["Salary bands: engineer level three earns 95000 dollars."],
        label="confidential", groups=["hr"])


class DocumentStoreConformance:
    """Mix into a ``Test*`` class; pytest runs every inherited ``test_*`` against your store.

    Set ``store_type`` (or override ``store_settings`` / ``open_store``). ``store_factory(**rag)``
    opens — or re-opens — the store in one temp project per test; keyword arguments are ``rag:``
    keys (e.g. ``fusion={"rrf_k": 60}``).
    """

    store_type: ClassVar[str] = ""
    collection: ClassVar[str] = "conformance"

    def store_settings(self, root: Path) -> dict[str, Any]:
        """The ``rag.store`` section for a store whose data may live under ``root``."""
        if not self.store_type:
            raise TypeError(f"{type(self).__name__}: set store_type (or override store_settings)")
        return {"type": self.store_type}

    def open_store(self, config: RagConfig, paths: Paths) -> DocumentStore:
        """Open (creating) the store for ``self.collection`` the way Shoal does."""
        store = open_store(config, paths, self.collection, create=True)
        assert store is not None, "open_store(create=True) returned None"
        return store

    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[StoreFactory]:
        opened: list[DocumentStore] = []
        paths = Paths.at(tmp_path, tmp_path / ".shoal", "(conformance suite)")

        def factory(**rag: Any) -> DocumentStore:
            config = RagConfig.model_validate({**rag, "store": self.store_settings(tmp_path)})
            store = self.open_store(config, paths)
            opened.append(store)
            return store

        yield factory
        for store in opened:
            with contextlib.suppress(Exception):  # already closed by the test
                store.close()

    @pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
    def test_relevant_document_ranks_first(self, store_factory: StoreFactory, mode: str) -> None:
        store = store_factory()
        seed(store)
        assert search(store, "how many days of annual leave", mode=mode)[0] == "docs/holidays.md"
        assert search(store, "travel expenses receipts", mode=mode)[0] == "docs/expenses.md"

    def test_hit_carries_metadata_and_scores(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        add(store, "a/b.md", ["Alpha beta gamma."], title="Greek", section="Letters", label="public")
        hit = store.search("alpha", query_vector("alpha"), 1, access=EVERYONE)[0]
        c = hit.chunk
        assert (c.path, c.title, c.section, c.label, c.groups, c.ordinal) == ("a/b.md", "Greek", "Letters", "public", (), 0)
        assert c.text == "Alpha beta gamma." and len(c.content_hash) == 16
        assert hit.bm25_score is not None and hit.bm25_score > 0
        assert hit.dense_score is not None and -1.0 <= hit.dense_score <= 1.0001
        assert hit.ranks.get("bm25") == 1

    def test_acl_hides_group_documents_from_search_and_count(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        seed(store)
        for mode in ("hybrid", "bm25", "dense"):
            assert "hr/salaries.md" not in search(store, "salary bands engineer level", mode=mode)
            assert search(store, "salary bands engineer level", access=HR, mode=mode)[0] == "hr/salaries.md"
        assert store.count(EVERYONE) == 4
        assert store.count(HR) == 5
        assert store.count(Access.for_principal(Principal.of("x", "finance"), ())) == 0

    def test_hidden_chunks_do_not_shift_bm25_scores(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        seed(store)
        before = {h.chunk.chunk_id: h.bm25_score for h in
                  store.search("annual leave salary", None, 10, access=EVERYONE, mode="bm25")}
        for i in range(5):  # many hidden chunks using the query words would change IDF if they were counted
            add(store, f"hr/secret{i}.md", ["annual leave salary annual leave salary"], label="restricted",
                groups=["hr"])
        after = {h.chunk.chunk_id: h.bm25_score for h in
                 store.search("annual leave salary", None, 10, access=EVERYONE, mode="bm25")}
        assert before.keys() == after.keys()
        for key, score in before.items():
            assert after[key] == pytest.approx(score, rel=1e-5)

    def test_confidential_without_groups_is_visible_to_nobody(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        add(store, "legal/contract.md", ["The merger closes in March."], label="confidential")
        everyone_and_groups = Access.for_principal(Principal.of("boss", "hr,legal,admin"), ("public", "internal"))
        assert store.search("merger closes", query_vector("merger closes"), 5, access=everyone_and_groups) == []
        assert store.count(everyone_and_groups) == 0

    def test_everyone_labels_are_resolved_at_query_time(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        seed(store)
        public_only = Access.for_principal(Principal(), ("public",))
        # internal pages now need a group; only the public page can be found at all
        assert set(search(store, "annual leave", access=public_only)) == {"docs/security.md"}
        assert store.count(public_only) == 1

    def test_upsert_replaces_previous_version(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        add(store, "docs/policy.md", ["Old rule: badges are blue.", "Second old paragraph."])
        add(store, "docs/policy.md", ["New rule: badges are green."], version="v2")
        hits = store.search("badges rule", query_vector("badges rule"), 10, access=EVERYONE)
        assert [h.chunk.text for h in hits] == ["New rule: badges are green."]
        assert store.documents()["/abs/docs/policy.md"].version == "v2"
        assert store.count(EVERYONE) == 1

    def test_relabel_to_group_hides_old_version(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        add(store, "docs/plan.md", ["Reorganisation plan for the sales team."])
        add(store, "docs/plan.md", ["Reorganisation plan for the sales team."], label="confidential", groups=["hr"],
            version="v2")
        assert search(store, "reorganisation plan") == []
        assert search(store, "reorganisation plan", access=HR) == ["docs/plan.md"]

    def test_delete_and_prune(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        seed(store)
        assert store.delete("/abs/docs/expenses.md") is True
        assert store.delete("/abs/docs/expenses.md") is False
        assert "docs/expenses.md" not in search(store, "travel expenses receipts")
        removed = store.prune(lambda d: not d.path.startswith("docs/"))
        assert sorted(d.path for d in removed) == ["docs/holidays.md", "docs/security.md"]
        assert set(store.documents()) == {"/abs/hr/salaries.md"}
        assert store.count(EVERYONE) == 0

    def test_filters(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        seed(store)
        add(store, "docsx/other.md", ["Annual leave in the other folder."])
        q = "annual leave laptops expenses"
        assert set(search(store, q, filters=Filters(labels=frozenset({"public"})))) == {"docs/security.md"}
        assert set(search(store, q, filters=Filters(path_prefix="docs"))) == {
            "docs/holidays.md", "docs/security.md", "docs/expenses.md"}
        assert set(search(store, q, filters=Filters(doc_ids=frozenset({"/abs/docsx/other.md"})))) == {"docsx/other.md"}
        # filters narrow the ACL, never widen it
        assert search(store, "salary bands", filters=Filters(labels=frozenset({"confidential"}))) == []

    def test_persists_across_restart(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        seed(store)
        first = search(store, "annual leave days")
        store.close()
        reopened = store_factory()
        assert search(reopened, "annual leave days") == first
        assert len(reopened.documents()) == 4
        info = reopened.info()
        assert (info.documents, info.chunks, info.embedder, info.dim) == (4, 5, "minilm", 64)

    def test_embedder_mismatch_is_an_error(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        seed(store)
        doc, chunks = make_doc("docs/new.md", ["text"])
        with pytest.raises(ConfigError, match="built with embedder 'minilm'"):
            store.upsert(doc, chunks, embedder="other-embedder")

    def test_hybrid_fuses_both_rankers(self, store_factory: StoreFactory) -> None:
        store = store_factory(fusion={"rrf_k": 60})
        seed(store)
        hits = store.search("annual leave", query_vector("annual leave"), 3, access=EVERYONE, mode="hybrid")
        top = hits[0]
        assert top.chunk.path == "docs/holidays.md"
        assert set(top.ranks) == {"bm25", "dense"}
        assert top.score == pytest.approx(1 / (60 + top.ranks["bm25"]) + 1 / (60 + top.ranks["dense"]))
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    def test_empty_store_and_no_access(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        assert store.search("anything", query_vector("anything"), 5, access=EVERYONE) == []
        seed(store)
        nobody = Access(frozenset())
        assert store.search("annual leave", query_vector("annual leave"), 5, access=nobody) == []
        assert store.count(nobody) == 0

    def test_roots_are_remembered_across_reopen(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        assert store.roots() == ()
        store.add_root("/data/docs")
        seed(store)  # document writes keep the roots
        store.add_root("/data/other")
        store.add_root("/data/docs")
        store.close()
        again = store_factory()
        assert again.roots() == ("/data/docs", "/data/other")
