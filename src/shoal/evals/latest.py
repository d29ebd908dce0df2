"""The quality the latest eval run measured for each model (for cost-of-ownership comparisons)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shoal.errors import ShoalError

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger("shoal.evals")


def latest_model_quality(runs_dir: Path) -> tuple[str | None, dict[str, float]]:
    """(run id, model name → quality) from the most recent run under ``runs_dir``; targets served by
    one model only.

    A model that appears as a target name and as the model of a target keeps the target's score
    under both names, so a config name and a concrete id both find it. No run: ``(None, {})``.
    """
    from shoal.evals.store import read_summary, resolve_run

    try:
        run = resolve_run(runs_dir, "latest")
        summary = read_summary(run)
    except (ShoalError, OSError, ValueError) as exc:
        log.debug("no eval run to take quality from: %s", exc)
        return None, {}
    out: dict[str, float] = {}
    for t in summary.targets:
        if t.quality is None or len(t.models) > 1:
            continue
        out.setdefault(t.target, t.quality)
        for m in t.models:
            out.setdefault(m, t.quality)
    return summary.run_id, out
