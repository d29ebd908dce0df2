"""Installing entry points for one test, the way a plug-in's package metadata does.

``install(path, {group: {name: "module:attr"}})`` writes a ``*.dist-info`` with those entry points
into ``path`` and puts it on ``sys.path``: ``importlib.metadata`` then finds them exactly as it finds
an installed plug-in's (no registry of ours is patched).
"""

from __future__ import annotations

from pathlib import Path

import pytest


def install(monkeypatch: pytest.MonkeyPatch, root: Path, groups: dict[str, dict[str, str]],
            name: str = "shoal_test_plugin") -> None:
    info = root / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: 0.1\n")
    lines = []
    for group, entries in groups.items():
        lines.append(f"[{group}]")
        lines += [f"{k} = {v}" for k, v in entries.items()]
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines))
    monkeypatch.syspath_prepend(str(root))
