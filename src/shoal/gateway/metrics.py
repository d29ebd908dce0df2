"""Prometheus metrics without a client library: plain dicts on the event loop, rendered on scrape.

The gateway is single-threaded per process, so counters need no locks; an observation is a dict
update and a bisect. With several workers each process exposes its own series (scrape each, or
sum by instance). Label values come from configuration (model names, team names, route tags),
never from request bodies — a model name outside the configured ones is counted as ``other`` —
so cardinality stays bounded; API keys are never labels.
"""

from __future__ import annotations

from bisect import bisect_left

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_HELP = {
    "shoal_requests_total": ("counter", "Requests by endpoint, served model, team and HTTP status."),
    "shoal_request_duration_seconds": ("histogram", "Request latency in seconds (to the last byte)."),
    "shoal_tokens_total": ("counter", "Tokens by model, team and kind (prompt/completion)."),
    "shoal_cost_usd_total": ("counter", "Cost in USD by model and team."),
    "shoal_routes_total": ("counter", "Routing decisions by route tag, chosen model and team."),
    "shoal_privacy_total": ("counter", "Requests by sensitivity level, served model and team."),
    "shoal_limit_rejections_total": ("counter", "Requests refused by a budget or rate limit."),
    "shoal_request_log_backlog": ("gauge", "Request records accepted but not yet in the database."),
}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


OTHER = "other"


class Metrics:
    """Counters, a latency histogram and gauges of one process.

    ``models``: the names a ``model`` label may take (the configured models and collections);
    anything else — a name a client made up, a provider's dated model id — is counted as
    ``other``, so clients cannot grow the label set. ``None`` keeps every name (tests).
    """

    def __init__(self, models: frozenset[str] | None = None) -> None:
        self.models = models
        self.counters: dict[str, dict[tuple[tuple[str, str], ...], float]] = {
            name: {} for name, (kind, _) in _HELP.items() if kind == "counter"}
        self.gauges: dict[str, float] = {}
        # labels -> (bucket counts, sum, count)
        self.histogram: dict[tuple[tuple[str, str], ...], tuple[list[int], list[float]]] = {}

    def inc(self, name: str, labels: tuple[tuple[str, str], ...], value: float = 1.0) -> None:
        series = self.counters[name]
        series[labels] = series.get(labels, 0.0) + value

    def observe(self, labels: tuple[tuple[str, str], ...], seconds: float) -> None:
        entry = self.histogram.get(labels)
        if entry is None:
            entry = self.histogram[labels] = ([0] * (len(LATENCY_BUCKETS) + 1), [0.0])
        entry[0][bisect_left(LATENCY_BUCKETS, seconds)] += 1
        entry[1][0] += seconds

    def request(self, *, endpoint: str, model: str, team: str, status: int, seconds: float, route: str,
                sensitivity: str, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        """Everything one finished request contributes."""
        model = self.model_label(model)
        self.inc("shoal_requests_total", (("endpoint", endpoint), ("model", model), ("team", team),
                                          ("status", str(status))))
        self.observe((("endpoint", endpoint), ("model", model)), seconds)
        if prompt_tokens:
            self.inc("shoal_tokens_total", (("model", model), ("team", team), ("kind", "prompt")), prompt_tokens)
        if completion_tokens:
            self.inc("shoal_tokens_total", (("model", model), ("team", team), ("kind", "completion")),
                     completion_tokens)
        if cost_usd:
            self.inc("shoal_cost_usd_total", (("model", model), ("team", team)), cost_usd)
        if route:
            self.inc("shoal_routes_total", (("route", route), ("model", model), ("team", team)))
        if sensitivity:
            self.inc("shoal_privacy_total", (("level", sensitivity), ("model", model), ("team", team)))

    def model_label(self, name: str) -> str:
        if self.models is None or name == "-" or name in self.models:
            return name
        return OTHER

    def render(self) -> bytes:
        lines: list[str] = []
        for name, (kind, help_text) in _HELP.items():
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            if kind == "counter":
                for labels, value in self.counters[name].items():
                    lines.append(f"{name}{self._labels(labels)} {value:.10g}")
            elif kind == "gauge":
                if name in self.gauges:
                    lines.append(f"{name} {self.gauges[name]:.10g}")
            else:
                for labels, (buckets, total) in self.histogram.items():
                    cumulative = 0
                    for bound, count in zip((*LATENCY_BUCKETS, float("inf")), buckets, strict=True):
                        cumulative += count
                        le = "+Inf" if bound == float("inf") else f"{bound:g}"
                        lines.append(f"{name}_bucket{self._labels((*labels, ('le', le)))} {cumulative}")
                    lines.append(f"{name}_sum{self._labels(labels)} {total[0]:.10g}")
                    lines.append(f"{name}_count{self._labels(labels)} {cumulative}")
        return ("\n".join(lines) + "\n").encode()

    @staticmethod
    def _labels(labels: tuple[tuple[str, str], ...]) -> str:
        if not labels:
            return ""
        return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"
