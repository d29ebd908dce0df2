"""The DocumentStore conformance suite: every store (embedded, Qdrant local mode) must pass it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shoal.errors import ConfigError
from shoal.principal import Principal
from shoal.rag.stores.base import DocumentStore
from shoal.rag.types import Access, Filters

from .conftest import add, make_doc, query_vector

EVERYONE = Access.for_principal(Principal(), ("public", "internal"))
HR = Access.for_principal(Principal.of("ann", "hr"), ("public", "internal"))
Factory = Callable[..., DocumentStore]


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


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_relevant_document_ranks_first(store_factory: Factory, mode: str) -> None:
    store = store_factory()
    seed(store)
    assert search(store, "how many days of annual leave", mode=mode)[0] == "docs/holidays.md"
    assert search(store, "travel expenses receipts", mode=mode)[0] == "docs/expenses.md"


def test_hit_carries_metadata_and_scores(store_factory: Factory) -> None:
    store = store_factory()
    add(store, "a/b.md", ["Alpha beta gamma."], title="Greek", section="Letters", label="public")
    hit = store.search("alpha", query_vector("alpha"), 1, access=EVERYONE)[0]
    c = hit.chunk
    assert (c.path, c.title, c.section, c.label, c.groups, c.ordinal) == ("a/b.md", "Greek", "Letters", "public", (), 0)
    assert c.text == "Alpha beta gamma." and len(c.content_hash) == 16
    assert hit.bm25_score is not None and hit.bm25_score > 0
    assert hit.dense_score is not None and -1.0 <= hit.dense_score <= 1.0001
    assert hit.ranks.get("bm25") == 1


def test_acl_hides_group_documents_from_search_and_count(store_factory: Factory) -> None:
    store = store_factory()
    seed(store)
    for mode in ("hybrid", "bm25", "dense"):
        assert "hr/salaries.md" not in search(store, "salary bands engineer level", mode=mode)
        assert search(store, "salary bands engineer level", access=HR, mode=mode)[0] == "hr/salaries.md"
    assert store.count(EVERYONE) == 4
    assert store.count(HR) == 5
    assert store.count(Access.for_principal(Principal.of("x", "finance"), ())) == 0


def test_hidden_chunks_do_not_shift_bm25_scores(store_factory: Factory, tmp_path_factory: pytest.TempPathFactory
                                                 ) -> None:
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


def test_confidential_without_groups_is_visible_to_nobody(store_factory: Factory) -> None:
    store = store_factory()
    add(store, "legal/contract.md", ["The merger closes in March."], label="confidential")
    everyone_and_groups = Access.for_principal(Principal.of("boss", "hr,legal,admin"), ("public", "internal"))
    assert store.search("merger closes", query_vector("merger closes"), 5, access=everyone_and_groups) == []
    assert store.count(everyone_and_groups) == 0


def test_everyone_labels_are_resolved_at_query_time(store_factory: Factory) -> None:
    store = store_factory()
    seed(store)
    public_only = Access.for_principal(Principal(), ("public",))
    # internal pages now need a group; only the public page can be found at all
    assert set(search(store, "annual leave", access=public_only)) == {"docs/security.md"}
    assert store.count(public_only) == 1


def test_upsert_replaces_previous_version(store_factory: Factory) -> None:
    store = store_factory()
    add(store, "docs/policy.md", ["Old rule: badges are blue.", "Second old paragraph."])
    add(store, "docs/policy.md", ["New rule: badges are green."], version="v2")
    hits = store.search("badges rule", query_vector("badges rule"), 10, access=EVERYONE)
    assert [h.chunk.text for h in hits] == ["New rule: badges are green."]
    assert store.documents()["/abs/docs/policy.md"].version == "v2"
    assert store.count(EVERYONE) == 1


def test_relabel_to_group_hides_old_version(store_factory: Factory) -> None:
    store = store_factory()
    add(store, "docs/plan.md", ["Reorganisation plan for the sales team."])
    add(store, "docs/plan.md", ["Reorganisation plan for the sales team."], label="confidential", groups=["hr"],
        version="v2")
    assert search(store, "reorganisation plan") == []
    assert search(store, "reorganisation plan", access=HR) == ["docs/plan.md"]


def test_delete_and_prune(store_factory: Factory) -> None:
    store = store_factory()
    seed(store)
    assert store.delete("/abs/docs/expenses.md") is True
    assert store.delete("/abs/docs/expenses.md") is False
    assert "docs/expenses.md" not in search(store, "travel expenses receipts")
    removed = store.prune(lambda d: not d.path.startswith("docs/"))
    assert sorted(d.path for d in removed) == ["docs/holidays.md", "docs/security.md"]
    assert set(store.documents()) == {"/abs/hr/salaries.md"}
    assert store.count(EVERYONE) == 0


def test_filters(store_factory: Factory) -> None:
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


def test_persists_across_restart(store_factory: Factory) -> None:
    store = store_factory()
    seed(store)
    first = search(store, "annual leave days")
    store.close()
    reopened = store_factory()
    assert search(reopened, "annual leave days") == first
    assert len(reopened.documents()) == 4
    info = reopened.info()
    assert (info.documents, info.chunks, info.embedder, info.dim) == (4, 5, "minilm", 64)


def test_embedder_mismatch_is_an_error(store_factory: Factory) -> None:
    store = store_factory()
    seed(store)
    doc, chunks = make_doc("docs/new.md", ["text"])
    with pytest.raises(ConfigError, match="built with embedder 'minilm'"):
        store.upsert(doc, chunks, embedder="other-embedder")


def test_hybrid_fuses_both_rankers(store_factory: Factory) -> None:
    store = store_factory(fusion={"rrf_k": 60})
    seed(store)
    hits = store.search("annual leave", query_vector("annual leave"), 3, access=EVERYONE, mode="hybrid")
    top = hits[0]
    assert top.chunk.path == "docs/holidays.md"
    assert set(top.ranks) == {"bm25", "dense"}
    assert top.score == pytest.approx(1 / (60 + top.ranks["bm25"]) + 1 / (60 + top.ranks["dense"]))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_empty_store_and_no_access(store_factory: Factory) -> None:
    store = store_factory()
    assert store.search("anything", query_vector("anything"), 5, access=EVERYONE) == []
    seed(store)
    nobody = Access(frozenset())
    assert store.search("annual leave", query_vector("annual leave"), 5, access=nobody) == []
    assert store.count(nobody) == 0


def test_roots_are_remembered_across_reopen(store_factory: Factory) -> None:
    store = store_factory()
    assert store.roots() == ()
    store.add_root("/data/docs")
    seed(store)  # document writes keep the roots
    store.add_root("/data/other")
    store.add_root("/data/docs")
    store.close()
    again = store_factory()
    assert again.roots() == ("/data/docs", "/data/other")
