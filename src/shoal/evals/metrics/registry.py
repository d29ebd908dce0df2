"""The metric registry, fed by the entry-point group ``shoal.metrics`` (name → ``Metric`` subclass).

Built-in metrics register through the same entry points as third-party ones (pyproject.toml), so
adding a metric is one line there and there is no if/elif anywhere. A plug-in metric subclasses
``shoal.evals.metrics.base.Metric`` (``name``, ``group``, ``Params``, ``score``) and registers it::

    [project.entry-points."shoal.metrics"]
    tone = "my_package.metrics:Tone"

Classes are imported when a spec names them, which keeps ``import shoal`` fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from importlib.metadata import entry_points

from pydantic import ValidationError

from shoal.errors import ConfigError, DependencyMissingError
from shoal.evals.metrics.base import Metric, MetricConfig

GROUP = "shoal.metrics"


def metric_names() -> list[str]:
    """Every metric a spec may name (built-in and installed plug-ins)."""
    return sorted({ep.name for ep in entry_points(group=GROUP)})


def metric_class(name: str) -> type[Metric] | None:
    """The class registered as ``name``, or None when nothing is."""
    for ep in entry_points(group=GROUP, name=name):
        try:
            cls = ep.load()
        except ImportError as exc:
            raise DependencyMissingError(f"metric {name!r} cannot be loaded from {ep.value!r}: {exc}",
                                         hint="install the package that provides it") from None
        if not (isinstance(cls, type) and issubclass(cls, Metric)) or cls.name != name:
            raise ConfigError(f"entry point {ep.value!r} for metric {name!r} is not a Metric named {name!r}",
                              hint=f"a {GROUP} entry point names a shoal.evals.metrics.base.Metric subclass "
                                   "whose `name` is the entry point's name")
        return cls
    return None


# Aggregate metrics computed over samples / the whole run rather than per answer; listed so that
# `quality:` may not name them by mistake and the help text can show them.
AGGREGATE_METRICS = ("consistency", "latency_p50_s", "latency_p95_s", "cost_per_1k_usd", "error_rate")


def build_metric(config: MetricConfig, source: str = "(spec)", index: int = 0) -> Metric:
    """Instantiate a metric; unknown names and bad params name the spec key and the fix."""
    cls = metric_class(config.name)
    key = f"metrics.{index}"
    if cls is None:
        names = metric_names()
        close = difflib.get_close_matches(config.name, names, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"available: {', '.join(names)}"
        raise ConfigError(f"unknown metric {config.name!r}", file=source, key=f"{key}.name", hint=hint)
    try:
        return cls(config.params)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        allowed = ", ".join(sorted(cls.Params.model_fields)) or "(none)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown parameter {where!r} for metric {config.name}"
        return_key = f"{key}.params.{where}" if where else f"{key}.params"
        raise ConfigError(msg, file=source, key=return_key, hint=f"parameters of {config.name}: {allowed}") from None


def validate_metrics(configs: Sequence[MetricConfig], source: str) -> None:
    for i, cfg in enumerate(configs):
        build_metric(cfg, source, i)
