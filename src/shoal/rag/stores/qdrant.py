"""The Qdrant store, for collections too large or too shared for the embedded one.

Point at a server or cluster with ``rag.store: {type: qdrant, url: http://qdrant:6333, api_key:
env:QDRANT_API_KEY}``; without ``url`` it runs qdrant-client's embedded local mode in
``rag.store.path`` (default ``<data_dir>/qdrant``) — what the tests use.

Two Qdrant collections per Shoal collection: ``<prefix><name>`` holds chunks (named dense vector
``dense``, cosine; sparse vector ``bm25`` with Qdrant's IDF modifier) and ``<prefix><name>__docs``
holds one payload-only record per document plus a meta record (embedder, dimension, length sums).

- ACL: every query carries a payload filter on ``access`` (MatchAny of the caller's tokens), and
  the BM25 query asks Qdrant to compute IDF over that same filtered corpus (``SearchParams.idf``),
  so hidden chunks neither score nor shift scores.
- Atomic documents: new chunks are written with ``committed=false`` (invisible to search), then
  one batch request flips them to committed and deletes the previous version; the document record
  is written last, so after a crash the next ingest sees the old version and redoes the document.
- BM25 term weights are stored at ingest: ``tf·(k1+1)/(tf + k1·(1−b+b·len/avglen))`` with the
  average length known at that time; Qdrant multiplies by IDF at query time.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from shoal.errors import ConfigError, DependencyMissingError, UnavailableError
from shoal.rag.analysis import analyze, term_index
from shoal.rag.fusion import rrf
from shoal.rag.stores.base import StoreInfo
from shoal.rag.stores.embedded import bm25_text
from shoal.rag.types import Access, ChunkRecord, DocumentRecord, Filters, Hit, SearchMode

if TYPE_CHECKING:
    from shoal.paths import Paths
    from shoal.rag.config import Bm25Config, FusionConfig, RagConfig

_META_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "shoal:meta"))
_NS = uuid.UUID("8d0c6c4e-8f5b-4a53-9a43-5b1f6f3c2a10")


def _point_id(key: str) -> str:
    return str(uuid.uuid5(_NS, key))


def path_parts(path: str) -> list[str]:
    """Every folder prefix of a path plus the path, so a folder filter is an exact keyword match."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


