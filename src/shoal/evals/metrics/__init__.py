"""Eval metrics; ``registry.metric_names()`` lists the names a spec may use (entry points ``shoal.metrics``)."""
