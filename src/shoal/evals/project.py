"""What an eval run reads from the project: its own section, the sections its targets use, the paths.

The wiring builds one from the config (``shoal.wiring.eval_project``); nothing in ``shoal.evals``
sees the whole config. A RAG target retrieves with ``rag``, a route target routes with ``routing``
and scans with ``privacy`` (the safety metrics scan with it too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shoal.evals.config import EvalsConfig
from shoal.paths import Paths
from shoal.privacy.config import PrivacyConfig
from shoal.rag.config import RagConfig
from shoal.routing.config import RoutingConfig


@dataclass(frozen=True, slots=True)
class EvalProject:
    """The config sections and folders an eval run needs, passed explicitly."""

    paths: Paths
    evals: EvalsConfig = field(default_factory=EvalsConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    rag: RagConfig = field(default_factory=RagConfig)

    @property
    def runs_dir(self) -> Path:
        """Where runs are stored: ``evals.runs_dir`` (relative to the config file), else ``<data_dir>/evals/runs``."""
        return self.paths.under_data(self.evals.runs_dir, Path("evals") / "runs")

    @property
    def cache_dir(self) -> Path:
        """The response cache: ``evals.cache_dir``, else ``<data_dir>/evals/cache``."""
        return self.paths.under_data(self.evals.cache_dir, Path("evals") / "cache")
