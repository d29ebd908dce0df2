"""The model layer: one interface over every provider.

Public API: ``ChatModel``, ``EmbeddingModel``, ``ChatRequest``, ``Message``, ``Completion``,
``Chunk``, ``Usage``, ``ModelSpec``, ``ProviderRegistry``. Adapters live in submodules and are
found through the ``shoal.providers`` entry-point group.
"""

from __future__ import annotations

from shoal.models.base import ChatModel, EmbeddingModel, Provider
from shoal.models.registry import ProviderRegistry
from shoal.models.types import (
    ChatRequest,
    Chunk,
    Completion,
    EmbeddingResult,
    ImagePart,
    Message,
    ModelSpec,
    Pricing,
    TextPart,
    ToolCall,
    Usage,
)

__all__ = [
    "ChatModel", "ChatRequest", "Chunk", "Completion", "EmbeddingModel", "EmbeddingResult", "ImagePart",
    "Message", "ModelSpec", "Pricing", "Provider", "ProviderRegistry", "TextPart", "ToolCall", "Usage",
]
