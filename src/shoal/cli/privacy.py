"""``shoal privacy train`` (adapt the sensitivity model to a team's labelled prompts) and ``shoal privacy eval``."""

from __future__ import annotations

from pathlib import Path

import click

from shoal.cli.common import settings_from


@click.group()
def privacy() -> None:
    """The learned sensitivity model: adapt it to your prompts, measure it on a labelled file."""


@privacy.command()
@click.option("--data", "data_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help='Labelled prompts, JSON Lines: {"text": "...", "label": "public" | "sensitive"} per line.')
@click.option("--out", type=click.Path(dir_okay=False),
              help="Model file (default: privacy.model.path from the config, else <data_dir>/privacy-model.npz).")
@click.option("--generated", default=40_000, show_default=True, type=click.IntRange(1000, 500_000),
              help="How many generated prompts to train on beside yours.")
@click.option("--weight", default=5.0, show_default=True, type=click.FloatRange(0.1, 100),
              help="How much one of your prompts weighs against one generated prompt.")
@click.option("--seed", default=7, show_default=True, type=int)
@click.pass_context
def train(ctx: click.Context, data_path: str, out: str | None, generated: int, weight: float, seed: int) -> None:
    """Retrain the sensitivity model on generated prompts plus your labelled ones."""
    from shoal.errors import ConfigError
    from shoal.privacy.train import read_labelled, train_model

    settings = settings_from(ctx)
    configured = settings.config.privacy.model.path
    dest = Path(out) if out else Path(configured).expanduser() if configured else settings.data_dir / "privacy-model.npz"
    team = read_labelled(Path(data_path))
    try:
        import faker  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"training needs {exc.name}",
                          hint="pip install 'shoal[privacy-data,routing]' (Faker and scikit-learn)") from exc
    model = train_model(team, n=generated, seed=seed, team_weight=weight,
                        log=lambda msg: click.echo(msg, err=True))
    model.save(dest)
    click.echo(f"wrote {dest} ({len(team)} of your prompts, threshold {model.threshold:.3f})")
    if not configured or Path(configured).expanduser() != dest:
        click.echo("use it with:\n  privacy:\n    model:\n      path: " + str(dest))


@privacy.command(name="eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--split", help="Only rows whose \"split\" field has this value (e.g. dev).")
@click.option("--show", default=0, show_default=True, type=int, help="Print up to N leaks and N false pins.")
@click.pass_context
def eval_cmd(ctx: click.Context, file: str, split: str | None, show: int) -> None:
    """Leaks, false pins and the confusion table of the configured scan on a labelled JSONL FILE."""
    import json

    from shoal.privacy.evaluate import evaluate
    from shoal.privacy.scanner import PrivacyScanner
    from shoal.privacy.train import read_labelled

    settings = settings_from(ctx)
    items = read_labelled(Path(file))
    if split:
        splits = [json.loads(line).get("split") for line in Path(file).read_text(encoding="utf-8").splitlines()
                  if line.strip()]
        items = [item for item, s in zip(items, splits, strict=True) if s == split]
        if not items:
            raise click.UsageError(f"no rows with split {split!r} in {Path(file).name}")
    scanner = PrivacyScanner(settings.config.privacy)
    report = evaluate(items, lambda text: scanner.scan(text).is_sensitive)
    click.echo(f"{len(items)} prompts from {Path(file).name}" + (f" (split {split})" if split else ""))
    for line in report.lines():
        click.echo(line)
    for title, rows in (("leaks", report.leaks), ("false pins", report.false_pins)):
        if show and rows:
            click.echo(f"\n{title}:")
            for item in rows[:show]:
                click.echo(f"  [{item.category or '-'}] {item.text[:100]!r}")
