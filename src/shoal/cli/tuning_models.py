"""``shoal tune``, ``shoal distill`` and ``shoal registry``: train, distil, gate, promote, roll back.

(The feedback and dataset commands are in ``shoal.cli.tuning``; this module holds the ones that
train or serve models, so listing feedback never imports the training stack.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from shoal.cli.common import catalog_from, settings_from

if TYPE_CHECKING:
    from shoal.tuning.lora import TrainProgress


def _hp_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The LoRA hyperparameter flags (defaults come from tuning.lora)."""
    for flag, typ, help_ in reversed([
        ("--rank", int, "LoRA rank r."), ("--alpha", float, "LoRA alpha (scale = alpha / r)."),
        ("--epochs", float, "Passes over the train split (fractions allowed)."),
        ("--learning-rate", float, "Peak learning rate."), ("--batch-size", int, "Examples per step."),
        ("--max-steps", int, "Stop after this many steps."), ("--max-seq-len", int, "Truncate longer examples."),
        ("--threads", int, "CPU threads for torch."), ("--seed", int, "Random seed."),
    ]):
        fn = click.option(flag, type=typ, help=help_)(fn)
    return fn


def _hp(ctx: click.Context, kwargs: dict[str, Any]) -> Any:
    from shoal.tuning.jobs import hyperparameters

    keys = ("rank", "alpha", "epochs", "learning_rate", "batch_size", "max_steps", "max_seq_len", "threads", "seed")
    return hyperparameters(settings_from(ctx).config.tuning, {k: kwargs.get(k) for k in keys})


class _Bar:
    """Progress bar with loss, tokens/s and the time estimate (on stderr)."""

    def __init__(self, label: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=Console(stderr=True))
        self.task: Any = None
        self.announced = False

    def __call__(self, p: TrainProgress) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("train", total=p.total_steps, info="")
        eta = time.strftime("%M:%S", time.gmtime(p.eta_s)) if p.eta_s == p.eta_s else "?"
        self.progress.update(self.task, completed=p.step, info=f"loss {p.loss:.3f} · {p.tokens_per_s:.0f} tok/s · "
                                                                 f"ETA {eta}")
        if not self.announced:
            self.announced = True
            self.progress.console.print(f"estimated training time: {p.eta_s / 60 + p.elapsed_s / 60:.1f} min "
                                        f"({p.total_steps} steps at the first step's pace)")

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()


def _report_training(result: Any, version: Any) -> None:
    m = result.metrics()
    click.echo(f"trained {m['steps']} steps ({m['epochs']} epochs, {m['train_examples']} examples, "
               f"{m['train_tokens']} tokens) in {m['seconds']:.0f} s on {m['device']} ({m['threads']} threads, "
               f"{m['tokens_per_s']} tok/s); loss {m['first_loss']:.3f} → {m['final_loss']:.3f}")
    if version is not None:
        click.echo(f"registered {version.ref} (dataset {version.dataset}, code {version.code_version}); "
                   f"promote with `shoal registry promote {version.ref}`")


@click.group()
def tune() -> None:
    """Fine-tune open models on curated datasets."""


@tune.command("lora")
@click.option("--base", "base_model", default="local", show_default=True, help="A llama_cpp (GGUF) model.")
@click.option("--dataset", "dataset_ref", required=True, help="NAME@vN (or NAME for the latest).")
@click.option("--name", help="Registry name (default: the dataset's name).")
@click.option("--notes", default="")
@click.option("--no-register", is_flag=True, help="Train only; write the adapter to --out.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Also keep the adapter here.")
@_hp_options
@click.pass_context
def tune_lora_cmd(ctx: click.Context, /, base_model: str, dataset_ref: str, name: str | None, notes: str,
                  no_register: bool, out: Path | None, **hp: Any) -> None:
    """LoRA SFT of BASE on the train split; registers a version (adapter as GGUF for llama.cpp)."""
    from shoal.tuning.jobs import tune_lora

    if no_register and out is None:
        raise click.UsageError("--no-register needs --out (where the adapter is written)")
    bar = _Bar("LoRA")
    click.echo(f"loading {base_model} and {dataset_ref}...", err=True)
    try:
        settings = settings_from(ctx)
        result, version = tune_lora(settings.config.tuning, settings.paths, catalog_from(ctx), base_model=base_model,
                                    dataset_ref=dataset_ref, name=name, hp=_hp(ctx, hp), progress=bar,
                                    register=not no_register, out_dir=out, notes=notes)
    finally:
        bar.close()
    _report_training(result, version)


