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
    extensions: tuple[str, ...] = (".md", ".markdown", ".txt", ".text", ".rst", ".pdf", ".docx", ".html", ".htm")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> RagConfig:
        if self.chunk_overlap >= self.chunk_size // 2:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be less than half of chunk_size "
                             f"({self.chunk_size})")
        return self
