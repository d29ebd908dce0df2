"""shoal.tuning (see shared/ARCHITECTURE.md for what this package owns)."""
