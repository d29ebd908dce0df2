"""The self-contained HTML report: one file, charts inlined as PNG data URLs, no scripts, no CDN."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from shoal.evals import plots, store
from shoal.evals.aggregate import RunSummary, TargetSummary, item_scores, pareto_front
from shoal.evals.dataset import EvalItem
from shoal.evals.recommend import recommend
from shoal.evals.records import SampleRecord

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;color:#111827;
padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.meta{color:#4b5563;font-size:13px}table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f9fafb}
td.num{text-align:right;font-variant-numeric:tabular-nums}.warn{background:#fef3c7;border:1px solid #f59e0b;
padding:8px 12px;border-radius:6px;margin:8px 0}.ok{color:#15803d}.bad{color:#b91c1c}.und{color:#a16207;font-weight:600}
.charts img{max-width:100%;border:1px solid #e5e7eb;border-radius:6px;margin:6px 0}
details{border:1px solid #e5e7eb;border-radius:6px;margin:6px 0;padding:4px 10px}summary{cursor:pointer;font-size:13px}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:12px;font-family:ui-monospace,Menlo,monospace}
.front{font-weight:700}.pill{display:inline-block;padding:0 6px;border-radius:8px;background:#e5e7eb;font-size:11px}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float | None, nd: int = 3, unit: str = "") -> str:
    return "–" if value is None else f"{value:.{nd}f}{unit}"


def _summary_table(summary: RunSummary) -> str:
    points = [(t.target, t.cost_per_1k_usd or 0.0, t.quality) for t in summary.targets if t.quality is not None]
    front = pareto_front([(n, c, q) for n, c, q in points if q is not None])
    head = ("<tr><th>target</th><th>models</th><th>locality</th><th>quality</th><th>safety</th><th>consistency</th>"
            "<th>p50 s</th><th>p95 s</th><th>tokens in/out</th><th>$ / 1k req</th><th>errors</th>"
            "<th>skipped (budget)</th><th>spent $</th></tr>")
    rows = []
    for t in summary.targets:
        cls = ' class="front"' if t.target in front else ""
        tokens = f"{_num(t.prompt_tokens_mean, 0)} / {_num(t.completion_tokens_mean, 0)}"
        rows.append(
            f"<tr><td{cls}>{_e(t.target)}{' ★' if t.target in front else ''}</td><td>{_e(', '.join(t.models))}</td>"
            f"<td>{_e(', '.join(t.localities))}</td><td class=num>{_num(t.quality)}</td>"
            f"<td class=num>{_num(t.safety)}</td><td class=num>{_num(t.consistency)}</td>"
            f"<td class=num>{_num(t.latency_p50_s, 2)}</td><td class=num>{_num(t.latency_p95_s, 2)}</td>"
            f"<td class=num>{tokens}</td><td class=num>{_num(t.cost_per_1k_usd, 4)}</td>"
            f"<td class=num>{t.errors} ({_num((t.error_rate or 0) * 100, 1)}%)</td>"
            f"<td class=num>{t.skipped_budget}</td><td class=num>{_num(t.spent_usd, 4)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table><p class=meta>★ = on the quality/cost Pareto front.</p>"


def _metric_table(summary: RunSummary) -> str:
    keys = list(summary.metric_groups)
    head = "<tr><th>target</th>" + "".join(
        f"<th>{_e(k)} <span class=pill>{_e(summary.metric_groups[k])}</span></th>" for k in keys) + "</tr>"
    rows = []
    for t in summary.targets:
        cells = []
        for k in keys:
            m = t.metrics.get(k)
            if m is None:
                cells.append("<td>–</td>")
                continue
            extra = []
            if m.undetermined:
                extra.append(f"<span class=und>{m.undetermined} undetermined</span>")
            if m.errors:
                extra.append(f"<span class=bad>{m.errors} errors</span>")
            if m.skipped:
                extra.append(f"{m.skipped} skipped")
            cells.append(f"<td class=num>{_num(m.mean)} <span class=meta>(n={m.n})</span><br>{' · '.join(extra)}</td>")
        rows.append(f"<tr><td>{_e(t.target)}</td>{''.join(cells)}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _warnings(summary: RunSummary) -> str:
    notes = []
    if summary.interrupted:
        notes.append("This run was interrupted: results cover the finished samples only. Run the spec again; "
                     "answers already received are cached and cost nothing.")
    if summary.skipped_budget:
        notes.append(f"Budget cap ${summary.budget_usd} reached: {summary.skipped_budget} sample(s) were "
                     "skipped for budget and are excluded from the scores.")
    und = sum(m.undetermined for t in summary.targets for m in t.metrics.values())
    if und:
        notes.append(f"{und} judgement(s) could not be parsed and are reported as undetermined (not scored).")
    if summary.dataset_issues:
        shown = "<br>".join(_e(i) for i in summary.dataset_issues[:10])
        notes.append(f"{len(summary.dataset_issues)} dataset row(s) were skipped:<br>{shown}")
    return "".join(f'<div class="warn">{n}</div>' for n in notes)


def _drilldown(summary: RunSummary, records: Sequence[SampleRecord], items: Sequence[EvalItem]) -> str:
    targets = [t.target for t in summary.targets]
    scores = item_scores(records, summary.quality_metrics)
    by_pair: dict[tuple[str, str], list[SampleRecord]] = {}
    for r in records:
        by_pair.setdefault((r.item_id, r.target), []).append(r)
    ids = [it.id for it in items] or sorted({r.item_id for r in records})
    item_of = {it.id: it for it in items}
    out = []
    for item_id in ids:
        it = item_of.get(item_id)
        vals = [scores.get((item_id, t)) for t in targets]
        present = [v for v in vals if v is not None]
        spread = (max(present) - min(present)) if present else 0.0
        score_txt = " · ".join(f"{_e(t)} {_num(v, 2)}" for t, v in zip(targets, vals, strict=True))
        prompt = it.prompt if it else item_id
        head = (f"<summary><b>{_e(item_id)}</b> <span class=pill>{_e(it.segment if it else '')}</span> "
                f"{_e(prompt[:110])} — {score_txt}{' · <b>disagree</b>' if spread >= 0.5 else ''}</summary>")
        body = [f"<p><b>Prompt</b></p><pre>{_e(it.input_text if it else item_id)}</pre>"]
        if it and it.reference:
            body.append(f"<p><b>Reference</b></p><pre>{_e(it.reference)}</pre>")
        if it and it.expected_docs:
            body.append(f"<p class=meta>expected documents: {_e(', '.join(it.expected_docs))}</p>")
        cols = "".join(f"<th>{_e(t)}</th>" for t in targets)
        cells = []
        for t in targets:
            recs = by_pair.get((item_id, t), [])
            parts = []
            for r in recs:
                label = f"sample {r.sample}: " if len(recs) > 1 else ""
                if r.status == "error":
                    parts.append(f"<pre class=bad>{label}error: {_e(r.error)}</pre>")
                    continue
                if r.status == "skipped_budget":
                    parts.append(f"<pre class=meta>{label}skipped (budget cap)</pre>")
                    continue
                metric_bits = []
                for k, raw in r.scores.items():
                    st = raw.get("status")
                    if st == "n/a":
                        continue
                    cls = "und" if st == "undetermined" else ("bad" if st in ("error", "skipped") else "")
                    val = _num(raw.get("value"), 2) if raw.get("value") is not None else st
                    metric_bits.append(f'<span class="{cls}" title="{_e(raw.get("detail", ""))}">{_e(k)}={val}</span>')
                docs = ", ".join(f"[{d.get('number')}] {d.get('path')}" for d in r.retrieved)
                parts.append(
                    f"<pre>{_e(label)}{_e(r.output)}</pre><p class=meta>{' '.join(metric_bits)}<br>"
                    f"{_e(r.model)} · {_num(r.latency_s, 2)} s · ${r.cost_usd:.6f}{' · cached' if r.cached else ''}"
                    f"{'<br>retrieved: ' + _e(docs) if docs else ''}"
                    f"{'<br>route: ' + _e(', '.join(r.route_reasons)) if r.route_reasons else ''}</p>")
            cells.append(f"<td>{''.join(parts) or '–'}</td>")
        body.append(f"<table><tr>{cols}</tr><tr>{''.join(cells)}</tr></table>")
        out.append(f"<details>{head}{''.join(body)}</details>")
    return "".join(out)


def _recommendation(summary: RunSummary, records: Sequence[SampleRecord], items: Sequence[EvalItem]) -> str:
    rec = recommend(summary, records, items)
    req = {k: v for k, v in rec.requirements.model_dump().items() if v not in (None, False)}
    if not req:
        return "<p class=meta>No requirements in the spec; add <code>requirements:</code> to get a recommendation.</p>"
    lines = rec.lines()
    first = f"<p><b>{_e(lines[0])}</b></p>"
    rest = "".join(f"<li>{_e(line.lstrip('- ').strip())}</li>" for line in lines[1:])
    reqs = ", ".join(f"{_e(k)} = {_e(v)}" for k, v in req.items())
    return f"<p class=meta>Requirements: {reqs}</p>{first}<ul>{rest}</ul>"


def render_html(summary: RunSummary, records: Sequence[SampleRecord], items: Sequence[EvalItem]) -> str:
    targets: list[TargetSummary] = summary.targets
    charts = [c for c in (plots.quality_vs_cost(targets),
                          plots.latency_distribution([t.target for t in targets], records),
                          plots.segment_scores(targets)) if c]
    imgs = "".join(f'<img alt="chart" src="{c}">' for c in charts)
    meta = (f"run {_e(summary.run_id)} · spec {_e(summary.spec_name)} · dataset {_e(summary.dataset)} "
            f"({summary.n_items} items, {summary.samples} sample(s) each, digest {_e(summary.dataset_digest)}) · "
            f"finished {_e(summary.finished)}<br>spent this run ${summary.spent_usd:.4f} "
            f"(judge ${summary.judge_spent_usd:.4f}) · budget "
            f"{'none' if summary.budget_usd is None else '$' + format(summary.budget_usd, 'g')} · "
            f"{summary.fresh_calls} model call(s), {summary.cache_hits} answer(s) from cache · quality = mean of "
            f"{_e(', '.join(summary.quality_metrics) or 'none')} (errors count 0, budget skips excluded)")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Shoal eval {_e(summary.run_id)}</title>"
            f"<style>{_CSS}</style></head><body><h1>Eval report: {_e(summary.spec_name)}</h1>"
            f"<p class=meta>{meta}</p>{_warnings(summary)}<h2>Summary</h2>{_summary_table(summary)}"
            f"<h2>Recommendation</h2>{_recommendation(summary, records, items)}"
            f"<h2>Charts</h2><div class=charts>{imgs or '<p>No data to plot.</p>'}</div>"
            f"<h2>Metrics</h2>{_metric_table(summary)}"
            f"<h2>Items</h2><p class=meta>Click an item to see every target's answer side by side; hover a "
            f"score for its detail.</p>{_drilldown(summary, records, items)}</body></html>")


def write_html_report(run_dir: Path, summary: RunSummary, records: Sequence[SampleRecord],
                      items: Sequence[EvalItem]) -> Path:
    path = run_dir / store.REPORT
    path.write_text(render_html(summary, records, items), encoding="utf-8")
    return path
