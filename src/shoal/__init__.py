"""Shoal: one interface to every model, privacy-aware routing, RAG, evals and a feedback loop.

The public API is what this module exports; everything else is private by convention and may
change between releases::

    import shoal
    client = shoal.SyncClient.from_config()          # or `async with shoal.Client.from_config()`
    r = client.chat("What is our parental leave?", retrieve=True, principal=shoal.Principal.of(groups="hr"))
    print(r.text, r.route, r.reasons, r.citations, r.cost_usd)

``import shoal`` stays cheap: names load on first use, and heavy parts (llama.cpp, torch, the
gateway) only when a model or server needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from shoal._version import __version__

# name → module that defines it (loaded on first attribute access).
_EXPORTS = {
    "Client": "shoal.client",
    "SyncClient": "shoal.client",
    "ChatResult": "shoal.client",
    "Stream": "shoal.client",
    "Principal": "shoal.principal",
    "Message": "shoal.models.types",
    "ChatRequest": "shoal.models.types",
    "Chunk": "shoal.models.types",
    "Usage": "shoal.models.types",
    "Citation": "shoal.rag.types",
    "Decision": "shoal.routing.types",
    "CallRecord": "shoal.routing.types",
    "ShoalError": "shoal.errors",
    "ConfigError": "shoal.errors",
    "PolicyRefusedError": "shoal.errors",
    "ProviderError": "shoal.errors",
}

__all__ = [
    "CallRecord", "ChatRequest", "ChatResult", "Chunk", "Citation", "Client", "ConfigError", "Decision", "Message",
    "PolicyRefusedError", "Principal", "ProviderError", "ShoalError", "Stream", "SyncClient", "Usage", "__version__",
]

if TYPE_CHECKING:
    from shoal.client import ChatResult, Client, Stream, SyncClient
    from shoal.errors import ConfigError, PolicyRefusedError, ProviderError, ShoalError
    from shoal.models.types import ChatRequest, Chunk, Message, Usage
    from shoal.principal import Principal
    from shoal.rag.types import Citation
    from shoal.routing.types import CallRecord, Decision


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shoal' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
