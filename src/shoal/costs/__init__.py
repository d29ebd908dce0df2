"""shoal.costs: what Shoal's traffic costs — self-hosted allocation, and build / buy / blend TCO.

Layer 5: may import errors, models, catalog, privacy, store, routing, rag, pipeline; never evals.
"""
