"""End to end on real documents: ingest the 18F handbook (Markdown) and 20 SEC 10-Q PDFs, then ask
the 195 questions of the SEC Q&A set and count how often the right filing is in the top 5.

    python bench/rag_documents.py [--data ../shared/data] [--store embedded|qdrant]

Reports, per corpus: files, chunks, skipped files, seconds and chunks/s through the real ingest
path (loaders, chunking, MiniLM embedding, store writes); for the questions: the share whose
``Source Docs`` pattern (e.g. ``*2023 Q3 NVDA*``) matches a document among the top-5 chunks, for
hybrid search and for BM25 alone measured in the same run (the peer), plus query latency.
Shipped defaults only; nothing is tuned on these questions.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--store", choices=["embedded", "qdrant"], default="embedded")
    parser.add_argument("--skip-handbook", action="store_true", help="only the SEC filings and questions")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from shoal.config import Settings, parse_config
    from shoal.principal import Principal
    from shoal.rag.ingest import Ingestor
    from shoal.rag.search import Searcher
    from shoal.rag.stores import open_store
    from shoal.wiring import catalog as build_catalog

    data = Path(args.data)
    tmp = Path(tempfile.mkdtemp(prefix="shoal-ragdocs-"))
    rag: dict[str, Any] = {"store": {"type": args.store}}
    settings = Settings(parse_config({"data_dir": str(tmp), "rag": rag}), None)
    catalog = build_catalog(settings)
    embedder = catalog.embedding_model(settings.config.rag.embedder)
    embedder.embed_sync(["warm up"])  # model load is not ingest time
    print(f"cores={os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, store={args.store}, "
          f"chunk_size={settings.config.rag.chunk_size}, overlap={settings.config.rag.chunk_overlap}")

    corpora = [("handbook", data / "handbook" / "pages"), ("sec10q", data / "sec10q" / "docs")]
    for name, folder in corpora[1:] if args.skip_handbook else corpora:
        store = open_store(settings.config.rag, settings.paths, name)
        assert store is not None
        summary = Ingestor(settings.config.rag, settings.base_dir, store, embedder).run([folder])
        store.close()
        print(f"{name:9} {summary.files:4d} files, {summary.ingested:4d} ingested, {summary.chunks:5d} chunks, "
              f"{len(summary.skipped)} skipped, {summary.seconds:6.1f} s, "
              f"{summary.chunks / max(summary.seconds, 1e-9):.1f} chunks/s")
        for path, reason in summary.skipped:
            print(f"    skipped {Path(path).name}: {reason}")

    rows = list(csv.DictReader((data / "sec10q" / "qna_data.csv").open(encoding="utf-8-sig")))
    searcher = Searcher(settings.config.rag, settings.paths, catalog)
    found: dict[str, list[bool]] = {"hybrid": [], "bm25": [], "dense": []}
    by_type: dict[str, list[bool]] = {}
    latency: list[float] = []
    for row in rows:
        pattern = row["Source Docs"].strip()
        for mode, oks in found.items():
            t0 = time.perf_counter()
            hits = searcher.search(row["Question"], Principal(), collection="sec10q", k=5, mode=mode)  # type: ignore[arg-type]
            if mode == "hybrid":
                latency.append((time.perf_counter() - t0) * 1000)
            ok = any(fnmatch.fnmatch(Path(h.chunk.path).stem, pattern) for h in hits)
            oks.append(ok)
            if mode == "hybrid":
                by_type.setdefault(row["Question Type"], []).append(ok)
    searcher.close()
    hybrid = statistics.fmean(found["hybrid"])
    print(f"\nSEC 10-Q questions ({len(rows)}): source document in top-5 chunks")
    for mode, oks in found.items():
        share = statistics.fmean(oks)
        print(f"  {mode:7} {share:6.1%}  ({sum(oks)}/{len(oks)})  vs BM25 {share / statistics.fmean(found['bm25']):.2f}x")
    for qtype, oks in sorted(by_type.items()):
        print(f"  hybrid, {qtype}: {statistics.fmean(oks):.1%} ({sum(oks)}/{len(oks)})")
    ordered = sorted(latency)
    print(f"  hybrid query latency p50 {ordered[len(ordered) // 2]:.1f} ms, "
          f"p99 {ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]:.1f} ms; top-5 hybrid share {hybrid:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
