"""Cost–quality curves of routers as a PNG (matplotlib, imported lazily) and a self-contained HTML page.

The HTML draws the curves as inline SVG and embeds nothing remote (no CDN, no scripts), so the
file can be mailed or archived as it is.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

from shoal.errors import DependencyMissingError
from shoal.routing.metrics import Curve, Metrics

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def write_png(curves: Mapping[str, Curve], path: Path, *, title: str) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise DependencyMissingError("matplotlib is needed to write the PNG curve",
                                     hint="pip install 'shoal[routing]' (or use the HTML report)") from None
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    first = next(iter(curves.values()))
    for (name, c), color in zip(curves.items(), COLORS, strict=False):
        ax.plot(100 * c.shares, c.quality, label=name, color=color, linewidth=1.6)
    ax.axhline(first.strong, color="grey", linestyle=":", linewidth=1, label="strong only")
    ax.axhline(0.95 * first.strong, color="grey", linestyle="--", linewidth=1, label="95% of strong")
    ax.set_xlabel("calls to the strong model (%)")
    ax.set_ylabel("quality (mean score)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _svg(curves: Mapping[str, Curve], width: int = 640, height: int = 400) -> str:
    pad_l, pad_r, pad_t, pad_b = 60, 20, 20, 45
    first = next(iter(curves.values()))
    lo = min(min(float(c.quality.min()) for c in curves.values()), first.weak)
    hi = max(max(float(c.quality.max()) for c in curves.values()), first.strong)
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.05 * span, hi + 0.05 * span

    def x(share: float) -> float:
        return pad_l + share * (width - pad_l - pad_r)

    def y(q: float) -> float:
        return pad_t + (hi - q) / (hi - lo) * (height - pad_t - pad_b)

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'),
           (f'<rect x="{pad_l}" y="{pad_t}" width="{width - pad_l - pad_r}" '
            f'height="{height - pad_t - pad_b}" fill="none" stroke="#999"/>')]
    for i in range(6):
        s = i / 5
        out.append(f'<text x="{x(s):.1f}" y="{height - pad_b + 16}" text-anchor="middle">{100 * s:.0f}%</text>')
        q = lo + (hi - lo) * i / 5
        out.append(f'<text x="{pad_l - 6}" y="{y(q) + 4:.1f}" text-anchor="end">{q:.3f}</text>')
    out.append(f'<text x="{(width + pad_l) / 2}" y="{height - 8}" text-anchor="middle">'
               'calls to the strong model</text>')
    for level, dash in ((first.strong, "2,3"), (0.95 * first.strong, "6,4")):
        out.append(f'<line x1="{x(0):.1f}" x2="{x(1):.1f}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
                   f'stroke="#888" stroke-dasharray="{dash}"/>')
    for (name, c), color in zip(curves.items(), COLORS, strict=False):
        pts = " ".join(f"{x(float(s)):.1f},{y(float(q)):.1f}" for s, q in zip(c.shares, c.quality, strict=True))
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.8" points="{pts}">'
                   f"<title>{html.escape(name)}</title></polyline>")
    for i, ((name, _), color) in enumerate(zip(curves.items(), COLORS, strict=False)):
        ly = height - pad_b - 14 * (len(curves) - i) - 6
        out.append(f'<line x1="{width - 150}" x2="{width - 130}" y1="{ly}" y2="{ly}" stroke="{color}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{width - 125}" y="{ly + 4}">{html.escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def write_html(curves: Mapping[str, Curve], metrics: Mapping[str, Metrics], path: Path, *, title: str,
               notes: list[str] | None = None) -> Path:
    rows = "\n".join(
        f"<tr><td>{html.escape(name)}</td><td>{m.apgr:.3f}</td><td>{_pct(m.cpt50)}</td><td>{_pct(m.cpt80)}</td>"
        f"<td>{_pct(m.strong_share_at_target)}</td><td>{_pct(m.saving_at_target)}</td></tr>"
        for name, m in metrics.items())
    target = next(iter(metrics.values())).quality_target if metrics else 0.95
    notes_html = "".join(f"<li>{html.escape(n)}</li>" for n in (notes or []))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}</style></head>
<body><h1>{html.escape(title)}</h1>
{_svg(curves)}
<table><tr><th>router</th><th>APGR</th><th>CPT(50%)</th><th>CPT(80%)</th>
<th>strong calls at {100 * target:.0f}% quality</th><th>saving</th></tr>
{rows}</table>
<ul>{notes_html}</ul>
<p>APGR: area under the performance-gap-recovered curve (random = 0.5). CPT(x): share of strong calls needed
to recover x of the gap between the weak and the strong model. Saving: share of calls not sent to the strong
model at the quality target.</p>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