@click.command()
@click.option("--teacher", required=True, help="The model that answers (any configured model).")
@click.option("--student", default="local", show_default=True, help="The llama_cpp model to tune.")
@click.option("--prompts", "prompts_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Dataset and registry name.")
@click.option("--policy", type=click.Choice(["scrub", "drop", "allow_self_hosted"]))
@click.option("--max-tokens", default=256, show_default=True)
@click.option("--concurrency", default=2, show_default=True)
@click.option("--no-train", is_flag=True, help="Stop after building the dataset version.")
@_hp_options
@click.pass_context
def distill(ctx: click.Context, /, teacher: str, student: str, prompts_path: Path, name: str, policy: str | None,
            max_tokens: int, concurrency: int, no_train: bool, **hp: Any) -> None:
    """Collect TEACHER answers to PROMPTS (sensitive prompts never go to an external teacher),
    snapshot them as a dataset version and LoRA-tune STUDENT on it."""
    import asyncio

    from shoal.privacy.scanner import PrivacyScanner
    from shoal.tuning.distill import collect_answers, read_prompts
    from shoal.tuning.jobs import build_dataset, tune_lora

    settings, catalog = settings_from(ctx), catalog_from(ctx)
    policy = policy or settings.config.tuning.scrub_policy
    prompts, issues = read_prompts(prompts_path)
    model = catalog.chat_model(teacher)

    async def run() -> Any:
        try:
            return await collect_answers(model, prompts, PrivacyScanner(settings.config.privacy), policy=policy,
                                         max_tokens=max_tokens, concurrency=concurrency,
                                         placeholder=settings.config.privacy.redact.placeholder)
        finally:
            await catalog.aclose()

    examples, report = asyncio.run(run())
    for issue in [*issues, *report.issues][:10]:
        click.echo(f"note: {issue}", err=True)
    click.echo(f"teacher {teacher} ({model.locality}): {report.summary()}")
    built = build_dataset(settings.config.tuning, settings.config.privacy, settings.paths, name, from_feedback=False,
                          policy=policy, extra=examples)
    click.echo(f"{built.version.ref}: {built.version.manifest['examples']} examples; {built.scrub.summary()}")
    if no_train:
        return
    bar = _Bar("distil")
    try:
        result, version = tune_lora(settings.config.tuning, settings.paths, catalog, base_model=student, dataset_ref=built.version.ref, name=name,
                                    hp=_hp(ctx, hp), progress=bar, notes=f"distilled from {teacher}")
    finally:
        bar.close()
    _report_training(result, version)


# --- registry --------------------------------------------------------------------------------------


def _registry(ctx: click.Context) -> Any:
    from shoal.tuning.registry import open_registry

    settings = settings_from(ctx)
    return open_registry(settings.config.tuning, settings.paths)


@click.group()
def registry() -> None:
    """Model registry: versions with lineage, champion/challenger aliases, gated promotion, rollback."""


@registry.command("list")
@click.argument("name", required=False)
@click.pass_context
def registry_list(ctx: click.Context, name: str | None) -> None:
    """Versions (with aliases, lineage and the last gate verdict)."""
    reg = _registry(ctx)
    names = [name] if name else reg.names()
    if not names:
        click.echo("the registry is empty; train with `shoal tune lora`", err=True)
    for n in names:
        aliases = {v: k for k, v in reg.aliases(n).items()}
        for v in reg.versions(n):
            gate = next((e for e in reversed(v.evals) if e.get("kind") == "gate"), None)
            verdict = "" if gate is None else (
                f"  gate {'PASS' if gate['passed'] else 'REFUSED'} {gate['candidate']['quality']!s:.5} vs "
                f"{gate['champion']['label']} {gate['champion']['quality']!s:.5}")
            tag = f" [{aliases[v.version]}]" if v.version in aliases else ""
            click.echo(f"{v.ref}{tag}  base {v.base_model}  dataset {v.dataset or '-'}  "
                       f"{'adapter' if v.adapter else 'no adapter'}{verdict}")


@registry.command("show")
@click.argument("ref")
@click.pass_context
def registry_show(ctx: click.Context, ref: str) -> None:
    """Full lineage of a version, and the alias history of its model."""
    reg = _registry(ctx)
    version = reg.get(ref)
    click.echo(json.dumps({"version": version.to_json(), "aliases": reg.aliases(version.name),
                           "history": reg.history(version.name)}, indent=2, sort_keys=True))


