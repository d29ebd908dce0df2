"""The ``shoal`` command.

Subcommands live in their own modules and are imported only when invoked, so ``shoal --help``
stays fast. A package adds a command by adding one line to ``COMMANDS``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

# name -> (module, attribute, one-line help shown by `shoal --help` without importing the module)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "ask": ("shoal.cli.ask", "ask", "Ask a question (streams the answer; uses your documents when indexed)."),
    "chat": ("shoal.cli.ask", "chat", "Interactive streaming chat with a model."),
    "models": ("shoal.cli.models", "models", "List configured models: locality, prices, context, capabilities."),
    "init": ("shoal.cli.init", "init", "Write a commented starter shoal.yaml."),
    "serve": ("shoal.cli.gateway", "serve", "Run the OpenAI/Anthropic-compatible gateway."),
    "keys": ("shoal.cli.gateway", "keys", "Create, list and revoke gateway API keys."),
    "logs": ("shoal.cli.gateway", "logs", "Show or tail the request log (filter by team, user, model...)."),
    "store": ("shoal.cli.gateway", "store", "Request-log maintenance: replay journals and set-aside records."),
    "usage": ("shoal.cli.gateway", "usage", "Cost and tokens by team/user/segment/model, and routing savings."),
    "tco": ("shoal.cli.costs", "tco", "Cost of ownership: a month of observed traffic under Buy, Build, Blend."),
    "ingest": ("shoal.cli.rag", "ingest", "Index documents (md, txt, pdf, docx, html) with labels and groups."),
    "search": ("shoal.cli.rag", "search", "Hybrid search of the index as a given user (ACL applied)."),
    "eval": ("shoal.cli.evals", "eval_group", "Evaluate models on your data: run, report, compare, recommend."),
    "route": ("shoal.cli.routing", "route", "Show which model would serve a prompt and why (no model is called)."),
    "router": ("shoal.cli.routing", "router", "Train and evaluate the learned router from per-item results."),
    "feedback": ("shoal.cli.tuning", "feedback", "Rate or correct logged answers; review the queue before training."),
    "dataset": ("shoal.cli.tuning", "dataset", "Versioned, PII-scrubbed training datasets (NAME@vN); export."),
    "tune": ("shoal.cli.tuning_models", "tune", "LoRA fine-tuning of open (GGUF) models on a dataset version."),
    "distill": ("shoal.cli.tuning_models", "distill", "Teacher answers → curated dataset → LoRA-tuned student."),
    "registry": ("shoal.cli.tuning_models", "registry", "Model versions: lineage, gated promote, canary, rollback."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(super().list_commands(ctx)))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module, attr, _ = COMMANDS[cmd_name]
            cmd: click.Command = getattr(importlib.import_module(module), attr)
            return cmd
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="SHOAL_CONFIG",
              help="Path to shoal.yaml (default: ./shoal.yaml, else built-in defaults).")
@click.version_option(package_name="shoal")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Shoal: one interface to every model, privacy-aware routing, RAG, evals, feedback loop."""
    ctx.obj = {"config_path": config_path}


def main(argv: list[str] | None = None) -> Any:
    """Entry point: ShoalErrors become one clear line on stderr and exit status 1."""
    from shoal.errors import ShoalError

    try:
        return cli.main(args=argv, prog_name="shoal", standalone_mode=False)
    except ShoalError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
