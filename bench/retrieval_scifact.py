"""Retrieval quality and speed of shoal.rag on BEIR SciFact (5,183 abstracts, 300 test queries).

    python bench/retrieval_scifact.py [--data ../shared/data/scifact] [--store embedded|qdrant]

Prints nDCG@10 and recall@100 for BM25 alone, dense (all-MiniLM-L6-v2) alone and hybrid (RRF),
next to the published anchors (BM25 0.665-0.679, MiniLM ~0.645) and as ratios to BM25 measured
in the same run; query latency p50/p99 of the whole hybrid path (embed the query + store search)
with the query embedding alone as the floor; ingest throughput (embed + write) in chunks/s.
Parameters are the shipped defaults (BM25 k1=0.9 b=0.4, RRF k=60, equal weights): nothing here
is tuned on the test queries. One chunk per abstract (title + text), as in BEIR.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def load_beir(folder: Path) -> tuple[list[dict[str, str]], dict[str, str], dict[str, dict[str, int]]]:
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (folder / "queries.jsonl").open(encoding="utf-8"))}
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / "test.tsv").open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            qid, did, score = line.rstrip("\n").split("\t")
            qrels.setdefault(qid, {})[did] = int(score)
    return corpus, {q: queries[q] for q in qrels}, qrels


def ndcg_at(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sum(r / math.log2(i + 2) for i, r in enumerate(sorted(rel.values(), reverse=True)[:k]))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], rel: dict[str, int], k: int = 100) -> float:
    return len(set(ranked[:k]) & {d for d, r in rel.items() if r > 0}) / max(1, sum(1 for r in rel.values() if r > 0))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "scifact"))
    parser.add_argument("--store", choices=["embedded", "qdrant"], default="embedded")
    parser.add_argument("--vectors-cache", help="save/load corpus vectors here (.npy) to skip re-embedding")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import numpy as np

    from shoal.config import Settings, parse_config
    from shoal.principal import Principal
    from shoal.rag.embedding import embed_texts
    from shoal.rag.stores import open_store
    from shoal.rag.types import Access, ChunkRecord, DocumentRecord, SearchMode
    from shoal.wiring import catalog as build_catalog

    corpus, queries, qrels = load_beir(Path(args.data))
    print(f"SciFact: {len(corpus)} documents, {len(queries)} test queries, cores={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    tmp = Path(tempfile.mkdtemp(prefix="shoal-scifact-"))
    rag: dict[str, Any] = {"store": {"type": args.store}}
    settings = Settings(parse_config({"data_dir": str(tmp), "rag": rag}), None)
    catalog = build_catalog(settings)
    embedder = catalog.embedding_model(settings.config.rag.embedder)
    store = open_store(settings.config.rag, settings.paths, "scifact")
    assert store is not None
    texts = [f"{d['title']}\n{d['text']}" for d in corpus]

    embed_s = None
    cache = Path(args.vectors_cache) if args.vectors_cache else None
    key = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:12]
    if cache is not None and cache.exists() and cache.with_suffix(".key").read_text() == key:
        vectors = np.load(cache)
    else:
        embed_texts(embedder, ["warm up"])  # model load is not throughput
        t0 = time.perf_counter()
        vectors = np.asarray(embed_texts(embedder, texts), dtype=np.float32)
        embed_s = time.perf_counter() - t0
        if cache is not None:
            np.save(cache, vectors)
            cache.with_suffix(".key").write_text(key)

    t0 = time.perf_counter()
    for d, vec in zip(corpus, vectors, strict=True):
        doc_id = d["_id"]
        text = d["text"]
        chunk = ChunkRecord(doc_id, doc_id, 0, text, doc_id, d["title"], "", None, "public", (),
                            hashlib.sha256(text.encode()).hexdigest()[:16], tuple(float(x) for x in vec))
        store.upsert(DocumentRecord(doc_id, doc_id, d["title"], "public", (), "1", 1, doc_id), [chunk],
                     embedder=embedder.name)
    write_s = time.perf_counter() - t0
    if embed_s is not None:
        print(f"ingest: {len(corpus)} chunks, embed {embed_s:.1f} s + write {write_s:.1f} s = "
              f"{len(corpus) / (embed_s + write_s):.1f} chunks/s (write alone {len(corpus) / write_s:.0f}/s)")
    else:
        print(f"ingest: vectors from cache; write {write_s:.1f} s = {len(corpus) / write_s:.0f} chunks/s")

    access = Access.for_principal(Principal(), settings.config.rag.everyone_labels)
    qvecs = {qid: embed_texts(embedder, [text])[0] for qid, text in queries.items()}
    store.search("warm up", qvecs[next(iter(qvecs))], 10, access=access)  # builds the in-memory snapshot
    results: dict[str, tuple[float, float]] = {}
    modes: tuple[SearchMode, ...] = ("bm25", "dense", "hybrid")
    for mode in modes:
        nd, rc = [], []
        for qid, text in queries.items():
            hits = store.search(text, qvecs[qid], 100, access=access, mode=mode)
            ranked = [h.chunk.doc_id for h in hits]
            nd.append(ndcg_at(ranked, qrels[qid]))
            rc.append(recall_at(ranked, qrels[qid]))
        results[mode] = (statistics.fmean(nd), statistics.fmean(rc))

    # Latency of what a user waits for: embed the question + hybrid search for the top 10.
    full, embed_only, search_only = [], [], []
    for text in queries.values():
        t0 = time.perf_counter()
        vec = embed_texts(embedder, [text])[0]
        t1 = time.perf_counter()
        store.search(text, vec, 10, access=access, mode="hybrid")
        t2 = time.perf_counter()
        full.append((t2 - t0) * 1000)
        embed_only.append((t1 - t0) * 1000)
        search_only.append((t2 - t1) * 1000)
    store.close()

    bm25 = results["bm25"][0]
    print(f"\n{'mode':8} {'nDCG@10':>8} {'R@100':>7} {'vs BM25':>8}   published anchor")
    anchors = {"bm25": "0.665-0.679 (BEIR BM25)", "dense": "~0.645 (all-MiniLM-L6-v2)", "hybrid": "target >= 0.70"}
    for name, (score, rec) in results.items():
        print(f"{name:8} {score:8.4f} {rec:7.4f} {score / bm25:8.3f}   {anchors[name]}")
    print(f"\nquery latency (embed + hybrid top-10, {len(full)} queries): p50 {pct(full, 50):.1f} ms, "
          f"p99 {pct(full, 99):.1f} ms (target p50 <= 30 ms)")
    print(f"  floor = query embedding alone: p50 {pct(embed_only, 50):.1f} ms -> full/floor "
          f"{pct(full, 50) / pct(embed_only, 50):.2f}x; store search alone p50 {pct(search_only, 50):.2f} ms, "
          f"p99 {pct(search_only, 99):.2f} ms")
    ok = results["hybrid"][0] >= 0.70 and pct(full, 50) <= 30
    print("targets met" if ok else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
