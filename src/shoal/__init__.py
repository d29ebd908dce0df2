"""Shoal: one interface to every model, privacy-aware routing, RAG, evals and a feedback loop.

``import shoal`` stays cheap: heavy parts (llama.cpp, torch, the gateway) load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"
