"""The privacy scan's optional C extensions, looked up in one place.

``setup.py`` builds ``_windowfeat``, ``_nametok``, ``_unitscore`` and ``_wordscan`` where a C compiler
is available. Every function in them has a Python twin that gives the same answers (compared in
``tests/privacy/test_fast_paths.py`` and ``test_wordscan.py``), so a missing extension costs speed only.
"""

from __future__ import annotations

import importlib
from typing import Any


def compiled(module: str, name: str) -> Any:
    """``shoal.privacy.<module>.<name>``, or None where that extension was not built (no C compiler)
    or is an older build without the function."""
    try:
        return getattr(importlib.import_module(f"shoal.privacy.{module}"), name)
    except (ImportError, AttributeError):
        return None
