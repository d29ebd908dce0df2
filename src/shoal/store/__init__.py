"""shoal.store (see shared/ARCHITECTURE.md for what this package owns)."""