@registry.command("register")
@click.argument("name")
@click.option("--base", "base_model", default="local", show_default=True)
@click.option("--adapter", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A directory with adapter.gguf (default: the base model as it is).")
@click.option("--dataset", "dataset_ref", help="A dataset version whose held-out split gates this version.")
@click.option("--notes", default="")
@click.pass_context
def registry_register(ctx: click.Context, name: str, base_model: str, adapter: Path | None, dataset_ref: str | None,
                      notes: str) -> None:
    """Register the base model itself (or an existing adapter) as a version of NAME."""
    from shoal.tuning.datasets import dataset_store
    from shoal.tuning.jobs import resolve_base

    settings = settings_from(ctx)
    data = dataset_store(settings.config.tuning, settings.paths).get(dataset_ref) if dataset_ref else None
    version = _registry(ctx).register(
        name, base_model=base_model, base_path=resolve_base(catalog_from(ctx), base_model), adapter_dir=adapter,
        dataset=data.ref if data else None, dataset_sha256=data.content_hash if data else None, notes=notes,
        self_hosted_only=bool(data and data.self_hosted_only))
    click.echo(f"registered {version.ref}")


@registry.command("gate")
@click.argument("ref")
@click.option("--no-progress", is_flag=True)
@click.pass_context
def registry_gate(ctx: click.Context, ref: str, no_progress: bool) -> None:
    """Run the eval gate for REF without promoting it."""
    from shoal.wiring import run_gate

    decision = run_gate(settings_from(ctx), _registry(ctx), ref, progress=not no_progress)
    click.echo(decision.summary())
    ctx.exit(0 if decision.passed else 2)


@registry.command("promote")
@click.argument("ref")
@click.option("--force", is_flag=True, help="Skip the gate (needs --reason, which is recorded).")
@click.option("--reason", help="Why the gate is skipped.")
@click.option("--no-progress", is_flag=True)
@click.pass_context
def registry_promote(ctx: click.Context, ref: str, force: bool, reason: str | None, no_progress: bool) -> None:
    """Make REF the champion if it beats the current one on the held-out split (exit 2 when refused)."""
    from shoal.wiring import run_gate

    reg = _registry(ctx)
    if force:
        if not reason or not reason.strip():
            raise click.UsageError("--force needs --reason '...' (it is recorded in the registry history)")
        version = reg.set_alias(ref, "champion", action="force-promote", reason=reason.strip())
        click.echo(f"{version.ref} is now the champion (gate skipped: {reason.strip()})")
        return
    decision = run_gate(settings_from(ctx), reg, ref, progress=not no_progress)
    click.echo(decision.summary())
    if not decision.passed:
        click.echo("refused: the champion stays; fix the model or use --force --reason '...'", err=True)
        ctx.exit(2)
    version = reg.set_alias(ref, "champion", action="promote", gate=decision.to_json())
    click.echo(f"{version.ref} is now the champion")


@registry.command("challenger")
@click.argument("ref")
@click.option("--clear", is_flag=True, help="Remove the challenger of REF's model.")
@click.pass_context
def registry_challenger(ctx: click.Context, ref: str, clear: bool) -> None:
    """Make REF the challenger: it gets tuning.canary_share of the champion alias's traffic."""
    reg = _registry(ctx)
    if clear:
        from shoal.tuning.registry import parse_model_ref

        reg.clear_alias(parse_model_ref(ref)[0], "challenger")
        click.echo("challenger cleared")
        return
    version = reg.set_alias(ref, "challenger", action="set-challenger")
    click.echo(f"{version.ref} is the challenger (canary share {settings_from(ctx).config.tuning.canary_share:g})")


@registry.command("rollback")
@click.argument("name")
@click.option("--to", "to_version", type=int, help="Version number (default: the previous champion).")
@click.option("--reason")
@click.pass_context
def registry_rollback(ctx: click.Context, name: str, to_version: int | None, reason: str | None) -> None:
    """Make the previous champion of NAME the champion again."""
    version = _registry(ctx).rollback(name, to=to_version, reason=reason)
    click.echo(f"rolled back: {version.ref} is the champion")


@registry.command("usage")
@click.argument("model")
@click.option("--since-hours", type=float)
@click.option("--no-segments", is_flag=True)
@click.pass_context
def registry_usage(ctx: click.Context, model: str, since_hours: float | None, no_segments: bool) -> None:
    """Requests, cost and feedback rates per served version of the configured MODEL (canary report)."""
    from shoal.tuning.rollout import report_for_model
    from shoal.wiring import open_store

    since = time.time() - since_hours * 3600 if since_hours else None
    store = open_store(settings_from(ctx))
    try:
        rows = report_for_model(store, model, since=since, by_segment=not no_segments)
    finally:
        store.close()
    click.echo(f"{'version':<22}{'segment':<12}{'requests':>9}{'errors':>7}{'tokens':>9}{'cost $':>10}"
               f"{'feedback':>9}{'down %':>8}{'fixes':>6}")
    for r in rows:
        down = "-" if r.down_rate is None else f"{100 * r.down_rate:.0f}"
        click.echo(f"{r.version:<22}{r.segment:<12}{r.requests:>9}{r.errors:>7}"
                   f"{r.prompt_tokens + r.completion_tokens:>9}{r.cost_usd:>10.4f}{r.feedback:>9}{down:>8}"
                   f"{r.corrections:>6}")
