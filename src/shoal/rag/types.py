"""Data shared by loaders, chunking, stores and retrieval. Plain frozen dataclasses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shoal.models.types import ChatRequest
from shoal.principal import Principal
from shoal.privacy.types import DocLabel, Level

SearchMode = Literal["hybrid", "bm25", "dense"]
EVERYONE_PREFIX = "label:"
GROUP_PREFIX = "group:"


def access_tokens(label: str, groups: Iterable[str]) -> tuple[str, ...]:
    """The tokens stored with a chunk; a caller sees it when they share at least one token.

    A chunk with groups is visible to those groups only, whatever its label. A chunk without groups
    carries its label, which the query side maps to "everyone" when the label is in
    ``everyone_labels`` — resolved at query time so changing that setting needs no re-ingest.
    A confidential chunk with no groups thus matches nobody (fail closed).
    """
    gs = sorted({g for g in groups if g})
    if gs:
        return tuple(GROUP_PREFIX + g for g in gs)
    return (EVERYONE_PREFIX + label,)


@dataclass(frozen=True, slots=True)
class Access:
    """What a caller may see, as the set of access tokens a chunk must share. Built per request."""

    tokens: frozenset[str]
    user: str | None = None

    @staticmethod
    def for_principal(principal: Principal, everyone_labels: Iterable[str]) -> Access:
        tokens = {EVERYONE_PREFIX + label for label in everyone_labels}
        tokens |= {GROUP_PREFIX + g for g in principal.groups if g}
        return Access(frozenset(tokens), principal.user)

    def allows(self, tokens: Iterable[str]) -> bool:
        return any(t in self.tokens for t in tokens)


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of a loaded document: text under one section heading (and on one page, for PDFs)."""

    text: str
    section: str = ""
    page: int | None = None


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    title: str
    blocks: tuple[Block, ...]

    @property
    def char_count(self) -> int:
        return sum(len(b.text.strip()) for b in self.blocks)


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One ingested file. ``doc_id`` is stable for a path; ``version`` changes with content or labels."""

    doc_id: str
    path: str  # as shown in citations (relative to the project when possible)
    title: str
    label: Level
    groups: tuple[str, ...]
    version: str  # hash of file bytes + label + groups + chunking settings
    chunks: int = 0
    source: str = ""  # absolute path on disk, for --prune


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    chunk_id: str
    doc_id: str
    ordinal: int
    text: str
    path: str
    title: str
    section: str
    page: int | None
    label: Level
    groups: tuple[str, ...]
    content_hash: str
    vector: tuple[float, ...] = ()

    @property
    def access(self) -> tuple[str, ...]:
        return access_tokens(self.label, self.groups)


@dataclass(frozen=True, slots=True)
class Filters:
    """Metadata filters, ANDed. ``None`` means no constraint."""

    labels: frozenset[str] | None = None
    path_prefix: str | None = None
    doc_ids: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked chunk. ``score`` is the ranking score of the mode (fused RRF for hybrid)."""

    chunk: ChunkRecord
    score: float
    bm25_score: float | None = None
    dense_score: float | None = None
    ranks: dict[str, int] = field(default_factory=dict)


# --- what retrieval hands the request path (shoal.pipeline's Retriever stage) -----------------------


@dataclass(frozen=True, slots=True)
class Citation:
    """``[n]`` in an answer resolves to this: a document, its section and page."""

    number: int
    path: str
    title: str = ""
    section: str = ""
    page: int | None = None
    label: str = "internal"
    chunk_id: str = ""
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Grounding:
    """What retrieval found for the question: ``passages[i]`` is the text of citation ``i + 1``."""

    question: str
    passages: tuple[str, ...] = ()

    def titles(self, citations: Sequence[Citation]) -> tuple[str, ...]:
        """Each passage's document title and section, for answerers that weigh where a sentence sits."""
        return tuple(" ".join(x for x in (c.title, c.section) if x) for c in citations)


@dataclass(frozen=True, slots=True)
class Augmented:
    """A request grounded in retrieved chunks (or unchanged when nothing was retrieved)."""

    request: ChatRequest
    citations: tuple[Citation, ...] = ()
    doc_labels: tuple[DocLabel, ...] = ()
    retrieved: int = 0  # chunks the caller may see that were used; 0 = answer "not in the documents"
    grounding: Grounding | None = None  # set whenever retrieval ran (no passages: nothing relevant)
