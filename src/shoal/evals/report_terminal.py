"""Terminal reports (rich tables): one run, and a comparison of two runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shoal.evals.aggregate import RunSummary, item_scores, pareto_front
from shoal.evals.records import SampleRecord


def _n(value: float | None, nd: int = 3) -> str:
    return "–" if value is None else f"{value:.{nd}f}"


def run_tables(summary: RunSummary) -> list[Any]:
    """Renderables for ``shoal eval report``: header, summary table, metric table, warnings."""
    from rich.table import Table
    from rich.text import Text

    points = [(t.target, t.cost_per_1k_usd or 0.0, t.quality) for t in summary.targets if t.quality is not None]
    front = pareto_front([(n, c, q) for n, c, q in points if q is not None])
    out: list[Any] = [Text(
        f"run {summary.run_id} · {summary.spec_name} · {summary.n_items} items × {summary.samples} sample(s) · "
        f"spent ${summary.spent_usd:.4f} (judge ${summary.judge_spent_usd:.4f}) · {summary.fresh_calls} calls, "
        f"{summary.cache_hits} cached", style="bold")]
    table = Table(title="Targets (★ Pareto front of quality vs cost)", title_justify="left")
    for col in ("target", "locality", "quality", "safety", "consist.", "p50 s", "p95 s", "tok in/out",
                "$/1k req", "errors", "skipped"):
        table.add_column(col, justify="left" if col in ("target", "locality") else "right", no_wrap=True)
    for t in summary.targets:
        table.add_row(t.target + (" ★" if t.target in front else ""), ",".join(t.localities), _n(t.quality),
                      _n(t.safety), _n(t.consistency), _n(t.latency_p50_s, 2), _n(t.latency_p95_s, 2),
                      f"{_n(t.prompt_tokens_mean, 0)}/{_n(t.completion_tokens_mean, 0)}", _n(t.cost_per_1k_usd, 4),
                      f"{t.errors}", f"{t.skipped_budget}")
    out.append(table)
    metrics = Table(title=f"Metrics (quality = mean of {', '.join(summary.quality_metrics)})", title_justify="left")
    metrics.add_column("target", no_wrap=True)
    for key, group in summary.metric_groups.items():
        metrics.add_column(f"{key}\n({group})", justify="right")
    for t in summary.targets:
        cells = []
        for key in summary.metric_groups:
            m = t.metrics.get(key)
            if m is None:
                cells.append("–")
                continue
            cell = _n(m.mean)
            if m.undetermined:
                cell += f" ({m.undetermined} undet.)"
            if m.errors:
                cell += f" ({m.errors} err)"
            cells.append(cell)
        metrics.add_row(t.target, *cells)
    out.append(metrics)
    if summary.skipped_budget:
        out.append(Text(f"Budget cap ${summary.budget_usd:g} reached: {summary.skipped_budget} sample(s) skipped "
                        "for budget (excluded from scores).", style="yellow"))
    und = sum(m.undetermined for t in summary.targets for m in t.metrics.values())
    if und:
        out.append(Text(f"{und} judgement(s) undetermined (unparseable judge output) — not scored, not dropped.",
                        style="yellow"))
    if summary.interrupted:
        out.append(Text("Run interrupted: partial results. Re-run the spec; cached answers cost nothing.",
                        style="yellow"))
    if summary.dataset_issues:
        out.append(Text(f"{len(summary.dataset_issues)} dataset row(s) skipped, e.g. {summary.dataset_issues[0]}",
                        style="yellow"))
    return out


def compare_tables(a: RunSummary, ra: Sequence[SampleRecord], b: RunSummary, rb: Sequence[SampleRecord]) -> list[Any]:
    """Per common target: quality/cost/latency deltas and per-item wins/losses (B against A)."""
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = [Text(f"A = {a.run_id} ({a.spec_name}, {a.n_items} items)   "
                           f"B = {b.run_id} ({b.spec_name}, {b.n_items} items)", style="bold")]
    if a.dataset_digest != b.dataset_digest:
        out.append(Text("The runs used different datasets: per-item comparison covers common item ids only.",
                        style="yellow"))
    table = Table(title="B − A per target", title_justify="left")
    for col in ("target", "quality A", "quality B", "Δ quality", "B better / worse / same (items)",
                "Δ p95 s", "Δ $/1k"):
        table.add_column(col, justify="left" if col == "target" else "right")
    qa = item_scores(ra, a.quality_metrics)
    qb = item_scores(rb, b.quality_metrics)
    common = [t.target for t in a.targets if b.target(t.target) is not None]
    for name in common:
        ta, tb = a.target(name), b.target(name)
        assert ta is not None and tb is not None
        pairs = [(qa[k], qb[(k[0], name)]) for k in qa if k[1] == name and qa[k] is not None
                 and qb.get((k[0], name)) is not None]
        wins = sum(1 for x, y in pairs if y is not None and x is not None and y > x + 1e-9)
        losses = sum(1 for x, y in pairs if y is not None and x is not None and y < x - 1e-9)
        dq = None if ta.quality is None or tb.quality is None else tb.quality - ta.quality
        dl = None if ta.latency_p95_s is None or tb.latency_p95_s is None else tb.latency_p95_s - ta.latency_p95_s
        dc = None if ta.cost_per_1k_usd is None or tb.cost_per_1k_usd is None else (
            tb.cost_per_1k_usd - ta.cost_per_1k_usd)
        table.add_row(name, _n(ta.quality), _n(tb.quality), _signed(dq), f"{wins} / {losses} / {len(pairs) - wins - losses}",
                      _signed(dl, 2), _signed(dc, 4))
    out.append(table)
    only = sorted({t.target for t in a.targets} ^ {t.target for t in b.targets})
    if only:
        out.append(Text(f"In one run only: {', '.join(only)}", style="dim"))
    if not common:
        out.append(Text("No target in common.", style="yellow"))
    return out


def _signed(value: float | None, nd: int = 3) -> str:
    return "–" if value is None else f"{value:+.{nd}f}"

