"""The embedded store: one SQLite file per collection under ``<data_dir>/index/<collection>/``.

SQLite (WAL) is the source of truth: a document's row, its chunks, their BM25 term counts and
float32 vectors are written in ONE transaction, so a crash leaves either the old or the new
version. Searching uses an in-memory snapshot (numpy vectors + term postings) rebuilt whenever
the ``generation`` counter in the database moves, so another process's ingest is seen on the next
query. BM25 is computed here rather than with FTS5 because FTS5's statistics cover every row:
here IDF and average length are computed over the caller's visible chunks only.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from shoal.errors import ConfigError
from shoal.rag.analysis import analyze
from shoal.rag.fusion import rrf
from shoal.rag.stores.base import StoreInfo
from shoal.rag.types import Access, ChunkRecord, DocumentRecord, Filters, Hit, SearchMode

if TYPE_CHECKING:
    from shoal.paths import Paths
    from shoal.rag.config import Bm25Config, FusionConfig, RagConfig

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL, label TEXT NOT NULL,
    groups TEXT NOT NULL, version TEXT NOT NULL, chunks INTEGER NOT NULL, source TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, text TEXT NOT NULL, path TEXT NOT NULL, title TEXT NOT NULL,
    section TEXT NOT NULL, page INTEGER, label TEXT NOT NULL, groups TEXT NOT NULL,
    content_hash TEXT NOT NULL, access TEXT NOT NULL, terms TEXT NOT NULL, length INTEGER NOT NULL,
    vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""
DB_FILE = "index.sqlite3"


def index_dir(data_dir: Path, collection: str) -> Path:
    return data_dir / "index" / collection


def bm25_text(chunk: ChunkRecord, title_weight: int) -> str:
    """What BM25 indexes: the text plus its section heading and (weighted) document title."""
    return "\n".join([*([chunk.title] * title_weight), chunk.section, chunk.text])


@dataclass(slots=True)
class _Snapshot:
    """Read-only search structures for one generation of the database."""

    generation: int
    ids: IntArray  # SQLite row ids, position i ↔ row i of every array below
    vectors: FloatArray  # (n, dim), L2-normalised at ingest
    lengths: FloatArray
    labels: list[str]
    paths: list[str]
    doc_ids: list[str]
    postings: dict[str, tuple[IntArray, FloatArray]]  # term → (positions, term frequencies)
    access: dict[str, IntArray]  # access token → positions
    gathered: dict[bytes, tuple[IntArray, FloatArray]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])


class EmbeddedStore:
    """SQLite + numpy hybrid store. Thread-safe (one lock around the connection)."""

    def __init__(self, path: Path, collection: str, bm25: Bm25Config, fusion: FusionConfig) -> None:
        self.collection = collection
        self.path = path
        self.bm25 = bm25
        self.fusion = fusion
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        # Chunks of confidential documents live here: owner-only (SQLite's -wal/-shm inherit the mode).
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(SCHEMA)
        row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?), ('generation', '0')",
                               (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise ConfigError(f"index {path} has schema {row[0]}, this Shoal reads {SCHEMA_VERSION}",
                              hint=f"delete {path.parent} and ingest again")

    @classmethod
    def open(cls, config: RagConfig, paths: Paths, collection: str, create: bool = True) -> EmbeddedStore | None:
        """The ``shoal.document_stores`` entry point ``embedded``: ``<data_dir>/index/<collection>``."""
        folder = index_dir(paths.data_dir, collection)
        db = folder / DB_FILE
        if not db.exists():
            if not create:
                return None
            folder.mkdir(parents=True, exist_ok=True)
        return cls(db, collection, config.bm25, config.fusion)

    # --- metadata ------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def roots(self) -> tuple[str, ...]:
        with self._lock:
            raw = self._meta("roots")
        return tuple(json.loads(raw)) if raw else ()

    def add_root(self, path: str) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                raw = self._meta("roots")
                roots = json.loads(raw) if raw else []
                if path not in roots:
                    roots.append(path)
                    self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('roots', ?)", (json.dumps(roots),))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def info(self) -> StoreInfo:
        with self._lock:
            docs = self._conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            chunks = self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            dim = self._meta("dim")
            return StoreInfo(int(docs), int(chunks), self._meta("embedder"), int(dim) if dim else None,
                             str(self.path))

    def documents(self) -> dict[str, DocumentRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc_id, path, title, label, groups, version, chunks, source FROM documents").fetchall()
        return {r[0]: DocumentRecord(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], r[6], r[7])
                for r in rows}

    # --- writes ----------------------------------------------------------------------------------

    def _check_embedder(self, embedder: str, dim: int) -> None:
        known, known_dim = self._meta("embedder"), self._meta("dim")
        if known is None:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('embedder', ?), ('dim', ?)",
                               (embedder, str(dim)))
        elif known != embedder or (known_dim and int(known_dim) != dim):
            raise ConfigError(
                f"collection {self.collection!r} was built with embedder {known!r} (dim {known_dim}); "
                f"now {embedder!r} (dim {dim})", key="rag.embedder",
                hint=f"use the same embedder, or delete {self.path.parent} and ingest again")

    def _bump(self) -> None:
        self._conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")

    def upsert(self, doc: DocumentRecord, chunks: Sequence[ChunkRecord], *, embedder: str) -> None:
        rows = []
        dim = len(chunks[0].vector) if chunks else 0
        for c in chunks:
            if len(c.vector) != dim or dim == 0:
                raise ValueError(f"chunk {c.chunk_id} of {doc.path} has a vector of size {len(c.vector)}, "
                                 f"expected {dim}")
            terms = analyze(bm25_text(c, self.bm25.title_weight))
            counts: dict[str, int] = {}
            for t in terms:
                counts[t] = counts.get(t, 0) + 1
            rows.append((c.chunk_id, doc.doc_id, c.ordinal, c.text, c.path, c.title, c.section, c.page,
                         c.label, json.dumps(list(c.groups)), c.content_hash, json.dumps(list(c.access)),
                         json.dumps(counts), len(terms), np.asarray(c.vector, dtype=np.float32).tobytes()))
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if dim:
                    self._check_embedder(embedder, dim)
                self._conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc.doc_id,))
                self._conn.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc.doc_id, doc.path, doc.title, doc.label, json.dumps(list(doc.groups)), doc.version,
                     len(chunks), doc.source))
                self._conn.executemany(
                    "INSERT INTO chunks (chunk_id, doc_id, ordinal, text, path, title, section, page, label, "
                    "groups, content_hash, access, terms, length, vector) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._bump()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _delete_many(self, doc_ids: Sequence[str]) -> int:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                removed = 0
                for doc_id in doc_ids:
                    self._conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                    removed += self._conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,)).rowcount
                if removed:
                    self._bump()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return removed

    def delete(self, doc_id: str) -> bool:
        return self._delete_many([doc_id]) > 0

    def prune(self, keep: Callable[[DocumentRecord], bool]) -> list[DocumentRecord]:
        gone = [d for d in self.documents().values() if not keep(d)]
        self._delete_many([d.doc_id for d in gone])
        return gone

    # --- search ----------------------------------------------------------------------------------

    def _current(self) -> _Snapshot:
        with self._lock:
            generation = int(self._meta("generation") or 0)
            if self._snapshot is not None and self._snapshot.generation == generation:
                return self._snapshot
            rows = self._conn.execute(
                "SELECT id, access, terms, length, vector, label, path, doc_id FROM chunks ORDER BY id").fetchall()
            self._snapshot = self._build(generation, rows)
            return self._snapshot

    @staticmethod
    def _build(generation: int, rows: list[Any]) -> _Snapshot:
        n = len(rows)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
        dim = len(rows[0][4]) // 4 if rows else 0
        vectors = np.frombuffer(b"".join(r[4] for r in rows), dtype=np.float32).reshape(n, dim) if n \
            else np.zeros((0, 0), dtype=np.float32)
        lengths = np.fromiter((r[3] for r in rows), dtype=np.float32, count=n)
        post_pos: dict[str, list[int]] = {}
        post_tf: dict[str, list[float]] = {}
        access: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            for token in json.loads(r[1]):
                access.setdefault(token, []).append(i)
            for term, tf in json.loads(r[2]).items():
                post_pos.setdefault(term, []).append(i)
                post_tf.setdefault(term, []).append(float(tf))
        postings = {t: (np.asarray(p, dtype=np.int64), np.asarray(post_tf[t], dtype=np.float32))
                    for t, p in post_pos.items()}
        return _Snapshot(generation, ids, vectors, lengths, [r[5] for r in rows], [r[6] for r in rows],
                         [r[7] for r in rows], postings,
                         {t: np.asarray(p, dtype=np.int64) for t, p in access.items()})

    @staticmethod
    def _visible(snap: _Snapshot, access: Access, filters: Filters | None) -> npt.NDArray[np.bool_]:
        mask = np.zeros(snap.size, dtype=bool)
        for token in access.tokens:
            positions = snap.access.get(token)
            if positions is not None:
                mask[positions] = True
        if filters is not None:
            if filters.labels is not None:
                mask &= np.fromiter((lb in filters.labels for lb in snap.labels), dtype=bool, count=snap.size)
            if filters.path_prefix is not None:
                prefix = filters.path_prefix.rstrip("/")  # a folder (or file) prefix, at "/" boundaries
                mask &= np.fromiter((p == prefix or p.startswith(prefix + "/") for p in snap.paths), dtype=bool,
                                    count=snap.size)
            if filters.doc_ids is not None:
                mask &= np.fromiter((d in filters.doc_ids for d in snap.doc_ids), dtype=bool, count=snap.size)
        return mask

    def _bm25(self, snap: _Snapshot, text: str, mask: npt.NDArray[np.bool_]) -> tuple[IntArray, FloatArray]:
        """BM25 over visible positions only (IDF and average length from the visible chunks)."""
        n_visible = int(mask.sum())
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        if n_visible == 0:
            return empty
        avgdl = float(snap.lengths[mask].mean()) or 1.0
        k1, b = self.bm25.k1, self.bm25.b
        scores = np.zeros(snap.size, dtype=np.float32)
        for term in set(analyze(text)):
            posting = snap.postings.get(term)
            if posting is None:
                continue
            positions, tfs = posting
            keep = mask[positions]
            positions, tfs = positions[keep], tfs[keep]
            df = positions.shape[0]
            if df == 0:
                continue
            idf = math.log(1.0 + (n_visible - df + 0.5) / (df + 0.5))
            norm = k1 * (1.0 - b + b * snap.lengths[positions] / avgdl)
            scores[positions] += idf * tfs * (k1 + 1.0) / (tfs + norm)  # positions are unique per term
        matched = np.flatnonzero(scores > 0).astype(np.int64)
        return (matched, scores[matched]) if matched.shape[0] else empty

    @staticmethod
    def _dense(snap: _Snapshot, vector: Sequence[float], mask: npt.NDArray[np.bool_]) -> tuple[IntArray, FloatArray]:
        q = np.asarray(vector, dtype=np.float32)
        if snap.vectors.shape[1] != q.shape[0]:
            raise ConfigError(f"query vector has {q.shape[0]} dimensions, the index {snap.vectors.shape[1]}",
                              key="rag.embedder", hint="search with the embedder the collection was built with")
        if mask.all():  # everything visible: no copy of the matrix
            return np.arange(snap.size, dtype=np.int64), (snap.vectors @ q).astype(np.float32)
        # Only visible rows are ever scored. Gathering them costs a copy, so the gathered matrix is
        # kept per visibility pattern (callers with the same groups share it) for this snapshot.
        key = hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).digest()
        cached = snap.gathered.get(key)
        if cached is None:
            positions = np.flatnonzero(mask).astype(np.int64)
            cached = (positions, np.ascontiguousarray(snap.vectors[positions]))
            if len(snap.gathered) >= 8:
                snap.gathered.pop(next(iter(snap.gathered)))
            snap.gathered[key] = cached
        positions, matrix = cached
        return positions, (matrix @ q).astype(np.float32)

    @staticmethod
    def _top(positions: IntArray, scores: FloatArray, k: int) -> list[tuple[int, float]]:
        if positions.shape[0] == 0:
            return []
        k = min(k, positions.shape[0])
        part = np.argpartition(-scores, k - 1)[:k]
        order = part[np.lexsort((positions[part], -scores[part]))]
        return [(int(positions[i]), float(scores[i])) for i in order]

    def search(self, query_text: str, query_vector: Sequence[float] | None, k: int, *, access: Access,
               filters: Filters | None = None, mode: SearchMode = "hybrid") -> list[Hit]:
        snap = self._current()
        if k <= 0 or snap.size == 0:
            return []
        mask = self._visible(snap, access, filters)
        if not mask.any():
            return []
        want = max(k, self.fusion.candidates) if mode == "hybrid" else k
        bm25_ranked: list[tuple[int, float]] = []
        dense_ranked: list[tuple[int, float]] = []
        if mode in ("hybrid", "bm25"):
            bm25_ranked = self._top(*self._bm25(snap, query_text, mask), want)
        if mode in ("hybrid", "dense") and query_vector is not None:
            dense_ranked = self._top(*self._dense(snap, query_vector, mask), want)
        elif mode == "dense":
            raise ValueError("dense search needs a query vector")
        if mode == "bm25":
            chosen = bm25_ranked
        elif mode == "dense":
            chosen = dense_ranked
        else:
            fused = rrf({"bm25": [str(p) for p, _ in bm25_ranked], "dense": [str(p) for p, _ in dense_ranked]},
                        {"bm25": self.fusion.bm25_weight, "dense": self.fusion.dense_weight}, self.fusion.rrf_k)
            chosen = [(int(p), s) for p, s in fused[:k]]
        chosen = chosen[:k]
        bm25_of = dict(bm25_ranked)
        ranks = {"bm25": {p: r for r, (p, _) in enumerate(bm25_ranked, 1)},
                 "dense": {p: r for r, (p, _) in enumerate(dense_ranked, 1)}}
        dense_of: dict[int, float] = {}
        if query_vector is not None and chosen:
            q = np.asarray(query_vector, dtype=np.float32)
            sel = np.asarray([p for p, _ in chosen], dtype=np.int64)
            dense_of = dict(zip(sel.tolist(), (snap.vectors[sel] @ q).tolist(), strict=True))
        records = self._records([int(snap.ids[p]) for p, _ in chosen])
        hits = []
        for pos, score in chosen:
            record = records.get(int(snap.ids[pos]))
            if record is None:  # deleted by another process since the snapshot: skip it
                continue
            hits.append(Hit(record, float(score), bm25_of.get(pos), dense_of.get(pos),
                            {name: r[pos] for name, r in ranks.items() if pos in r}))
        return hits

    def _records(self, row_ids: list[int]) -> dict[int, ChunkRecord]:
        if not row_ids:
            return {}
        marks = ",".join("?" * len(row_ids))
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, chunk_id, doc_id, ordinal, text, path, title, section, page, label, groups, "
                f"content_hash FROM chunks WHERE id IN ({marks})", row_ids).fetchall()
        return {r[0]: ChunkRecord(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], tuple(json.loads(r[10])),
                                  r[11]) for r in rows}

    def count(self, access: Access) -> int:
        snap = self._current()
        return int(self._visible(snap, access, None).sum()) if snap.size else 0

    def close(self) -> None:
        with self._lock:
            self._snapshot = None
            self._conn.close()
