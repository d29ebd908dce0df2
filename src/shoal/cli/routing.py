"""``shoal route`` (audit a routing decision without calling a model) and ``shoal router train|eval``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from shoal.cli.common import catalog_from, settings_from

if TYPE_CHECKING:
    from shoal.routing.config import RouterTarget
    from shoal.routing.data import ItemTable
    from shoal.routing.policy import PolicyEngine


# --- shoal route ---------------------------------------------------------------------------------


def _decide(engine: PolicyEngine, scanner: Any, text: str, requested: str | None, principal: Any) -> dict[str, Any]:
    from shoal.errors import PolicyRefusedError
    from shoal.models.types import ChatRequest

    sensitivity = scanner.scan(text, ())
    base: dict[str, Any] = {"sensitivity": sensitivity.level, "sensitive": sensitivity.is_sensitive}
    try:
        d = engine.route(ChatRequest.of(text), sensitivity, requested=requested, principal=principal)
    except PolicyRefusedError as exc:
        return {**base, "refused": True, "model": None, "fallbacks": [], "route": "refused",
                "reasons": exc.reasons, "error": exc.message}
    return {**base, "refused": False, "model": d.model, "fallbacks": list(d.fallbacks), "route": d.route,
            "reasons": list(d.reasons)}


@click.command()
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per decision.")
@click.option("-m", "--model", "requested", help="The model the caller asks for (default: auto).")
@click.option("--team", help="Decide as a member of this team.")
@click.option("--segment", help="Decide for this user segment.")
@click.option("--user", help="Decide for this user.")
@click.option("--groups", help="Comma-separated groups of the caller.")
@click.pass_context
def route(ctx: click.Context, text: str, as_json: bool, requested: str | None, team: str | None,
          segment: str | None, user: str | None, groups: str | None) -> None:
    """Show which model would serve TEXT and why — no model is called.

    TEXT `-` reads one prompt per line from stdin and writes one JSON decision per line
    (the prompt itself is not echoed; `n` is its line number).
    """
    from shoal.principal import Principal
    from shoal.privacy.scanner import PrivacyScanner
    from shoal.routing.policy import PolicyEngine

    settings = settings_from(ctx)
    engine = PolicyEngine(settings.config.routing, catalog_from(ctx))
    scanner = PrivacyScanner(settings.config.privacy)
    principal = Principal.of(user=user, groups=groups, team=team, segment=segment)
    if text == "-":
        for n, line in enumerate(sys.stdin, 1):
            prompt = line.rstrip("\n")
            if not prompt.strip():
                continue
            click.echo(json.dumps({"n": n, **_decide(engine, scanner, prompt, requested, principal)},
                                  ensure_ascii=False))
        return
    out = _decide(engine, scanner, text, requested, principal)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    elif out["refused"]:
        click.echo(f"REFUSED  {out['error']}")
        click.echo(f"sensitivity: {out['sensitivity']}")
        click.echo("reasons: " + ", ".join(out["reasons"]))
    else:
        chain = " → ".join([out["model"], *out["fallbacks"]])
        click.echo(f"model: {out['model']}  (route: {out['route']}; chain: {chain})")
        click.echo(f"sensitivity: {out['sensitivity']}")
        click.echo("reasons: " + ", ".join(out["reasons"]))
    if out["refused"]:
        ctx.exit(2)


# --- shoal router --------------------------------------------------------------------------------


@click.group()
def router() -> None:
    """Train and evaluate the learned router from per-item results (CSV or JSONL)."""


def _target(quality: float | None, max_strong_share: float | None) -> RouterTarget:
    from shoal.routing.config import RouterTarget

    if quality is not None and max_strong_share is not None:
        raise click.UsageError("give --quality or --max-strong-share, not both")
    if max_strong_share is not None:
        return RouterTarget(max_strong_share=max_strong_share)
    return RouterTarget(quality=quality if quality is not None else 0.95)


def _parse_scale(scale: str | None) -> tuple[float, float] | None:
    if scale is None:
        return None
    try:
        lo, hi = (float(v) for v in scale.split(","))
    except ValueError:
        raise click.BadParameter("use LOW,HIGH, e.g. 1,10", param_hint="--scale") from None
    return lo, hi


def _report_skipped(table: ItemTable) -> None:
    if table.skipped:
        click.echo(f"warning: skipped {len(table.skipped)} unusable row(s):", err=True)
        for line in table.skipped[:5]:
            click.echo(f"  {line}", err=True)
        if len(table.skipped) > 5:
            click.echo(f"  … and {len(table.skipped) - 5} more", err=True)


def _model_list(weak: str | None, strong: str | None, models: str | None) -> list[str]:
    if models:
        if weak or strong:
            raise click.UsageError("give --models, or --weak and --strong, not both")
        names = [m.strip() for m in models.split(",") if m.strip()]
        if len(names) < 2:
            raise click.UsageError("--models needs at least two names, cheapest first")
        return names
    if not (weak and strong):
        raise click.UsageError("give --weak A --strong B (or --models A,B,C cheapest first)")
    return [weak, strong]


@router.command()
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False),
              help="Per-item results (CSV/JSONL with a prompt column and one score column per model). Repeatable.")
@click.option("--from-eval", "from_eval", multiple=True, help="Use the per-item file of this eval run (id or latest).")
@click.option("--weak", help="Column of the cheaper model.")
@click.option("--strong", help="Column of the stronger model.")
@click.option("--models", help="N models, cheapest first, comma-separated (instead of --weak/--strong).")
@click.option("--out", type=click.Path(dir_okay=False), help="Router file (default: <data_dir>/router.npz).")
@click.option("--quality", type=click.FloatRange(0, 1, min_open=True),
              help="Calibrate to this fraction of the strongest model's quality (default 0.95).")
@click.option("--max-strong-share", type=click.FloatRange(0, 1), help="Calibrate to at most this share of strong calls.")
@click.option("--scale", help="Score range LOW,HIGH for numeric scores (default: the range in the data).")
@click.option("-C", "c", type=click.FloatRange(0, min_open=True), default=1.0, show_default=True,
              help="Inverse regularisation of the logistic heads.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_context
def train(ctx: click.Context, data: tuple[str, ...], from_eval: tuple[str, ...], weak: str | None,
          strong: str | None, models: str | None, out: str | None, quality: float | None,
          max_strong_share: float | None, scale: str | None, c: float, seed: int) -> None:
    """Train a router on per-item results and calibrate its threshold."""
    from shoal.routing.data import load_items
    from shoal.routing.learned import LearnedRouter

    settings = settings_from(ctx)
    names = _model_list(weak, strong, models)
    target = _target(quality, max_strong_share)
    paths: list[str | Path] = list(data)
    if from_eval:
        from shoal.evals.store import per_item_file
        from shoal.wiring import eval_project

        runs = eval_project(settings).runs_dir
        paths.extend(per_item_file(runs, run) for run in from_eval)
    if not paths:
        raise click.UsageError("give --data FILE or --from-eval RUN")
    table = load_items(paths, names, scale=_parse_scale(scale))
    _report_skipped(table)
    try:
        rtr = LearnedRouter.train(table, target=target, c=c, seed=seed)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    dest = Path(out) if out else settings.data_dir / "router.npz"
    rtr.save(dest)
    exp = rtr.expected()
    click.echo(f"trained on {len(table)} items: {' < '.join(names)} (vocabulary {rtr.features.size})")
    click.echo(f"target {target.model_dump(exclude_none=True)} → threshold {rtr.threshold:.3f}; "
               f"out-of-fold quality {100 * (exp['quality_vs_strongest'] or 0):.1f}% of the strongest, calls: "
               + ", ".join(f"{m} {100 * s:.1f}%" for m, s in exp["shares"].items()))
    click.echo(f"wrote {dest} ({dest.stat().st_size / 1024:.0f} KiB)")
    click.echo("use it with:\n  routing:\n    router:\n      file: " + str(dest)
               + "\n      models: [" + ", ".join("<catalog name>" for _ in names) + "]   # cheapest first")


@router.command(name="eval")
@click.option("--router", "router_file", required=True, type=click.Path(dir_okay=False))
@click.option("--data", "data", required=True, multiple=True, type=click.Path(dir_okay=False))
@click.option("--weak", required=True, help="Column of the cheaper model (one of the router's models).")
@click.option("--strong", required=True, help="Column of the stronger model (one of the router's models).")
@click.option("--quality", type=click.FloatRange(0, 1, min_open=True), default=0.95, show_default=True,
              help="Quality target for the strong-share / saving figures.")
@click.option("--scale", help="Score range LOW,HIGH for numeric scores.")
@click.option("--out", "out_prefix", type=click.Path(), default="router-eval", show_default=True,
              help="Write OUT.png and OUT.html (the cost–quality curve).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def evaluate(router_file: str, data: tuple[str, ...], weak: str, strong: str, quality: float, scale: str | None,
             out_prefix: str, as_json: bool) -> None:
    """RouteLLM metrics of a router on any per-item file: APGR, CPT(50/80%), saving at a quality target."""
    import numpy as np

    from shoal.routing.data import load_items
    from shoal.routing.learned import LearnedRouter
    from shoal.routing.metrics import oracle_p_ok, random_p_ok, routing_curve, summarize
    from shoal.routing.report import write_html, write_png

    rtr = LearnedRouter.load(router_file)
    missing = [m for m in (weak, strong) if m not in rtr.models]
    if missing:
        raise click.UsageError(f"the router was trained on {', '.join(rtr.models)}; it knows nothing of "
                               f"{', '.join(missing)}")
    table = load_items(list(data), [weak, strong], scale=_parse_scale(scale))
    _report_skipped(table)
    seen = rtr.seen_in_training(table.prompts)
    if seen:
        click.echo(f"warning: {seen} of {len(set(table.prompts))} distinct prompts were in the router's training "
                   "data; these metrics are optimistic — evaluate on held-out items", err=True)
    iw, is_ = rtr.models.index(weak), rtr.models.index(strong)
    q = np.stack([rtr.quality(p) for p in table.prompts])
    p_ok = (1.0 + q[:, iw] - q[:, is_]) / 2.0
    w, s = table.scores[:, 0], table.scores[:, 1]
    runs = {"router": p_ok, "random": random_p_ok(len(table)), "oracle": oracle_p_ok(w, s)}
    metrics = {k: summarize(v, w, s, quality_target=quality) for k, v in runs.items()}
    curves = {k: routing_curve(v, w, s) for k, v in runs.items()}
    at_threshold = p_ok >= rtr.threshold
    realised = float(np.where(at_threshold, w, s).mean())
    strong_share = float(1 - at_threshold.mean())
    calibrated = {"threshold": rtr.threshold, "strong_share": strong_share,
                  "quality": realised, "quality_vs_strong": realised / float(s.mean()) if s.mean() else None}
    prefix = Path(out_prefix)
    png = write_png(curves, prefix.with_name(prefix.name + ".png"), title=f"{weak} → {strong}")
    notes = [(f"{len(table)} items; weak quality {metrics['router'].weak_quality:.3f}, "
              f"strong {metrics['router'].strong_quality:.3f}"),
             (f"router threshold {rtr.threshold:.3f}: {100 * strong_share:.1f}% strong calls, "
              f"quality {realised:.3f}"),
             f"{seen} distinct prompts were also in the router's training data"]
    page = write_html(curves, metrics, prefix.with_name(prefix.name + ".html"), title=f"Router: {weak} → {strong}",
                      notes=notes)
    if as_json:
        click.echo(json.dumps({"items": len(table), "seen_in_training": seen, "metrics": {k: m.as_dict() for k, m in metrics.items()},
                               "calibrated": calibrated, "png": str(png), "html": str(page)}, indent=2))
        return

    def pct(v: float | None) -> str:
        return "  n/a" if v is None else f"{100 * v:5.1f}%"

    click.echo(f"{len(table)} items; weak {metrics['router'].weak_quality:.3f}, "
               f"strong {metrics['router'].strong_quality:.3f}")
    click.echo(f"{'':8} {'APGR':>6} {'CPT50':>7} {'CPT80':>7} {'strong@' + format(quality, '.0%'):>11} "
               f"{'saving':>7}")
    for k, m in metrics.items():
        click.echo(f"{k:8} {m.apgr:6.3f} {pct(m.cpt50):>7} {pct(m.cpt80):>7} {pct(m.strong_share_at_target):>11} "
                   f"{pct(m.saving_at_target):>7}")
    click.echo(notes[1])
    click.echo(f"wrote {png} and {page}")
