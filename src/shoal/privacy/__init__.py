"""shoal.privacy (see shared/ARCHITECTURE.md for what this package owns)."""
