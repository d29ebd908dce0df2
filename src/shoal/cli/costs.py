"""``shoal tco``: a month of the observed traffic under Buy, Build and Blend."""

from __future__ import annotations

import html
import io
import time
from typing import Any

import click

from shoal.cli.common import catalog_from, settings_from


def cost_inputs(settings: Any) -> Any:
    """The costs section, router models and eval-quality reader for ``settings``."""
    from shoal.costs.report import CostInputs
    from shoal.evals.latest import latest_model_quality
    from shoal.wiring import eval_project

    router_cfg = settings.config.routing.router
    return CostInputs(settings.config.costs, tuple(router_cfg.models) if router_cfg else (),
                      lambda: latest_model_quality(eval_project(settings).runs_dir))


def describable_specs(catalog: Any) -> list[Any]:
    """Specs of every configured model that can be described (no secrets resolved)."""
    specs = []
    for name in catalog.configured_names():
        try:
            specs.append(catalog.spec(name, resolve_secret=False))
        except Exception:  # noqa: BLE001, S112 - a model that cannot be described is left out of the options
            continue
    return specs


def _money(v: float | None) -> str:
    return "-" if v is None else f"${v:,.2f}"


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


ROWS = (("monthly running cost", "monthly_usd", _money), ("one-off setup", "setup_usd", _money),
        ("confidential requests sent outside", "confidential_outside_share", _pct),
        ("quality (latest eval)", "quality", _num))


def to_csv(report: dict[str, Any]) -> str:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["option", "models", "monthly_usd", "setup_usd", "confidential_outside_share", "quality", "gpus"])
    for o in report["options"]:
        w.writerow([o["name"], " ".join(o["models"]), f"{o['monthly_usd']:.2f}", f"{o['setup_usd']:.2f}",
                    "" if o["confidential_outside_share"] is None else f"{o['confidential_outside_share']:.4f}",
                    "" if o["quality"] is None else f"{o['quality']:.4f}", o["gpus"]])
    return buf.getvalue()


def to_html(report: dict[str, Any]) -> str:
    e = html.escape
    opts = report["options"]
    head = "".join(f"<th>{e(o['name'].title())}<br><small>{e(', '.join(o['models']))}</small></th>" for o in opts)
    rows = "".join(f"<tr><th>{e(label)}</th>" + "".join(f"<td>{e(fmt(o[key]))}</td>" for o in opts) + "</tr>"
                   for label, key, fmt in ROWS)
    lines = "".join(f"<h3>{e(o['name'].title())}</h3><ul>" + "".join(
        f"<li>{e(x['label'])}: {e(_money(x['usd']))}</li>" for x in o["lines"]) + "".join(
        f"<li><em>{e(n)}</em></li>" for n in o["notes"]) + "</ul>" for o in opts)
    assumptions = "".join(f"<tr><td>{e(a['name'])}</td><td>{e(str(a['value']))}</td><td>"
                          f"{'default' if a['default'] else 'shoal.yaml'}</td><td>{e(a['source'])}</td></tr>"
                          for a in report["assumptions"])
    return (f"<!doctype html><meta charset=utf-8><title>Shoal cost of ownership</title>"
            "<style>body{font:14px system-ui;margin:2em}td,th{border:1px solid #ccc;padding:4px 8px}"
            "table{border-collapse:collapse}</style>"
            f"<h1>Cost of ownership: a month of observed traffic</h1><table><tr><th></th>{head}</tr>{rows}</table>"
            f"{lines}<h2>Assumptions</h2><table><tr><th>name</th><th>value</th><th>from</th><th>source of the "
            f"default</th></tr>{assumptions}</table>")


def _print(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    obs = report["observed"]
    opts = report["options"]
    table = Table("", *[f"{o['name'].title()}\n{', '.join(o['models'])}" for o in opts],
                  title=f"a month of the observed traffic ({obs['requests']:,} requests over {obs['hours']:.1f} h, "
                        f"×{report['month_factor']:.2f}; peak {obs['peak_tokens_per_s']:,.1f} tokens/s)")
    for label, key, fmt in ROWS:
        table.add_row(label, *[fmt(o[key]) for o in opts])
    console.print(table)
    for o in opts:
        console.print(f"[bold]{o['name'].title()}[/bold]")
        for x in o["lines"]:
            console.print(f"  {x['label']}: {_money(x['usd'])}")
        for n in o["notes"]:
            console.print(f"  [italic]{n}[/italic]")
    wi = report.get("what_if")
    if wi:
        console.print(f"[bold]What-if: router threshold[/bold] ({wi['requests']:,} router-decided requests, "
                      f"{wi['cheap_model']} vs {wi['strong_model']})")
        for p in wi["points"][::2]:
            console.print(f"  threshold {p['threshold']:.2f}: {p['cheap_share']:.0%} on {wi['cheap_model']}, "
                          f"{_money(p['monthly_usd'])}/month, quality {_num(p['quality'])} "
                          f"({p['quality_delta']:+.3f} vs all on {wi['strong_model']})")
    a = Table("assumption", "value", "from", "source of the default", title="assumptions (costs: in shoal.yaml)")
    for x in report["assumptions"]:
        a.add_row(x["name"], str(x["value"]), "default" if x["default"] else "shoal.yaml", x["source"])
    console.print(a)
    quality_note = f"quality from eval run {report['eval_run']}" if report["eval_run"] else \
        "no eval run yet: quality is unknown (run `shoal eval run SPEC`)"
    console.print(quality_note)


@click.command()
@click.option("--since", default="30d", show_default=True, help="Window start: 30m, 2h, 7d or an ISO date.")
@click.option("--until", help="Window end (ISO date/time; default: now).")
@click.option("--team", help="Only this team's traffic.")
@click.option("--json", "fmt", flag_value="json", help="Print JSON.")
@click.option("--csv", "fmt", flag_value="csv", help="Print CSV (one row per option).")
@click.option("--html", "fmt", flag_value="html", help="Print a self-contained HTML page.")
@click.pass_context
def tco(ctx: click.Context, since: str, until: str | None, team: str | None, fmt: str | None) -> None:
    """Project a month of the observed traffic under Buy, Build and Blend.

    Buy: everything on the strongest external model at list prices. Build: everything on a
    self-hosted model, GPUs sized for the observed peak. Blend: the mix the router produced.
    Every assumption comes from the `costs:` section of shoal.yaml and is printed with its source.
    """
    from shoal.cli.gateway import parse_since
    from shoal.wiring import open_store

    settings = settings_from(ctx)
    start = parse_since(since)
    end = parse_since(until) if until else time.time()
    assert start is not None and end is not None
    store = open_store(settings)
    try:
        from shoal.costs.report import report_for

        report = report_for(store, describable_specs(catalog_from(ctx)), cost_inputs(settings), since=start,
                            until=end, team=team)
    finally:
        store.close()
    if fmt == "json":
        import orjson

        click.echo(orjson.dumps(report).decode())
    elif fmt == "csv":
        click.echo(to_csv(report), nl=False)
    elif fmt == "html":
        click.echo(to_html(report))
    else:
        _print(report)
