"""Eval metrics; see ``registry.METRICS`` for the names a spec may use."""
