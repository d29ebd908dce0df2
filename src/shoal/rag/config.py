"""The `rag:` section of shoal.yaml.

Example::

    rag:
      chunk_size: 900            # characters per chunk (soft limit: paragraphs are kept whole when they fit)
      chunk_overlap: 150
      default_label: internal
      everyone_labels: [public, internal]   # documents with these labels and no groups: visible to all
      rules:                     # first match wins; paths are relative to the collection root
        - glob: "hr/**"
          label: confidential
          groups: [hr]
      store:
        type: embedded           # or qdrant
        # url: http://qdrant:6333, api_key: env:QDRANT_API_KEY, collection_prefix: shoal_
      embedder: minilm
      top_k: 5
      answer:
        mode: auto               # extractive for small models (below), generative otherwise
        extractive_below_params: 1.0e9   # parameter count read from the model id ("135M", "0.5B")
        extractive_models: []    # always extractive (configured names)
        generative_models: []    # always generative
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Entry-point group of the document stores (``shoal.rag.stores.registry`` opens them).
DOCUMENT_STORES_GROUP = "shoal.document_stores"

Label = Literal["public", "internal", "confidential", "restricted"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathRule(_Strict):
    """Files matching ``glob`` get this label/groups (``**`` spans folders).

    The glob matches the file's path relative to the collection root (the folder of the first ingest
    that reached the file, remembered by the collection) or relative to the project folder.
    """

    glob: str = Field(min_length=1)
    label: Label | None = None
    groups: tuple[str, ...] | None = None

    @field_validator("groups")
    @classmethod
    def _clean_groups(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        groups = tuple(sorted({g.strip() for g in value if g.strip()}))
        for g in groups:
            if "," in g:
                raise ValueError(f"group names may not contain commas (got {g!r})")
        return groups


class StoreConfig(_Strict):
    """Where chunks live. ``embedded``: SQLite + numpy under data_dir; ``qdrant``: a Qdrant server/cluster;
    any other name: a plug-in store (entry-point group ``shoal.document_stores``) configured by ``options``."""

    type: str = Field(default="embedded", min_length=1, description="embedded, qdrant, or an installed plug-in")
    url: str | None = Field(default=None, description="Qdrant URL, e.g. http://qdrant:6333")
    path: str | None = Field(default=None, description="Qdrant local-mode folder (no server); tests/demos")
    api_key: str | None = Field(default=None, description="env:NAME or file:PATH, never the key itself")
    collection_prefix: str = "shoal_"
    timeout: float = Field(default=10.0, gt=0)
    options: dict[str, Any] = Field(default_factory=dict, description="settings of a plug-in store")

    @field_validator("type")
    @classmethod
    def _installed(cls, value: str) -> str:
        # Stores are plug-ins, so the known types are the installed entry points.
        known = sorted({ep.name for ep in entry_points(group=DOCUMENT_STORES_GROUP)})
        if known and value not in known:
            raise ValueError(f"unknown store type {value!r}; installed: {', '.join(known)}")
        return value

    @field_validator("api_key")
    @classmethod
    def _reference_only(cls, value: str | None) -> str | None:
        if value is None or value.startswith(("env:", "file:")):
            return value
        raise ValueError("api_key must be a reference such as env:QDRANT_API_KEY; keys are never stored in config")


class FusionConfig(_Strict):
    """Weighted reciprocal rank fusion: score = Σ weight / (k + rank)."""

    rrf_k: int = Field(default=60, ge=1)
    bm25_weight: float = Field(default=1.0, ge=0)
    dense_weight: float = Field(default=1.0, ge=0)
    candidates: int = Field(default=100, ge=1, description="hits taken from each ranker before fusion")


class Bm25Config(_Strict):
    k1: float = Field(default=0.9, gt=0)
    b: float = Field(default=0.4, ge=0, le=1)
    title_weight: int = Field(default=1, ge=0, description="times the title is counted in a chunk's terms")


AnswerMode = Literal["auto", "extractive", "generative"]


class AnswerConfig(_Strict):
    """How a grounded answer is written.

    ``generative``: the serving model writes it from the numbered sources. ``extractive``: no model
    call; the sentences of the retrieved chunks that best answer the question (MiniLM similarity
    plus word overlap) are quoted in document order, each with its ``[n]``. A 135M-parameter model
    cannot follow the grounding rules (it listed "The sources are: 1. [1] 2. [2]"), so ``auto``
    quotes instead of generating for models below ``extractive_below_params``.
    """

    mode: AnswerMode = "auto"
    extractive_below_params: float = Field(
        default=1.0e9, ge=0,
        description="auto: models whose id states fewer parameters (e.g. SmolLM2-135M) answer extractively")
    extractive_models: tuple[str, ...] = Field(default=(), description="configured names always answered extractively")
    generative_models: tuple[str, ...] = Field(default=(), description="configured names always answered generatively")
    max_sentences: int = Field(default=2, ge=1, le=20, description="sentences quoted at most")
    max_chars: int = Field(default=500, ge=50, description="characters quoted at most (the best sentence always)")
    relative_cutoff: float = Field(default=0.85, gt=0, le=1,
                                   description="a further sentence is quoted when it scores at least this share of the best")
    min_score: float = Field(default=0.3, ge=0, le=1,
                             description="below this best score the documents are said not to cover the question")
    dense_weight: float = Field(default=0.6, ge=0, le=1, description="share of embedding similarity in a sentence's "
                                                                        "score; the rest is question-word overlap")


class RagConfig(_Strict):
    """Settings of shoal.rag. Unknown keys are errors (they name the key and the file)."""

    chunk_size: int = Field(default=1000, ge=100, le=20_000, description="target characters per chunk")
    chunk_overlap: int = Field(default=150, ge=0)
    default_label: Label = "internal"
    default_groups: tuple[str, ...] = ()
    everyone_labels: tuple[Label, ...] = ("public", "internal")
    rules: tuple[PathRule, ...] = ()
    collection: str = Field(default="default", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    store: StoreConfig = Field(default_factory=StoreConfig)
    embedder: str = "minilm"
    embed_batch: int = Field(default=64, ge=1)
    top_k: int = Field(default=5, ge=1, le=100)
    min_similarity: float = Field(default=0.2, ge=-1, le=1,
                                  description="cosine below which a hit is not relevant enough to ground an answer")
    bm25: Bm25Config = Field(default_factory=Bm25Config)
    fusion: FusionConfig = Field(default_factory=FusionConfig)
    answer: AnswerConfig = Field(default_factory=AnswerConfig)
    extensions: tuple[str, ...] = (".md", ".markdown", ".txt", ".text", ".rst", ".pdf", ".docx", ".html", ".htm")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> RagConfig:
        if self.chunk_overlap >= self.chunk_size // 2:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be less than half of chunk_size "
                             f"({self.chunk_size})")
        return self
