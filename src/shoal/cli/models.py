"""``shoal models``: the table of configured models."""

from __future__ import annotations

import json
from typing import ClassVar

import click

from shoal.cli.common import catalog_from
from shoal.models.types import CAPABILITIES


def _price(v: float) -> str:
    return "0" if v == 0 else f"{v:g}"


class _ModelsGroup(click.Group):
    """`shoal models` lists; `shoal models promote|rollback` are the registry's gated operations
    (the same commands as `shoal registry promote|rollback`, loaded only when used)."""

    LAZY: ClassVar[dict[str, tuple[str, str]]] = {"promote": ("shoal.cli.tuning_models", "registry_promote"),
            "rollback": ("shoal.cli.tuning_models", "registry_rollback")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.LAZY)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.LAZY:
            return None
        import importlib

        module, attr = self.LAZY[cmd_name]
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        return cmd


@click.group(cls=_ModelsGroup, invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """List configured models (plus the embedded defaults) with locality, prices and capabilities.

    `shoal models promote REF` and `shoal models rollback NAME` promote a registry version
    behind the eval gate and roll back (see `shoal registry`).
    """
    if ctx.invoked_subcommand is not None:
        return
    from shoal.errors import ShoalError

    catalog = catalog_from(ctx)
    specs = []
    problems: list[str] = []
    for name in catalog.configured_names():
        try:
            specs.append(catalog.spec(name, resolve_secret=False))
        except ShoalError as exc:  # one broken entry must not hide the others
            problems.append(f"{name}: {exc}")
    if as_json:
        click.echo(json.dumps([{
            "name": s.name, "provider": s.provider, "model": s.model_id, "kind": s.kind, "locality": s.locality,
            "input_per_mtok": s.pricing.input_per_mtok, "output_per_mtok": s.pricing.output_per_mtok,
            "hourly_usd": s.pricing.hourly_usd, "context_window": s.context_window,
            "capabilities": sorted(s.capabilities), "default": s.name == catalog.default_model,
        } for s in specs], indent=2))
        for problem in problems:
            click.echo(f"warning: {problem}", err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Models ({catalog.paths.source})")
    for col in ("name", "provider", "model", "locality", "$/1M in", "$/1M out", "$/hour", "context", "capabilities"):
        table.add_column(col, justify="right" if col.startswith("$") or col == "context" else "left",
                         no_wrap=True)
    for s in specs:
        name = f"{s.name} *" if s.name == catalog.default_model else s.name
        caps = ",".join(c for c in CAPABILITIES if c in s.capabilities)
        table.add_row(
            name, s.provider, s.model_id, s.locality,
            _price(s.pricing.input_per_mtok), _price(s.pricing.output_per_mtok),
            "" if s.pricing.hourly_usd is None else f"{s.pricing.hourly_usd:g}",
            f"{s.context_window:,}" if s.context_window else "?",
            caps if s.kind == "chat" else f"embedding{',' + caps if caps else ''}",
        )
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 200)  # piped output: never truncate model names
    console.print(table)
    click.echo("* default model", err=True)
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
