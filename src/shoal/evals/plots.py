"""Charts for the HTML report, drawn with matplotlib's Agg backend into base64 PNG data URLs
(so the report is one self-contained file: no CDN, no scripts)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from shoal.evals.aggregate import TargetSummary, pareto_front, percentile
from shoal.evals.records import SampleRecord

_COLORS = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _to_data_url(fig: Any) -> str:
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def quality_vs_cost(targets: Sequence[TargetSummary]) -> str | None:
    """Scatter of quality against cost per 1,000 requests; the Pareto front is drawn and ringed."""
    pts = [(t.target, t.cost_per_1k_usd or 0.0, t.quality) for t in targets if t.quality is not None]
    if not pts:
        return None
    points = [(n, c, q) for n, c, q in pts if q is not None]
    front = pareto_front(points)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for i, (name, cost, q) in enumerate(points):
        color = _COLORS[i % len(_COLORS)]
        ax.scatter([cost], [q], s=90, color=color, zorder=3)
        if name in front:
            ax.scatter([cost], [q], s=260, facecolors="none", edgecolors="#111827", linewidths=1.5, zorder=4)
        ax.annotate(name, (cost, q), textcoords="offset points", xytext=(8, 6), fontsize=9)
    line = sorted((c, q) for n, c, q in points if n in front)
    if len(line) > 1:
        ax.plot([c for c, _ in line], [q for _, q in line], "--", color="#111827", linewidth=1, zorder=2,
                label="Pareto front")
        ax.legend(loc="lower right", fontsize=8)
    max_cost = max(c for _, c, _ in points)
    ax.set_xlim(-0.05 * (max_cost or 1), (max_cost or 1) * 1.25)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("cost per 1,000 requests (USD)")
    ax.set_ylabel("quality (0–1)")
    ax.set_title("Quality vs cost (ringed: Pareto front)")
    ax.grid(alpha=0.3)
    return _to_data_url(fig)


def latency_distribution(targets: Sequence[str], records: Sequence[SampleRecord]) -> str | None:
    data = [[r.latency_s for r in records if r.target == t and r.status == "ok" and r.latency_s is not None]
            for t in targets]
    if not any(data):
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.6 * len(targets) + 1.6))
    labels = [t for t, d in zip(targets, data, strict=True) if d]
    series = [d for d in data if d]
    bp = ax.boxplot(series, orientation="horizontal", patch_artist=True, showfliers=True)
    ax.set_yticks(range(1, len(labels) + 1), labels)
    for i, patch in enumerate(bp["boxes"]):
        patch.set_facecolor(_COLORS[i % len(_COLORS)])
        patch.set_alpha(0.35)
    for i, d in enumerate(series, 1):
        xs = sorted(d)


        p95 = percentile(xs, 95) or 0.0
        ax.plot([p95], [i], marker="v", color="#111827", markersize=7)
    ax.set_xlabel("latency per answer (s); ▼ = p95 (cached answers keep their original latency)")
    ax.set_title("Latency distribution")
    ax.grid(alpha=0.3, axis="x")
    return _to_data_url(fig)


def segment_scores(targets: Sequence[TargetSummary]) -> str | None:
    segments = sorted({s for t in targets for s in t.segments})
    if not segments:
        return None
    plt = _pyplot()
    height = 0.8 / max(1, len(targets))
    fig, ax = plt.subplots(figsize=(7.5, max(2.2, 0.3 * len(segments) * max(1, len(targets)) + 1.2)))
    for i, t in enumerate(targets):
        offset = (i - (len(targets) - 1) / 2) * height
        vals = [t.segments.get(s) or 0.0 for s in segments]
        ax.barh([j + offset for j in range(len(segments))], vals, height=height,
                color=_COLORS[i % len(_COLORS)], label=t.target)
    ax.set_yticks(range(len(segments)), segments)
    ax.set_ylim(len(segments) - 0.5, -0.5)  # first segment on top
    ax.set_xlim(0, 1)
    ax.set_xlabel("quality (0–1)")
    ax.set_title("Quality per segment")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return _to_data_url(fig)
