"""Ingest files into a collection: discover, label, load, chunk, embed, upsert — incrementally.

Labels and groups come from configuration only (``rag.rules`` first, then ``--label/--groups``,
then ``rag.default_label``); nothing inside a document can change them, so a page that says
"this document is public" stays as labelled. Each document is written atomically by the store;
unchanged files (same bytes, labels and chunk settings) are skipped; ``prune`` removes documents
whose files are gone. Unreadable files are skipped with a reason and the batch goes on.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from shoal.errors import ConfigError, DependencyMissingError
from shoal.privacy.types import LEVELS, Level, level_rank
from shoal.rag.chunking import chunk_document
from shoal.rag.embedding import embed_texts
from shoal.rag.loaders import LOADERS, UnreadableDocument, load
from shoal.rag.types import ChunkRecord, DocumentRecord

if TYPE_CHECKING:
    from shoal.config import Settings
    from shoal.models.base import EmbeddingModel
    from shoal.rag.config import RagConfig
    from shoal.rag.stores.base import DocumentStore

ANALYZER_VERSION = "1"  # bump when chunking/analysis changes so every file is re-ingested
ProgressFn = Callable[[int, int, str], None]


@dataclass(slots=True)
class IngestSummary:
    collection: str
    files: int = 0
    ingested: int = 0
    unchanged: int = 0
    chunks: int = 0
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class _Pending:
    doc: DocumentRecord
    chunks: list[ChunkRecord]
    embed_inputs: list[str]


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Glob with ``**`` (any folders), ``*`` and ``?`` (within a folder) → anchored regex."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(pattern: str, relpath: str) -> bool:
    return _glob_regex(pattern.lstrip("./") if pattern.startswith("./") else pattern).match(relpath) is not None


def resolve_access(config: RagConfig, relpaths: Sequence[str], label: str | None,
                   groups: Sequence[str] | None) -> tuple[Level, tuple[str, ...]]:
    """Label and groups of a file: first matching rule, then the command line, then the defaults."""
    final_label: str = label or config.default_label
    final_groups: tuple[str, ...] = tuple(groups) if groups is not None else config.default_groups
    for rule in config.rules:
        if any(glob_match(rule.glob, rp) for rp in relpaths):
            if rule.label is not None:
                final_label = rule.label
            if rule.groups is not None:
                final_groups = rule.groups
            break
    if final_label not in LEVELS:
        raise ConfigError(f"unknown label {final_label!r}", key="--label",
                          hint=f"use one of: {', '.join(LEVELS)}")
    return final_label, tuple(sorted({g for g in final_groups if g}))


def discover(paths: Iterable[Path], extensions: Sequence[str]) -> tuple[list[tuple[Path, Path]], list[tuple[str, str]]]:
    """(file, root) pairs to ingest, and (path, reason) for explicit paths that cannot be."""
    found: dict[Path, Path] = {}
    problems: list[tuple[str, str]] = []
    exts = {e.lower() for e in extensions}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            if path.suffix.lower() not in LOADERS:
                problems.append((str(path), f"unsupported file type {path.suffix or '(none)'}"))
            else:
                found.setdefault(path.resolve(), path.resolve().parent)
        elif path.is_dir():
            root = path.resolve()
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))  # .git, .shoal…
                for name in sorted(filenames):
                    if name.startswith("."):
                        continue
                    file = Path(dirpath) / name
                    if file.suffix.lower() in exts and file.suffix.lower() in LOADERS:
                        found.setdefault(file, root)
        else:
            problems.append((str(path), "no such file or folder"))
    return sorted(found.items()), problems


class Ingestor:
    """Runs one ingest into one store with one embedder."""

    def __init__(self, settings: Settings, store: DocumentStore, embedder: EmbeddingModel) -> None:
        self.settings = settings
        self.config = settings.config.rag
        self.store = store
        self.embedder = embedder

    def _display_path(self, file: Path) -> str:
        try:
            return Path(os.path.relpath(file, self.settings.base_dir)).as_posix()
        except ValueError:  # another drive on Windows
            return file.as_posix()

    def _version(self, data: bytes, label: str, groups: tuple[str, ...]) -> str:
        h = hashlib.sha256(data)
        h.update(f"\0{label}\0{','.join(groups)}\0{self.config.chunk_size}\0{self.config.chunk_overlap}"
                 f"\0{self.config.bm25.title_weight}\0{self.embedder.name}\0{ANALYZER_VERSION}".encode())
        return h.hexdigest()[:32]

    def _prepare(self, file: Path, root: Path, label: str | None, groups: Sequence[str] | None,
                 known: dict[str, DocumentRecord], summary: IngestSummary) -> _Pending | None:
        shown = self._display_path(file)
        relpaths = [file.relative_to(root).as_posix(), shown]
        doc_label, doc_groups = resolve_access(self.config, relpaths, label, groups)
        try:
            data = file.read_bytes()
        except OSError as exc:
            summary.skipped.append((shown, f"cannot read file: {exc.strerror or exc}"))
            return None
        doc_id = file.as_posix()
        version = self._version(data, doc_label, doc_groups)
        previous = known.get(doc_id)
        if previous is not None and previous.version == version:
            summary.unchanged += 1
            return None
        try:
            loaded = load(file)
        except UnreadableDocument as exc:
            summary.skipped.append((shown, exc.message))
            return None
        pieces = chunk_document(loaded, self.config.chunk_size, self.config.chunk_overlap)
        if not pieces:
            summary.skipped.append((shown, "no text to index after parsing"))
            return None
        if level_rank(doc_label) >= level_rank("confidential") and not doc_groups:
            summary.warnings.append(f"{shown}: {doc_label} with no groups is visible to nobody "
                                    "(give it --groups or a rule with groups)")
        elif doc_label not in self.config.everyone_labels and not doc_groups:
            summary.warnings.append(f"{shown}: label {doc_label} is not in rag.everyone_labels and has no "
                                    "groups, so nobody can see it")
        doc = DocumentRecord(doc_id, shown, loaded.title, doc_label, doc_groups, version, len(pieces), doc_id)
        chunks = [
            ChunkRecord(hashlib.sha1(f"{doc_id}\0{version}\0{i}".encode()).hexdigest()[:24], doc_id, i, p.text,
                        shown, loaded.title, p.section, p.page, doc_label, doc_groups,
                        hashlib.sha256(p.text.encode()).hexdigest()[:16])
            for i, p in enumerate(pieces)]
        inputs = [f"{loaded.title}\n{p.section}\n{p.text}" if p.section else f"{loaded.title}\n{p.text}"
                  for p in pieces]
        return _Pending(doc, chunks, inputs)

    def _flush(self, pending: list[_Pending], summary: IngestSummary) -> None:
        if not pending:
            return
        texts = [t for p in pending for t in p.embed_inputs]
        vectors = embed_texts(self.embedder, texts)
        if len(vectors) != len(texts):
            raise DependencyMissingError(f"embedder {self.embedder.name!r} returned {len(vectors)} vectors for "
                                         f"{len(texts)} texts")
        offset = 0
        for item in pending:
            n = len(item.chunks)
            chunks = [replace(c, vector=tuple(v)) for c, v in zip(item.chunks, vectors[offset:offset + n], strict=True)]
            offset += n
            self.store.upsert(item.doc, chunks, embedder=self.embedder.name)
            summary.ingested += 1
            summary.chunks += n
        pending.clear()

    def run(self, paths: Sequence[str | Path], *, label: str | None = None, groups: Sequence[str] | None = None,
            prune: bool = False, progress: ProgressFn | None = None) -> IngestSummary:
        start = time.perf_counter()
        summary = IngestSummary(self.store.collection)
        files, problems = discover([Path(p) for p in paths], self.config.extensions)
        summary.skipped.extend(problems)
        summary.files = len(files)
        known = self.store.documents()
        pending: list[_Pending] = []
        queued = 0
        for i, (file, root) in enumerate(files):
            if progress is not None:
                progress(i, len(files), self._display_path(file))
            item = self._prepare(file, root, label, groups, known, summary)
            if item is not None:
                pending.append(item)
                queued += len(item.chunks)
            if queued >= self.config.embed_batch:
                self._flush(pending, summary)
                queued = 0
        self._flush(pending, summary)
        if progress is not None:
            progress(len(files), len(files), "")
        if prune:
            roots = [Path(p).resolve() for p in paths if Path(p).is_dir()]
            seen = {f.as_posix() for f, _ in files}

            def keep(doc: DocumentRecord) -> bool:
                source = Path(doc.source)
                if not source.exists():
                    return False  # the file is gone, wherever it was ingested from
                under = any(source.is_relative_to(r) for r in roots)
                return not under or doc.doc_id in seen

            summary.removed = [d.path for d in self.store.prune(keep)]
        summary.seconds = time.perf_counter() - start
        return summary

