"""Helpers for the tuning tests: a project directory with its own shoal.yaml, and example builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from shoal.config import Settings, load_settings
from shoal.feedback.examples import Example

SYSTEM = "Route the ticket. Reply with the queue name only."


def ticket(text: str, queue: str | None, **kw: Any) -> Example:
    return Example(messages=(("system", SYSTEM), ("user", text)), completion=queue, **kw)


def write_config(root: Path, extra: dict[str, Any] | None = None) -> Path:
    data: dict[str, Any] = {"data_dir": ".shoal"}
    data.update(extra or {})
    path = root / "shoal.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Settings:
    """Settings of a fresh project in tmp_path (data under tmp_path/.shoal)."""
    return load_settings(write_config(tmp_path))
