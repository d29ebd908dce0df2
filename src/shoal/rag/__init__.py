"""shoal.rag (see shared/ARCHITECTURE.md for what this package owns)."""
