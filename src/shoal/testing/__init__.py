"""Conformance suites a store plug-in runs in its own pytest suite (needs pytest).

- ``DocumentStoreConformance``: a RAG ``DocumentStore`` (entry-point group ``shoal.document_stores``);
- ``RequestStoreConformance``: a request-store backend (entry-point group ``shoal.stores``).

Subclass one in a ``Test*`` class and pytest runs every inherited test against your store; Shoal's
own stores run exactly these (tests/rag/test_store_conformance.py, tests/store/test_store.py).
See the README, "Writing a plug-in". Test doubles for models live in ``shoal.models.testing``.
"""

from __future__ import annotations

from shoal.testing.document_store import DocumentStoreConformance
from shoal.testing.request_store import RequestStoreConformance

__all__ = ["DocumentStoreConformance", "RequestStoreConformance"]
