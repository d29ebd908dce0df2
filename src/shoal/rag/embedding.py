"""Calling an ``EmbeddingModel`` from synchronous RAG code, inside or outside an event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Sequence

from shoal.models.base import EmbeddingModel


def embed_texts(model: EmbeddingModel, texts: Sequence[str]) -> list[list[float]]:
    """Vectors for ``texts``. In-process models are called directly (no event loop per query);
    others run their async ``embed`` on a private loop, in a worker thread when a loop is running
    (the gateway calls retrieval from async code)."""
    if not texts:
        return []
    blocking = getattr(model, "embed_blocking", None)
    if callable(blocking):
        vectors: list[list[float]] = blocking(list(texts))
        return vectors
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(model.embed(texts)).vectors
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(model.embed(texts)).vectors).result()