class QdrantStore:
    def __init__(self, client: Any, collection: str, prefix: str, bm25: Bm25Config, fusion: FusionConfig,
                 location: str, remote: bool) -> None:
        from qdrant_client import models

        self.m = models
        self.client = client
        self.collection = collection
        self.chunks_name = f"{prefix}{collection}"
        self.docs_name = f"{prefix}{collection}__docs"
        self.bm25 = bm25
        self.fusion = fusion
        self.location = location
        self.remote = remote

    @classmethod
    def open(cls, config: RagConfig, paths: Paths, collection: str, create: bool = True) -> QdrantStore | None:
        """The ``shoal.document_stores`` entry point ``qdrant``: a server (``rag.store.url``) or local mode."""
        try:
            from qdrant_client import QdrantClient
        except ImportError:
            raise DependencyMissingError("qdrant-client is needed for rag.store.type: qdrant",
                                         hint="pip install 'shoal[rag]'") from None
        cfg = config.store
        if cfg.url:
            key = paths.secret(cfg.api_key, key="rag.store.api_key") if cfg.api_key else None
            try:
                client = QdrantClient(url=cfg.url, api_key=key, timeout=int(cfg.timeout))
            except Exception as exc:  # noqa: BLE001 — the client raises assorted errors on bad URLs
                raise ConfigError(f"cannot create a Qdrant client for {cfg.url}: {type(exc).__name__}",
                                  key="rag.store.url") from None
            location, remote = cfg.url, True
        else:
            folder = paths.under_data(cfg.path, "qdrant")
            if not folder.exists() and not create:
                return None
            folder.mkdir(parents=True, exist_ok=True)
            client = QdrantClient(path=str(folder))
            location, remote = str(folder), False
        store = cls(client, collection, cfg.collection_prefix, config.bm25, config.fusion,
                    location, remote)
        if not store._call(store.client.collection_exists, store.docs_name):
            if not create:
                store.close()
                return None
            store._call(store.client.create_collection, store.docs_name, vectors_config={})
        return store

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ConnectionError, TimeoutError, OSError) as exc:
            raise UnavailableError(f"Qdrant is unreachable: {type(exc).__name__}", provider="qdrant",
                                   url=self.location if self.remote else None) from None
        except Exception as exc:
            if type(exc).__name__ in {"ResponseHandlingException", "UnexpectedResponse"}:
                raise UnavailableError(f"Qdrant request failed: {exc}", provider="qdrant",
                                       url=self.location if self.remote else None) from None
            raise

    # --- metadata ------------------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        found = self._call(self.client.retrieve, self.docs_name, ids=[_META_ID], with_payload=True)
        return dict(found[0].payload or {}) if found else {}

    def _put_meta(self, meta: dict[str, Any]) -> None:
        self._call(self.client.upsert, self.docs_name,
                   points=[self.m.PointStruct(id=_META_ID, vector={}, payload={**meta, "kind": "meta"})])

    def roots(self) -> tuple[str, ...]:
        return tuple(self._meta().get("roots") or ())

    def add_root(self, path: str) -> None:
        meta = self._meta()
        roots = list(meta.get("roots") or ())
        if path not in roots:
            self._put_meta({**meta, "roots": [*roots, path]})

    def info(self) -> StoreInfo:
        meta = self._meta()
        chunks = 0
        if self._call(self.client.collection_exists, self.chunks_name):
            chunks = int(self._call(self.client.count, self.chunks_name, exact=True).count)
        docs = len(self.documents())
        return StoreInfo(docs, chunks, meta.get("embedder"), meta.get("dim"), self.location)

    def documents(self) -> dict[str, DocumentRecord]:
        out: dict[str, DocumentRecord] = {}
        offset = None
        flt = self.m.Filter(must=[self.m.FieldCondition(key="kind", match=self.m.MatchValue(value="document"))])
        while True:
            points, offset = self._call(self.client.scroll, self.docs_name, scroll_filter=flt, limit=512,
                                        offset=offset, with_payload=True)
            for p in points:
                d = p.payload or {}
                out[d["doc_id"]] = DocumentRecord(d["doc_id"], d["path"], d["title"], d["label"],
                                                  tuple(d["groups"]), d["version"], d["chunks"], d["source"])
            if offset is None:
                return out

    # --- writes ----------------------------------------------------------------------------------

    def _ensure_chunks(self, dim: int) -> None:
        if self._call(self.client.collection_exists, self.chunks_name):
            return
        m = self.m
        self._call(self.client.create_collection, self.chunks_name,
                   vectors_config={"dense": m.VectorParams(size=dim, distance=m.Distance.COSINE)},
                   sparse_vectors_config={"bm25": m.SparseVectorParams(modifier=m.Modifier.IDF)})
        if self.remote:  # local mode scans everything; a server needs indexes for fast filters
            for key in ("access", "doc_id", "label", "path_parts"):
                self._call(self.client.create_payload_index, self.chunks_name, key, m.PayloadSchemaType.KEYWORD)
            self._call(self.client.create_payload_index, self.chunks_name, "committed", m.PayloadSchemaType.BOOL)

    def _sparse(self, counts: Counter[str], length: int, avglen: float) -> Any:
        k1, b = self.bm25.k1, self.bm25.b
        norm = k1 * (1.0 - b + b * length / max(avglen, 1.0))
        weights: dict[int, float] = {}
        for term, tf in counts.items():
            idx = term_index(term)
            weights[idx] = weights.get(idx, 0.0) + tf * (k1 + 1.0) / (tf + norm)
        return self.m.SparseVector(indices=list(weights), values=list(weights.values()))

    def upsert(self, doc: DocumentRecord, chunks: Sequence[ChunkRecord], *, embedder: str) -> None:
        m = self.m
        meta = self._meta()
        dim = len(chunks[0].vector) if chunks else int(meta.get("dim") or 0)
        if meta.get("embedder") not in (None, embedder) or (meta.get("dim") and dim and meta["dim"] != dim):
            raise ConfigError(f"collection {self.collection!r} was built with embedder {meta.get('embedder')!r} "
                              f"(dim {meta.get('dim')}); now {embedder!r} (dim {dim})", key="rag.embedder",
                              hint="use the same embedder, or ingest into a new collection")
        analysed = [Counter(analyze(bm25_text(c, self.bm25.title_weight))) for c in chunks]
        lengths = [sum(a.values()) for a in analysed]
        total_len = float(meta.get("total_len", 0.0)) + sum(lengths)
        total_chunks = int(meta.get("total_chunks", 0)) + len(chunks)
        avglen = total_len / total_chunks if total_chunks else 1.0
        if dim:
            self._ensure_chunks(dim)
        doc_filter = [m.FieldCondition(key="doc_id", match=m.MatchValue(value=doc.doc_id))]
        if dim:
            # Leftovers of a crashed earlier attempt at this very version would be duplicates.
            self._call(self.client.delete, self.chunks_name, points_selector=m.FilterSelector(filter=m.Filter(
                must=[*doc_filter, m.FieldCondition(key="committed", match=m.MatchValue(value=False))])))
            points = []
            for c, counts, length in zip(chunks, analysed, lengths, strict=True):
                if len(c.vector) != dim:
                    raise ValueError(f"chunk {c.chunk_id} of {doc.path} has a vector of size {len(c.vector)}")
                payload = {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "ordinal": c.ordinal, "text": c.text,
                           "path": c.path, "path_parts": path_parts(c.path), "title": c.title,
                           "section": c.section, "page": c.page, "label": c.label, "groups": list(c.groups),
                           "content_hash": c.content_hash, "access": list(c.access), "version": doc.version,
                           "committed": False}
                points.append(m.PointStruct(id=_point_id(c.chunk_id), payload=payload, vector={
                    "dense": list(c.vector), "bm25": self._sparse(counts, length, avglen)}))
            for i in range(0, len(points), 256):
                self._call(self.client.upsert, self.chunks_name, points=points[i:i + 256], wait=True)
            this_version = m.FieldCondition(key="version", match=m.MatchValue(value=doc.version))
            self._call(self.client.batch_update_points, self.chunks_name, update_operations=[
                m.SetPayloadOperation(set_payload=m.SetPayload(
                    payload={"committed": True}, filter=m.Filter(must=[*doc_filter, this_version]))),
                m.DeleteOperation(delete=m.FilterSelector(filter=m.Filter(must=doc_filter,
                                                                          must_not=[this_version]))),
            ], wait=True)
        self._call(self.client.upsert, self.docs_name, points=[m.PointStruct(
            id=_point_id("doc:" + doc.doc_id), vector={},
            payload={"kind": "document", "doc_id": doc.doc_id, "path": doc.path, "title": doc.title,
                     "label": doc.label, "groups": list(doc.groups), "version": doc.version,
                     "chunks": len(chunks), "source": doc.source})], wait=True)
        self._put_meta({**meta, "embedder": meta.get("embedder") or embedder, "dim": meta.get("dim") or dim or None,
                        "total_len": total_len, "total_chunks": total_chunks})

    def _delete_many(self, doc_ids: Sequence[str]) -> None:
        m = self.m
        if not doc_ids:
            return
        if self._call(self.client.collection_exists, self.chunks_name):
            self._call(self.client.delete, self.chunks_name, points_selector=m.FilterSelector(filter=m.Filter(
                must=[m.FieldCondition(key="doc_id", match=m.MatchAny(any=list(doc_ids)))])), wait=True)
        self._call(self.client.delete, self.docs_name,
                   points_selector=m.PointIdsList(points=[_point_id("doc:" + d) for d in doc_ids]), wait=True)

    def delete(self, doc_id: str) -> bool:
        if doc_id not in self.documents():
            return False
        self._delete_many([doc_id])
        return True

    def prune(self, keep: Callable[[DocumentRecord], bool]) -> list[DocumentRecord]:
        gone = [d for d in self.documents().values() if not keep(d)]
        self._delete_many([d.doc_id for d in gone])
        return gone

    # --- search ----------------------------------------------------------------------------------

    def _filter(self, access: Access, filters: Filters | None) -> Any:
        m = self.m
        must: list[Any] = [m.FieldCondition(key="access", match=m.MatchAny(any=sorted(access.tokens))),
                           m.FieldCondition(key="committed", match=m.MatchValue(value=True))]
        if filters is not None:
            if filters.labels is not None:
                must.append(m.FieldCondition(key="label", match=m.MatchAny(any=sorted(filters.labels))))
            if filters.path_prefix is not None:
                must.append(m.FieldCondition(key="path_parts",
                                             match=m.MatchValue(value=filters.path_prefix.rstrip("/"))))
            if filters.doc_ids is not None:
                must.append(m.FieldCondition(key="doc_id", match=m.MatchAny(any=sorted(filters.doc_ids))))
        return m.Filter(must=must)

    def search(self, query_text: str, query_vector: Sequence[float] | None, k: int, *, access: Access,
               filters: Filters | None = None, mode: SearchMode = "hybrid") -> list[Hit]:
        m = self.m
        if k <= 0 or not access.tokens or not self._call(self.client.collection_exists, self.chunks_name):
            return []
        flt = self._filter(access, filters)
        want = max(k, self.fusion.candidates) if mode == "hybrid" else k
        bm25: list[tuple[str, float]] = []
        dense: list[tuple[str, float]] = []
        if mode in ("hybrid", "bm25"):
            terms = sorted({term_index(t) for t in analyze(query_text)})
            if terms:
                res = self._call(self.client.query_points, self.chunks_name,
                                 query=m.SparseVector(indices=terms, values=[1.0] * len(terms)), using="bm25",
                                 query_filter=flt, search_params=m.SearchParams(idf=m.IdfCorpusParams(corpus=flt)),
                                 limit=want, with_payload=False)
                bm25 = [(str(p.id), float(p.score)) for p in res.points if p.score > 0]
        if mode in ("hybrid", "dense"):
            if query_vector is None:
                if mode == "dense":
                    raise ValueError("dense search needs a query vector")
            else:
                res = self._call(self.client.query_points, self.chunks_name, query=list(query_vector),
                                 using="dense", query_filter=flt, limit=want, with_payload=False)
                dense = [(str(p.id), float(p.score)) for p in res.points]
        if mode == "hybrid":
            chosen = rrf({"bm25": [i for i, _ in bm25], "dense": [i for i, _ in dense]},
                         {"bm25": self.fusion.bm25_weight, "dense": self.fusion.dense_weight}, self.fusion.rrf_k)[:k]
        else:
            chosen = (bm25 if mode == "bm25" else dense)[:k]
        if not chosen:
            return []
        records = {str(r.id): r for r in self._call(self.client.retrieve, self.chunks_name,
                                                    ids=[i for i, _ in chosen], with_payload=True,
                                                    with_vectors=["dense"] if query_vector is not None else False)}
        bm25_of, dense_rank = dict(bm25), {i: r for r, (i, _) in enumerate(dense, 1)}
        bm25_rank = {i: r for r, (i, _) in enumerate(bm25, 1)}
        hits = []
        for pid, score in chosen:
            rec = records.get(pid)
            if rec is None or not (rec.payload or {}).get("committed"):
                continue  # replaced since the query ran
            p = rec.payload or {}
            cos = None
            if query_vector is not None and isinstance(rec.vector, dict) and "dense" in rec.vector:
                vec = rec.vector["dense"]
                cos = float(sum(a * b for a, b in zip(vec, query_vector, strict=True)))
            ranks = {n: r[pid] for n, r in (("bm25", bm25_rank), ("dense", dense_rank)) if pid in r}
            chunk = ChunkRecord(p["chunk_id"], p["doc_id"], p["ordinal"], p["text"], p["path"], p["title"],
                                p["section"], p["page"], p["label"], tuple(p["groups"]), p["content_hash"])
            hits.append(Hit(chunk, score, bm25_of.get(pid), cos, ranks))
        return hits

    def count(self, access: Access) -> int:
        if not access.tokens or not self._call(self.client.collection_exists, self.chunks_name):
            return 0
        return int(self._call(self.client.count, self.chunks_name, count_filter=self._filter(access, None),
                              exact=True).count)

    def close(self) -> None:
        self.client.close()
