"""Ingest files into a collection: discover, label, load, chunk, embed, upsert — incrementally.

Labels and groups come from configuration only (``rag.rules`` first, then ``--label/--groups``,
then ``rag.default_label``); nothing inside a document can change them, so a page that says
"this document is public" stays as labelled. Rules match a file's path inside the collection —
relative to the collection root remembered at the first ingest that reached it — so re-ingesting
one file or one subfolder gives the same label and groups as ingesting the whole tree; a label
that does change on re-ingest (a rule was edited) is reported. Symbolic links are not followed
unless asked, and never out of the ingested folder. Each document is written atomically by the store;
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
    relabelled: list[tuple[str, str, str]] = field(default_factory=list)  # (path, before, after)
    roots: list[str] = field(default_factory=list)  # collection roots the files were labelled against
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


_LINK_SKIPPED = "symbolic link, not followed (--follow-links follows links that stay inside the folder)"


def _link_problem(link: Path, inside: Path, follow_links: bool) -> str | None:
    """Why the symbolic link ``link`` is not ingested, or None when it may be followed."""
    if not follow_links:
        return _LINK_SKIPPED
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling, or a loop of links
        return "broken symbolic link"
    if not target.is_relative_to(inside):
        return f"symbolic link to a target outside {inside.name or inside}/, not followed"
    return None


def discover(paths: Iterable[Path], extensions: Sequence[str], *, follow_links: bool = False,
             ) -> tuple[list[tuple[Path, Path]], list[tuple[str, str]]]:
    """(file, folder it was found in) pairs to ingest, and (path, reason) for paths that cannot be.

    Symbolic links are skipped and reported unless ``follow_links``; even then a link is followed
    only when its target lies inside the folder being ingested (for a link named on the command
    line: inside the link's own folder), so a link to ``/etc/passwd`` is never indexed. A file
    reached through a link is keyed, labelled and cited by its real path.
    """
    found: dict[Path, Path] = {}
    problems: list[tuple[str, str]] = []
    exts = {e.lower() for e in extensions}
    for raw in paths:
        path = Path(raw)
        if path.is_symlink():
            problem = _link_problem(path, path.absolute().parent.resolve(), follow_links)
            if problem is not None and not (follow_links and path.is_dir()):
                problems.append((str(path), problem))
                continue
        if path.is_file():
            if path.suffix.lower() not in LOADERS:
                problems.append((str(path), f"unsupported file type {path.suffix or '(none)'}"))
            else:
                real = path.resolve()
                found.setdefault(real, real.parent)
        elif path.is_dir():
            _walk(path.resolve(), exts, follow_links, found, problems)
        else:
            problems.append((str(path), "no such file or folder"))
    return sorted(found.items()), problems


def _walk(root: Path, exts: set[str], follow_links: bool, found: dict[Path, Path],
          problems: list[tuple[str, str]]) -> None:
    visited: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow_links):
        real_dir = os.path.realpath(dirpath)
        if real_dir in visited:  # reached again through a link: a loop or a second way in
            dirnames[:] = []
            continue
        visited.add(real_dir)
        kept = []
        for d in sorted(dirnames):
            if d.startswith("."):  # .git, .shoal…
                continue
            folder = Path(dirpath) / d
            problem = _link_problem(folder, root, follow_links) if folder.is_symlink() else None
            if problem is not None:
                problems.append((str(folder), problem))
            else:
                kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            file = Path(dirpath) / name
            if name.startswith(".") or file.suffix.lower() not in exts or file.suffix.lower() not in LOADERS:
                continue
            if file.is_symlink():
                problem = _link_problem(file, root, follow_links)
                if problem is not None:
                    problems.append((str(file), problem))
                    continue
            real = Path(os.path.realpath(file)) if follow_links else file
            if real.is_file():
                found.setdefault(real, root)


def anchor_root(file: Path, roots: Sequence[Path]) -> Path | None:
    """The collection root ``file`` is labelled against: the innermost root that contains it.

    Roots are only ever added for folders outside every existing root, so a file's anchor never
    changes once set: re-ingesting any subset (one file, one subfolder) matches the same rules.
    """
    best: Path | None = None
    for root in roots:
        if file.is_relative_to(root) and (best is None or len(root.parts) > len(best.parts)):
            best = root
    return best


def _access_text(label: str, groups: Sequence[str]) -> str:
    return f"{label} (groups: {', '.join(groups)})" if groups else f"{label} (no groups)"


class Ingestor:
    """Runs one ingest into one store with one embedder."""

    def __init__(self, config: RagConfig, base_dir: Path, store: DocumentStore, embedder: EmbeddingModel) -> None:
        """``config`` is the ``rag:`` section; paths are shown relative to ``base_dir`` (the project folder)."""
        self.config = config
        self.base_dir = base_dir
        self.store = store
        self.embedder = embedder

    def _display_path(self, file: Path) -> str:
        try:
            return Path(os.path.relpath(file, self.base_dir)).as_posix()
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
        previous = known.get(file.as_posix())
        if previous is not None and (previous.label, previous.groups) != (doc_label, doc_groups):
            summary.relabelled.append((shown, _access_text(previous.label, previous.groups),
                                       _access_text(doc_label, doc_groups)))
        try:
            data = file.read_bytes()
        except OSError as exc:
            summary.skipped.append((shown, f"cannot read file: {exc.strerror or exc}"))
            return None
        doc_id = file.as_posix()
        version = self._version(data, doc_label, doc_groups)
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

    def _anchor(self, file: Path, found_in: Path, roots: list[Path], summary: IngestSummary) -> Path:
        """The root ``file``'s rules are matched against; a folder outside every root becomes one."""
        root = anchor_root(file, roots)
        if root is None:
            root = found_in
            self.store.add_root(root.as_posix())
            roots.append(root)
        shown = self._display_path(root)
        if shown not in summary.roots:
            summary.roots.append(shown)
        return root

    def run(self, paths: Sequence[str | Path], *, label: str | None = None, groups: Sequence[str] | None = None,
            prune: bool = False, follow_links: bool = False, progress: ProgressFn | None = None) -> IngestSummary:
        """Ingest ``paths`` (files or folders). Label rules match each file's path relative to the
        collection root that contains it (the folder of the first ingest that reached it; see
        ``anchor_root``), or relative to the project."""
        start = time.perf_counter()
        summary = IngestSummary(self.store.collection)
        files, problems = discover([Path(p) for p in paths], self.config.extensions, follow_links=follow_links)
        summary.skipped.extend(problems)
        summary.files = len(files)
        known = self.store.documents()
        roots = [Path(r) for r in self.store.roots()]
        pending: list[_Pending] = []
        queued = 0
        for i, (file, found_in) in enumerate(files):
            if progress is not None:
                progress(i, len(files), self._display_path(file))
            root = self._anchor(file, found_in, roots, summary)
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

