"""``shoal eval``: run an eval spec, report a run, compare two runs, recommend a model."""

from __future__ import annotations

import json
from typing import Any

import click

from shoal.cli.common import catalog_from, eval_project_from

_SPEC_EXAMPLE = """\b
Spec example (YAML):
  name: handbook
  dataset: handbook.jsonl
  max_tokens: 96
  targets: [{model: local}, {name: rag, rag: {collection: handbook, model: local}}]
  metrics: [token_f1, {name: judge, params: {model: local}}]
  budget_usd: 0.5
  requirements: {min_quality: 0.5, max_p95_latency_s: 10, max_cost_per_1k_usd: 1}
"""


@click.group(name="eval")
def eval_group() -> None:
    """Evaluate models on your own data: run, report, compare, recommend."""


def _config_beside(ctx: click.Context, spec: str) -> None:
    """With no config given or found here, use the ``shoal.yaml`` next to the spec: an eval project
    is a folder, and `shoal eval run examples/evals/handbook.yaml` from anywhere runs it the same
    way as from inside (its models, its index, its state directory)."""
    import os
    from pathlib import Path

    from shoal.config import CONFIG_ENV, DEFAULT_FILE

    root = ctx.find_root()
    obj: dict[str, Any] = root.obj if isinstance(root.obj, dict) else {}
    if obj.get("config_path") or "settings" in obj or os.environ.get(CONFIG_ENV) or Path(DEFAULT_FILE).is_file():
        return
    beside = Path(spec).resolve().parent / DEFAULT_FILE
    if beside.is_file():
        click.echo(f"using {beside} (the config next to the spec)", err=True)
        obj["config_path"] = str(beside)
        root.obj = obj


@eval_group.command("run", epilog=_SPEC_EXAMPLE)
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--run-id", help="Name the run (default: timestamp-specname).")
@click.option("--limit", type=int, help="Only the first N items (a smoke run).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--no-html", is_flag=True, help="Skip writing report.html.")
@click.pass_context
def run_cmd(ctx: click.Context, spec: str, run_id: str | None, limit: int | None, no_progress: bool,
            no_html: bool) -> None:
    """Run SPEC; answers are cached, so re-running pays only for what is missing."""
    from rich.console import Console

    from shoal.evals.recommend import recommend
    from shoal.evals.report_terminal import run_tables
    from shoal.evals.runner import run_eval
    from shoal.evals.spec import LoadedSpec, load_spec

    _config_beside(ctx, spec)
    loaded = load_spec(spec)
    if limit is not None:
        loaded = LoadedSpec(loaded.spec.model_copy(update={"limit": limit}), loaded.path, loaded.raw_text)
    result = run_eval(loaded, eval_project_from(ctx), catalog_from(ctx), run_id=run_id, progress=not no_progress,
                      report=not no_html)
    console = Console()
    for renderable in run_tables(result.summary):
        console.print(renderable)
    rec = recommend(result.summary, result.records, result.items)
    if any(v not in (None, False) for v in rec.requirements.model_dump().values()):
        for line in rec.lines():
            console.print(line, highlight=False)
    console.print(f"run stored in {result.run_dir}" + ("" if no_html else f" (report: {result.run_dir / 'report.html'})"))


@eval_group.command("report")
@click.argument("run")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json instead of tables.")
@click.option("--html", "html_out", is_flag=True, help="(Re)write report.html and print its path.")
@click.pass_context
def report_cmd(ctx: click.Context, run: str, as_json: bool, html_out: bool) -> None:
    """Show a stored RUN (run id, 'latest' or a run directory)."""
    from rich.console import Console

    from shoal.evals.report_terminal import run_tables
    from shoal.evals.runner import load_run

    result = load_run(eval_project_from(ctx).runs_dir, run)
    if as_json:
        click.echo(json.dumps(result.summary.to_json(), indent=2))
        return
    console = Console()
    for renderable in run_tables(result.summary):
        console.print(renderable)
    if html_out:
        from shoal.evals.report_html import write_html_report

        path = write_html_report(result.run_dir, result.summary, result.records, result.items)
        console.print(f"report: {path}")


@eval_group.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@click.pass_context
def compare_cmd(ctx: click.Context, run_a: str, run_b: str) -> None:
    """Compare RUN_B against RUN_A: quality, latency and cost deltas, per-item wins and losses."""
    from rich.console import Console

    from shoal.evals.report_terminal import compare_tables
    from shoal.evals.runner import load_run

    runs = eval_project_from(ctx).runs_dir
    a, b = load_run(runs, run_a), load_run(runs, run_b)
    console = Console()
    for renderable in compare_tables(a.summary, a.records, b.summary, b.records):
        console.print(renderable)


@eval_group.command("recommend")
@click.argument("run")
@click.option("--min-quality", type=float, help="Override the spec's requirement.")
@click.option("--max-p95", type=float, help="p95 latency ceiling in seconds (override).")
@click.option("--max-cost", type=float, help="Cost ceiling in USD per 1,000 requests (override).")
@click.option("--self-hosted/--no-self-hosted", "self_hosted", default=None,
              help="Sensitive data must stay on self-hosted models (override).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def recommend_cmd(ctx: click.Context, run: str, min_quality: float | None, max_p95: float | None,
                  max_cost: float | None, self_hosted: bool | None, as_json: bool) -> None:
    """Name the target or blend that meets the requirements at least cost, and why the others fail."""
    from shoal.evals.recommend import recommend, to_json
    from shoal.evals.runner import load_run
    from shoal.evals.spec import Requirements

    result = load_run(eval_project_from(ctx).runs_dir, run)
    req = dict(result.summary.requirements or {})
    overrides = {"min_quality": min_quality, "max_p95_latency_s": max_p95, "max_cost_per_1k_usd": max_cost,
                 "sensitive_self_hosted": self_hosted}
    req.update({k: v for k, v in overrides.items() if v is not None})
    rec = recommend(result.summary, result.records, result.items, Requirements.model_validate(req))
    if as_json:
        click.echo(json.dumps(to_json(rec), indent=2))
        return
    for line in rec.lines():
        click.echo(line)
